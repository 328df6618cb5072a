import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Machine } from '../src/machine/machine.js';
import { parseElf } from '../src/loader/elf-reader.js';
import { CollectedOutput } from '../src/machine/output.js';
import { summarize, timeSeconds, type Results } from './harness.js';

/** The compute-bound guest (bench/programs/compute.c), committed as an ELF. */
const ELF_PATH = new URL('../../bench/programs/compute.elf', import.meta.url);

/**
 * guest_mips: the compute-bound program in faultline, `runs` times;
 * qemu_mips: the same ELF under qemu-riscv32 when it is installed, with the
 * instruction count faultline retired (same program, same instructions).
 */
export function benchGuestMips(results: Results, iterations: string, runs: number): void {
  const bytes = readFileSync(ELF_PATH);
  const program = parseElf(bytes, 'compute.elf');
  const probe = spawnSync('qemu-riscv32', ['--version'], { encoding: 'utf8' });
  const haveQemu = probe.error === undefined;
  if (!haveQemu) console.log('qemu_mips: skipped, qemu-riscv32 is not installed (apt-get install qemu-user)');
  // qemu's start-up (~10 ms) is a real share of its run: subtract the time
  // of a 0-round run so that both figures count the same instructions.
  const qemuSeconds = (rounds: string, expect: string | null) => {
    let run: ReturnType<typeof spawnSync> | undefined;
    const seconds = timeSeconds(() => { run = spawnSync('qemu-riscv32', [ELF_PATH.pathname, rounds], { encoding: 'utf8' }); });
    if (run?.status !== 0 || (expect !== null && run.stdout !== expect)) throw new Error(`bench: qemu output differs from faultline's: ${String(run?.stdout)}`);
    return seconds;
  };
  const mips: number[] = [];
  const qemu: number[] = [];
  let instructions = 0;
  // faultline and qemu alternate, so a change in the machine's load hits both alike.
  for (let r = 0; r < runs; r++) {
    const out = new CollectedOutput();
    const machine = new Machine({ stdout: out.sink });
    machine.load(program, { argv: ['compute.elf', iterations] });
    let result: ReturnType<Machine['run']> | undefined;
    const seconds = timeSeconds(() => { result = machine.run(); });
    if (result?.kind !== 'exit' || result.exitCode !== 0) throw new Error(`bench: compute.elf did not exit 0: ${JSON.stringify(result)}`);
    instructions = machine.cpu.instret;
    mips.push(instructions / seconds / 1e6);
    if (haveQemu) {
      const startup = qemuSeconds('0', null);
      qemu.push(instructions / Math.max(qemuSeconds(iterations, out.text()) - startup, 1e-6) / 1e6);
    }
  }
  const guest = summarize(mips, 'MIPS');
  results.add('guest_mips', guest, `${(instructions / 1e6).toFixed(0)} M instructions`);
  if (!haveQemu) return;
  const q = summarize(qemu, 'MIPS');
  results.add('qemu_mips', q, `faultline/qemu = ${(guest.median / q.median).toFixed(2)}, runs alternating`);
}
