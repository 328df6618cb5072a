import { stat } from 'node:fs/promises';
import { startImageServer } from '../http-server.js';
import { writeAllSync } from '../output.js';
import { CommandLineError, parseCommandLine, parseCount } from '../usage-error.js';
import { describeFileError } from '../files.js';

/** Help text of `faultline serve`. */
export const SERVE_HELP = `Usage: faultline serve DIR [options]

Serves the files of DIR over HTTP, with Range requests (206 and 416),
HEAD, Content-Length and ETag, so that 'faultline restore URL' (or a
browser) can restore from the checkpoint images in it, fetching each
page when the guest first touches it. A directory URL ending in '/'
answers a JSON listing (as nginx's autoindex_format json). Nothing
outside DIR is served. Prints the URL, then serves until interrupted
(Ctrl-C or SIGTERM).

Options:
  --port N               port to listen on (default 8080; 0 picks a free one)
  --host H               address to listen on (default 127.0.0.1; 0.0.0.0
                         for every interface)
  -h, --help             show this help
`;

/** `faultline serve`: returns the process exit status once interrupted. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('serve', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(SERVE_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new CommandLineError(`serve: expected one DIR, got ${positionals.length} (see faultline serve --help)`);
  const dir = positionals[0]!;
  const port = values.port === undefined ? 8080 : parseCount('port', values.port);
  if (port > 65535) throw new CommandLineError(`--port: must be 0..65535, got ${port}`);
  const info = await stat(dir).catch((err: unknown) => { throw new CommandLineError(`serve: cannot serve ${describeFileError(dir, err)}`); });
  if (!info.isDirectory()) throw new CommandLineError(`serve: ${dir} is not a directory`);
  let server;
  try {
    server = await startImageServer({ dir, port, host: values.host ?? '127.0.0.1' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CommandLineError(`serve: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${typeof code === 'string' ? code : String(err)}`);
  }
  writeAllSync(1, new TextEncoder().encode(`faultline: serving ${dir} at ${server.url}\n`));
  const signal = await new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.close();
  return signal === 'SIGINT' ? 130 : 0;
}
