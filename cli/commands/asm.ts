import { assemble } from '../../src/asm/assemble.js';
import { FaultlineError } from '../../src/errors.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import { PROGRAM_FILE_LIMIT, readRegularFile, writeFileAtomic } from '../files.js';
import { checkHasCode, preprocessedAssemblyMessage } from '../load-file.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCommandLine, parseCount } from '../usage-error.js';

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
  const { values, positionals } = parseCommandLine('asm', argv, {
    output: { type: 'string', short: 'o' },
    'text-address': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(ASM_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new CommandLineError(`asm: expected one SOURCE file, got ${positionals.length} (see faultline asm --help)`);
  if (values.output === undefined) throw new CommandLineError('asm: missing -o OUTPUT.elf');
  const source = positionals[0]!;
  const preprocessed = preprocessedAssemblyMessage(source);
  if (preprocessed !== null) throw new FaultlineError(preprocessed);
  const textAddress = values['text-address'] === undefined ? undefined : parseCount('text-address', values['text-address']);
  const text = new TextDecoder().decode(await readRegularFile(source, PROGRAM_FILE_LIMIT, 'program'));
  const program = assemble(text, { fileName: source, ...(textAddress === undefined ? {} : { textAddress }) });
  checkHasCode(program, source);
  await writeFileAtomic(values.output, writeElf(program), 0o755);
  return 0;
}
