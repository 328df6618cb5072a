import { readRegularFile, writeFileAtomic } from '../files.js';
import { writeAllSync } from '../output.js';
import { parseAccessLog } from '../report/access-log.js';
import { reportHtml } from '../report/html.js';
import { CommandLineError, parseCommandLine } from '../usage-error.js';

/** Largest access log `report` reads. */
const LOG_FILE_LIMIT = 1 << 30;

/** Help text of `faultline report`. */
export const REPORT_HELP = `Usage: faultline report LOG -o REPORT.html

Turns an access log (faultline run --access-log LOG) into one
self-contained HTML file (no network, no external scripts): an access
heatmap of pages x epochs (read, write and execute in their own colours,
address ranges labelled with the mappings' names), the working-set size
and the dirty rate over time, and the faults by cause and by handler.

Options:
  -o, --output FILE   where to write the HTML (required)
  -h, --help          show this help
`;

/** `faultline report`: returns the process exit status. */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('report', argv, {
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    writeAllSync(1, new TextEncoder().encode(REPORT_HELP));
    return 0;
  }
  if (positionals.length !== 1) throw new CommandLineError(`report: expected one LOG file, got ${positionals.length} (see faultline report --help)`);
  if (values.output === undefined) throw new CommandLineError('report: missing -o REPORT.html');
  const path = positionals[0]!;
  const text = new TextDecoder().decode(await readRegularFile(path, LOG_FILE_LIMIT, 'access log'));
  const log = parseAccessLog(text, path);
  await writeFileAtomic(values.output, new TextEncoder().encode(reportHtml(log, path)));
  return 0;
}
