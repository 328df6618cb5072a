/**
 * Reverse execution for the command line's `--gdb`: snapshots are full
 * checkpoint images kept in memory (src/debug/reverse.ts bounds them),
 * and a step back restores one into a fresh machine made like the
 * debugged one — same quota, time slice and CPUs, the `--demand-paging`
 * ranges, the image's mounts — whose output is dropped until it passes
 * what the guest had printed already (a replay prints nothing twice).
 *
 * Not replayed: input the guest read from the host's stdin (a replay
 * reads on from where the host's stream is), and host time (`--host-time`).
 */
import { Machine } from '../../src/machine/machine.js';
import { ReverseExecution } from '../../src/debug/reverse.js';
import { checkpoint, demandPaging, restoreCheckpoint, type Checkpointer } from '../../handlers/index.js';
import { hex32 } from '../../src/errors.js';
import { hostDirectoryFor } from '../guest-io.js';
import { writeAllSync } from '../output.js';
import type { CliState } from '../cli-state.js';

/** Snapshot interval of `--gdb` runs, in instructions. */
export const CLI_SNAPSHOT_INTERVAL = 1_000_000;

/**
 * Reverse execution for `machine` (loaded or restored by the command
 * line, its plugins installed per `cli`).
 *
 * @param machine - the machine the debugger starts on
 * @param cli - the command line's state (demand-paging ranges, output counters)
 */
export function cliReverse(machine: Machine, cli: CliState): ReverseExecution {
  const checkpointers = new WeakMap<Machine, Checkpointer>();
  const quota = machine.memory.quota, timeSlice = machine.timeSlice, cpus = machine.cpus;
  const reverse: ReverseExecution = new ReverseExecution({
    interval: CLI_SNAPSHOT_INTERVAL,
    capture(m) {
      let cp = checkpointers.get(m);
      if (cp === undefined) {
        cp = checkpoint({ name: 'gdb-snapshots', incremental: false });
        m.use(cp);
        checkpointers.set(m, cp);
      }
      return cp.checkpoint({ full: true });
    },
    restore(bytes) {
      // The replayed guest prints only past what it had printed already.
      const fresh: Machine = new Machine({
        memoryQuota: quota,
        timeSlice,
        cpus,
        memoryInitialSize: Math.min(quota, 64 << 20),
        stdout: (b) => { if (fresh.cpu.instret > reverse.highWater) { cli.stdoutBytes += b.length; writeAllSync(1, b); } },
        stderr: (b) => { if (fresh.cpu.instret > reverse.highWater) { cli.stderrBytes += b.length; writeAllSync(2, b); } },
      });
      restoreCheckpoint(fresh, [{ name: 'gdb snapshot', bytes }], {
        ignoreUnclaimedState: true,
        mountedDirectory: (mount) => hostDirectoryFor(mount.label, new Map()),
      });
      for (const range of cli.config.demandPaging) {
        const r = fresh.addressSpace.root.lookup(range.at);
        const name = `demand-paging ${hex32(range.at)}`;
        if (r !== undefined && r.at === range.at && r.size === range.size && r.target.isRegionMap) fresh.use(demandPaging({ region: r.target, backing: { kind: 'zero' }, name }));
        else fresh.use(demandPaging({ at: range.at, size: range.size, backing: { kind: 'zero' }, name }));
      }
      return fresh;
    },
  });
  return reverse;
}
