#!/bin/sh
# Builds bench/programs/compute.elf with the Debian RISC-V cross compiler
# (package gcc-riscv64-unknown-elf). The ELF is committed so that
# `npm run bench` works without the cross compiler; rerun this after
# changing compute.c or the runtime, and commit the new ELF.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
include="$here/../../include"
riscv64-unknown-elf-gcc \
    -march=rv32ima -mabi=ilp32 -static -nostdlib \
    -O2 -ffreestanding -fno-builtin -Wall \
    -I "$include" \
    -o "$here/compute.elf" \
    "$here/compute.c" "$include/faultline-rt.c"
echo "built $here/compute.elf"
