#!/usr/bin/env node
/**
 * The `faultline` command: run guest programs, assemble them, and (later)
 * checkpoint and restore them. Every error a user can cause is one line on
 * stderr and exit status 2.
 */
import { FaultlineError } from '../src/errors.js';
import { asmCommand } from './commands/asm.js';
import { runCommand } from './commands/run.js';
import { restoreCommand } from './commands/restore.js';
import { inspectCommand } from './commands/inspect.js';
import { printError, writeAllSync } from './output.js';

const HELP = `Usage: faultline <command> [options]

Commands:
  run PROGRAM     run an ELF executable or assembly file in the emulated machine
  asm SOURCE.s    assemble to an ELF executable (-o OUTPUT.elf)
  restore DIR     continue a program from the newest checkpoint image in DIR
                  (or restore IMAGE: from that image)
  inspect IMAGE   print the contents of a checkpoint image

Run 'faultline <command> --help' for the options of a command.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'asm':
      return asmCommand(rest);
    case 'restore':
      return restoreCommand(rest);
    case 'inspect':
      return inspectCommand(rest);
    case undefined:
      writeAllSync(2, new TextEncoder().encode(HELP));
      return 2;
    case '-h':
    case '--help':
    case 'help':
      writeAllSync(1, new TextEncoder().encode(HELP));
      return 0;
    default:
      throw new FaultlineError(`unknown command '${command}' (see faultline --help)`);
  }
}

main(process.argv.slice(2)).then(
  (status) => { process.exitCode = status; },
  (err: unknown) => {
    if (err instanceof FaultlineError) {
      printError(`faultline: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      printError(`faultline: ${err.message}`);
      process.exitCode = 2;
    } else {
      printError(`faultline: internal error: ${err instanceof Error ? err.message : String(err)}`);
      if (process.env['FAULTLINE_DEBUG']) console.error(err);
      process.exitCode = 70;
    }
  },
);
