/**
 * `monitor` commands (GDB's `qRcmd`): faultline's own state, as text for
 * GDB's console.
 *
 *   monitor chain          the fault-handler chain, head first
 *   monitor maps           the address space like /proc/self/maps
 *   monitor faults         fault counts by cause and by outcome/handler
 *   monitor checkpoint DIR write a checkpoint image into DIR (host service)
 *   monitor timeslice [N]  show or set the time slice in instructions
 *   monitor help           this list
 */

import type { GdbStub } from './gdb-stub.js';

/**
 * What the host lends to `monitor` commands that need it.
 *
 * @example
 * ```ts
 * const host: MonitorHost = { checkpoint: async (machine, dir) => `wrote ${dir}/00000000.ckpt` };
 * ```
 */
export interface MonitorHost {
  /**
   * Writes a checkpoint image of the debugged machine into `dir`; returns a line saying where.
   *
   * @param machine - the debugged machine, between runs
   * @param dir - the directory the user named
   */
  readonly checkpoint?: (machine: GdbStub['machine'], dir: string) => Promise<string>;
}

const HELP = `faultline monitor commands:
  chain            the fault-handler chain, head first
  maps             the address space (like /proc/self/maps)
  faults           fault counts by cause and by outcome
  checkpoint DIR   write a checkpoint image into DIR
  timeslice [N]    show or set the time slice (instructions)
`;

/**
 * Runs one monitor command line; returns the text to print (ending in a
 * newline), or an error line for an unknown command or a bad argument.
 *
 * @param stub - the session (its machine and counters)
 * @param line - what the user typed after `monitor`
 * @param host - host services (checkpoint writing)
 * @example
 * ```ts
 * const text = await monitorCommand(stub, 'maps');
 * ```
 */
export async function monitorCommand(stub: GdbStub, line: string, host: MonitorHost = {}): Promise<string> {
  const [cmd = '', ...args] = line.trim().split(/\s+/);
  const m = stub.machine;
  switch (cmd) {
    case '': case 'help':
      return HELP;
    case 'chain': {
      const entries = m.chain.list();
      const lines = entries.map((e, k) => `${k}: ${e.name}`);
      if (m.exceptionTable !== null) lines.push('last resort: exception table');
      return `${lines.length === 0 ? '(empty chain)' : lines.join('\n')}\n`;
    }
    case 'maps':
      return m.addressSpace.maps();
    case 'faults': {
      const rows = [...stub.faultCounts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`);
      return `${rows.length === 0 ? 'no faults' : rows.join('\n')}\n`;
    }
    case 'checkpoint': {
      if (args.length !== 1) return 'usage: monitor checkpoint DIR\n';
      if (host.checkpoint === undefined) return 'checkpoint: not available in this host\n';
      try {
        return `${await host.checkpoint(m, args[0]!)}\n`;
      } catch (err) {
        return `checkpoint: ${err instanceof Error ? err.message : String(err)}\n`;
      }
    }
    case 'timeslice': {
      if (args.length === 0) return `time slice: ${m.timeSlice} instructions\n`;
      const n = Number(args[0]);
      if (!Number.isSafeInteger(n) || n < 1 || !/^\d+$/.test(args[0]!)) return `timeslice: expected a positive whole number of instructions, got ${JSON.stringify(args[0])}\n`;
      m.timeSlice = n;
      return `time slice: ${n} instructions\n`;
    }
    default:
      return `unknown monitor command ${JSON.stringify(cmd)} (try: monitor help)\n`;
  }
}
