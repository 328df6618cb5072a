/**
 * Test helper: the guest programs in `test/asm/programs/`, each with the
 * stdout and exit status its header comment promises
 * (`# expect-stdout: "<JSON string>"`, `# expect-exit: <n>`). The
 * differential suite runs them under faultline and qemu-riscv32.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One program and what running it must give. */
export interface ExpectedProgram {
  readonly file: string;
  readonly path: string;
  readonly source: string;
  readonly stdout: string;
  readonly exit: number;
}

/** Directory of the programs. */
export const PROGRAMS_DIR = join(import.meta.dirname, 'programs');

/** Every program with its expectations; throws when a header is missing. */
export function expectedPrograms(): ExpectedProgram[] {
  return readdirSync(PROGRAMS_DIR).filter((f) => f.endsWith('.s')).sort().map((file) => {
    const path = join(PROGRAMS_DIR, file);
    const source = readFileSync(path, 'utf8');
    const out = /^# expect-stdout: (".*")$/m.exec(source);
    const exit = /^# expect-exit: (\d+)$/m.exec(source);
    if (!out || !exit) throw new Error(`${file}: missing '# expect-stdout:' or '# expect-exit:' header`);
    return { file, path, source, stdout: JSON.parse(out[1]!) as string, exit: Number(exit[1]) };
  });
}
