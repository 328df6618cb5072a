#!/bin/sh
# Builds the realistic benchmark programs (bench/programs/real/*.c) with the
# Debian RISC-V cross compiler (package gcc-riscv64-unknown-elf) and the
# project's freestanding runtime. The ELFs are committed, as
# bench/programs/compute.elf is, so that `npm run bench` and the tests need
# no compiler; rerun this after changing a program, the generator or the
# runtime, and commit the new ELFs. fsm.c is generated: gen-fsm.py > fsm.c.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
include="$here/../../../include"
python3 "$here/gen-fsm.py" > "$here/fsm.c"
for name in lz77 sha256 bytecode sort matrix fsm exit0; do
    riscv64-unknown-elf-gcc \
        -march=rv32ima -mabi=ilp32 -static -nostdlib \
        -O2 -ffreestanding -fno-builtin -Wall \
        -I "$include" -I "$here" \
        -o "$here/$name.elf" \
        "$here/$name.c" "$include/faultline-rt.c" -lgcc
    echo "built $here/$name.elf"
done
