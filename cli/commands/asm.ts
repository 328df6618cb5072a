import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { assemble } from '../../src/asm/assemble.js';
import { FaultlineError } from '../../src/errors.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import { writeFileAtomic } from '../files.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCount } from '../usage-error.js';

/** Help text of `faultline asm`. */
export const ASM_HELP = `Usage: faultline asm SOURCE.s -o OUTPUT.elf [options]

Assembles RV32IMA assembly into a static ELF32 executable with a symbol
table (runs under qemu-riscv32, disassembles with objdump). Every error
in the file is reported as file:line:column: message.

Options:
  -o, --output FILE      where to write the ELF (required)
  --text-address ADDR    address of .text (default 0x10000)
  -h, --help             show this help
`;

/** `faultline asm`: returns the process exit status. */
export async function asmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      output: { type: 'string', short: 'o' },
      'text-address': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(ASM_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new CommandLineError(`asm: expected one SOURCE file, got ${positionals.length} (see faultline asm --help)`);
  if (values.output === undefined) throw new CommandLineError('asm: missing -o OUTPUT.elf');
  const source = positionals[0]!;
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new FaultlineError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const textAddress = values['text-address'] === undefined ? undefined : parseCount('text-address', values['text-address']);
  const program = assemble(text, { fileName: source, ...(textAddress === undefined ? {} : { textAddress }) });
  await writeFileAtomic(values.output, writeElf(program), 0o755);
  return 0;
}
