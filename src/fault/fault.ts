import type { RegionMap } from '../memory/region-map.js';
import { accessName, causeName } from './cause.js';
import { hex32 } from '../errors.js';

/**
 * A synchronous exception of the guest, as the handler chain sees it.
 *
 * The machine reuses one `Fault` object for every fault so that the hot
 * path never allocates: its fields are valid while the fault is being
 * dispatched. Keep a copy with {@link Fault.snapshot} if you need it later.
 *
 * @example
 * ```ts
 * machine.registerFaultHandler((fault) => {
 *   console.log(fault.describe());
 *   return FaultStatus.Continue;
 * });
 * ```
 */
export class Fault {
  /** RISC-V cause number ({@link Cause}). */
  cause = 0;
  /** Access kind ({@link Access}): read, write or execute. */
  access = 0;
  /** Faulting address (the instruction word for an illegal instruction). */
  address = 0;
  /** Address of the faulting instruction. */
  pc = 0;
  /** Bytes the access wanted (1, 2 or 4; 4 for fetches). */
  size = 0;
  /** True when the page was mapped but the access lacked the right. */
  protection = false;
  /** Innermost region map where translation stopped (memory faults only). */
  regionMap: RegionMap | null = null;
  /** Offset of the faulting address inside {@link Fault.regionMap}. */
  regionOffset = 0;
  /** The faulting thread's id (docs/design.md §10). */
  tid = 0;

  /**
   * Copies every field from `other`. Never throws.
   *
   * @param other - the fault to copy
   * @example
   * ```ts
   * const kept = new Fault();
   * machine.events.on('fault', (fault) => kept.copyFrom(fault));
   * ```
   */
  copyFrom(other: Fault): void {
    this.cause = other.cause;
    this.access = other.access;
    this.address = other.address;
    this.pc = other.pc;
    this.size = other.size;
    this.protection = other.protection;
    this.regionMap = other.regionMap;
    this.regionOffset = other.regionOffset;
    this.tid = other.tid;
  }

  /**
   * A detached copy that stays valid after the dispatch. Never throws.
   *
   * @example
   * ```ts
   * const seen: Fault[] = [];
   * machine.events.on('fault', (fault) => seen.push(fault.snapshot()));
   * ```
   */
  snapshot(): Fault {
    const copy = new Fault();
    copy.copyFrom(this);
    return copy;
  }

  /** True for page faults (cause 12, 13 or 15). */
  get isPageFault(): boolean {
    return this.cause === 12 || this.cause === 13 || this.cause === 15;
  }

  /**
   * One line for reports: cause, access, address, pc and region, e.g.
   * `store/AMO page fault: write at 0x00000000 (not mapped), pc 0x00010074`.
   * Never throws.
   *
   * @example
   * ```ts
   * machine.events.on('unresolved', (fault) => console.error(fault.describe()));
   * ```
   */
  describe(): string {
    let text = `${causeName(this.cause)}: ${accessName(this.access)} at ${hex32(this.address)}`;
    if (this.isPageFault) text += this.protection ? ' (protection)' : ' (not mapped)';
    text += `, pc ${hex32(this.pc)}`;
    if (this.regionMap !== null && this.isPageFault) {
      text += `, region ${this.regionMap.name ?? 'unnamed'}+${hex32(this.regionOffset)}`;
    }
    return text;
  }
}
