import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../../src/checkpoint/image-reader.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/checkpoint/index.js';
import { cliContributor, readChainEndingAt, readNewestChain, runWithCheckpoints, type CliState } from '../checkpoint-dir.js';
import { cliMachine, reportOutcome } from '../cli-machine.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCount } from '../usage-error.js';

/** Help text of `faultline restore`. */
export const RESTORE_HELP = `Usage: faultline restore DIR|IMAGE [options]

Continues a program from the newest checkpoint image in DIR, or from the
image file IMAGE (with the images before it in its directory), written by
faultline run --checkpoint-every N --checkpoint-dir DIR. The chain of
images back to the newest full one is validated (every checksum, the
order of the images) and the machine is rebuilt in exactly the state of
the newest image, then runs on. Output the guest wrote after that image
is written again. A damaged image is refused with one line naming the
file and the byte offset (exit status 2), before anything runs.

If the run was checkpointing, the restored run goes on writing images
into DIR (a new chain, starting with a full image).

Options:
  --lazy                 start at once with guest memory unpopulated; each
                         page is read from the images when first touched
  --max-instructions N   stop after N more instructions (exit status 124)
  --no-checkpoint        do not write further images
  -h, --help             show this help
`;

/** `faultline restore`: returns the process exit status. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      lazy: { type: 'boolean' },
      'max-instructions': { type: 'string' },
      'no-checkpoint': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(RESTORE_HELP));
    return 0;
  }
  const [dir, ...extra] = positionals;
  if (dir === undefined) throw new CommandLineError('restore: missing DIR or IMAGE (see faultline restore --help)');
  if (extra.length > 0) throw new CommandLineError(`restore: unexpected argument '${extra[0]}'`);
  const maxInstructions = values['max-instructions'] === undefined ? undefined : parseCount('max-instructions', values['max-instructions']);

  const fromImage = await isFile(dir);
  const chain = fromImage ? await readChainEndingAt(dir) : await readNewestChain(dir);
  // Further images go where the chain came from.
  const imageDir = fromImage ? dirname(dir) : dir;
  const newest = chain[chain.length - 1]!;
  const quota = decodeImage(newest.bytes, newest.name, { verifyPages: false }).meta.memoryQuota;
  const cli: CliState = { stdoutBytes: 0, stderrBytes: 0, every: 0, fullEvery: 1 };
  const machine = cliMachine(cli, quota);
  restoreCheckpoint(machine, chain, { lazy: values.lazy === true, contributors: [cliContributor(cli)], ignoreUnclaimedState: true });
  const runOptions = maxInstructions === undefined ? {} : { maxInstructions };
  let result;
  if (cli.every > 0 && values['no-checkpoint'] !== true) {
    const cp = checkpoint({ contributors: [cliContributor(cli)] });
    machine.use(cp);
    result = await runWithCheckpoints(machine, cp, { dir: imageDir, every: cli.every, fullEvery: cli.fullEvery, ...runOptions });
  } else {
    result = machine.run(runOptions);
  }
  return reportOutcome(machine, result, maxInstructions);
}

/** True when `path` names a file (not a directory, not missing). */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
