#!/usr/bin/env node
/**
 * The `faultline` command: run guest programs, assemble them, checkpoint
 * and restore them. Every error a user can cause is one line on stderr
 * (control characters escaped) and exit status 2; never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { FaultlineError } from '../src/errors.js';
import { AssemblyError, formatDiagnostic } from '../src/asm/assembly-error.js';
import { printError, writeAllSync } from './output.js';

// Each command's module is imported when that command runs: start-up time
// is what a user waits for, and `run` needs a fraction of the modules
// `restore` or `migrate` do.

const HELP = `Usage: faultline <command> [options]

Commands:
  run PROGRAM     run an ELF executable or assembly file in the emulated machine
  asm SOURCE.s    assemble to an ELF executable (-o OUTPUT.elf)
  restore DIR     continue a program from the newest checkpoint image in DIR
                  (or restore IMAGE: from that image)
  inspect IMAGE   print the contents of a checkpoint image
  report LOG      write an HTML report of an access log (-o REPORT.html)
  migrate --to HOST:PORT PROGRAM
                  run PROGRAM and move it, live, to a 'faultline receive'
  receive --port N
                  wait for a migrating guest and run it on here
  serve DIR       serve checkpoint images over HTTP (restore URL reads them)

Run 'faultline <command> --help' for the options of a command;
'faultline --version' prints the version.
`;

/** The package's version, from its package.json (two levels above dist/cli/). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `text` with control characters (newlines too) shown as \xNN: a message stays one line and cannot move the cursor or change colours. */
function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return (await import('./commands/run.js')).runCommand(rest);
    case 'asm':
      return (await import('./commands/asm.js')).asmCommand(rest);
    case 'restore':
      return (await import('./commands/restore.js')).restoreCommand(rest);
    case 'inspect':
      return (await import('./commands/inspect.js')).inspectCommand(rest);
    case 'report':
      return (await import('./commands/report.js')).reportCommand(rest);
    case 'migrate':
      return (await import('./commands/migrate.js')).migrateCommand(rest);
    case 'receive':
      return (await import('./commands/receive.js')).receiveCommand(rest);
    case 'serve':
      return (await import('./commands/serve.js')).serveCommand(rest);
    case undefined:
      writeAllSync(2, new TextEncoder().encode(HELP));
      return 2;
    case '-V':
    case '--version':
    case 'version':
      writeAllSync(1, new TextEncoder().encode(`faultline ${version()}\n`));
      return 0;
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
    if (err instanceof AssemblyError) {
      // Every error of the file, one per line.
      printError(`faultline: ${err.diagnostics.map((d) => escapeControls(formatDiagnostic(d))).join('\n')}`);
      process.exitCode = 2;
    } else if (err instanceof FaultlineError) {
      printError(`faultline: ${escapeControls(err.message)}`);
      process.exitCode = 2;
    } else {
      printError(`faultline: internal error: ${escapeControls(err instanceof Error ? err.message.split('\n')[0]! : String(err))}`);
      if (process.env['FAULTLINE_DEBUG']) console.error(err);
      process.exitCode = 70;
    }
  },
);
