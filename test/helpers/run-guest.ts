/**
 * Runs a guest ELF on the faultline machine for differential tests.
 *
 * Contract: `runFaultline(elfBytes, name)` loads `elfBytes` (a static
 * RV32IMA ELF) on a fresh machine with argv `[name]`, runs it to completion
 * and resolves with everything the guest wrote to fd 1 (decoded as UTF-8)
 * and its exit status as the command line would report it: the guest's
 * status masked to 8 bits, or 128 + signal for an unresolved fault (139
 * page fault, 132 illegal instruction, 133 ebreak, 135 misaligned
 * AMO/LR/SC). Rejects only on a host-side error.
 *
 * The guest runs four times: interpreted only, then in the block, region
 * and wasm tiers with everything compiled on its first execution
 * (jitThreshold 1). All must agree — the compiled tiers are held to the
 * interpreter, and all to the reference.
 */
import { parseElf } from '../../src/loader/elf-reader.js';
import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { exitStatusOf } from '../../src/machine/run-result.js';

/** What a guest run produced. */
export interface GuestResult {
  readonly stdout: string;
  readonly status: number;
}

/** Instruction limit: a runaway guest fails the test instead of hanging it. */
const MAX_INSTRUCTIONS = 2_000_000_000;

function runOnce(elfBytes: Uint8Array, name: string, options: MachineOptions): GuestResult {
  const out = new CollectedOutput();
  const machine = new Machine({ ...options, stdout: out.sink });
  machine.load(parseElf(elfBytes, name), { argv: [name] });
  const result = machine.run({ maxInstructions: MAX_INSTRUCTIONS });
  if (result.kind === 'limit') throw new Error(`${name}: still running after ${MAX_INSTRUCTIONS} instructions`);
  return { stdout: out.text(), status: exitStatusOf(result) };
}

export async function runFaultline(elfBytes: Uint8Array, name: string): Promise<GuestResult> {
  const interpreted = runOnce(elfBytes, name, { jit: false });
  const compiled = runOnce(elfBytes, name, { tier: 'block', jitThreshold: 1 });
  const region = runOnce(elfBytes, name, { tier: 'region', jitThreshold: 1 });
  const wasm = runOnce(elfBytes, name, { tier: 'wasm', jitThreshold: 1 });
  for (const [tier, run] of [['block', compiled], ['region', region], ['wasm', wasm]] as const) {
    if (interpreted.status !== run.status || interpreted.stdout !== run.stdout) {
      throw new Error(
        `${name}: the ${tier} tier disagrees with the interpreter\n` +
          `interpreter: status ${interpreted.status}, stdout ${JSON.stringify(interpreted.stdout)}\n` +
          `${tier}:${' '.repeat(11 - tier.length)} status ${run.status}, stdout ${JSON.stringify(run.stdout)}`,
      );
    }
  }
  return compiled;
}
