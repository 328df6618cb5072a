/**
 * A GDB remote-serial-protocol stub for a {@link Machine}
 * (docs/design.md §15, docs/debugging.md). Bytes in, bytes out: the
 * transport (cli/gdb-server.ts: TCP) feeds {@link GdbStub.receive} and
 * sends what the `send` option gets.
 *
 *   receive(bytes) ─► PacketDecoder ─► queue ─► one command at a time
 *        ├─ registers, memory, threads, breakpoints: answered at once
 *        └─ c / s / vCont / bc / bs: the machine runs in slices (the host
 *           event loop turns between them, so Ctrl-C is seen) until a
 *           breakpoint, a watchpoint, a fault that stays unresolved, an
 *           exit, or the interrupt; then one stop reply
 *
 * The stub speaks as `qemu-riscv32 -g` does (same target description,
 * multiprocess thread ids `pPID.TID`, `E14` for unreadable memory,
 * `T05`/`T0b`/`W`/`X` stops), so GDB scripts print the same values.
 */

import { UsageError } from '../errors.js';
import { causeName } from '../fault/cause.js';
import type { Machine } from '../machine/machine.js';
import type { RunResult } from '../machine/run-result.js';
import { GUEST_PID } from '../threads/scheduler.js';
import type { GuestThread } from '../threads/guest-thread.js';
import { MAX_PACKET_SIZE, PacketDecoder, encodePacket, fromLatin1, latin1, type PacketEvent } from './packet-codec.js';
import { fromHex, le32, parseHexNumber, parseLe32, textToHex, toHex } from './hex.js';
import { PC_REGNUM, TARGET_FILES } from './target-description.js';
import { WatchKind, Watchpoints } from './watchpoints.js';
import { monitorCommand, type MonitorHost } from './monitor.js';
import type { Rewinder } from './rewinder.js';

/** Instructions per slice of a continue: the host's event loop turns between slices. */
const SLICE = 1 << 20;

/** Linux signal numbers of stop replies. */
const SIGINT = 2, SIGTRAP = 5, SIGABRT = 6;

/**
 * How a debugging session ended.
 *
 * @example
 * ```ts
 * const end: StubEnd = await stub.done;
 * if (end.kind === 'detach') machine.run();
 * ```
 */
export type StubEnd =
  | {
      /** The client detached (`D`): the guest runs on without it. */
      readonly kind: 'detach';
    }
  | {
      /** The client killed the guest (`k`, `vKill`). */
      readonly kind: 'kill';
    }
  | {
      /** The connection went away (even mid-packet): a detach. */
      readonly kind: 'disconnect';
    }
  | {
      /** The guest ended (exit, signal, a fault it died of): `result` says how. */
      readonly kind: 'ended';
      /** The run's end, as {@link Machine.run} gives it. */
      readonly result: RunResult;
    };

/**
 * Options of {@link GdbStub}.
 *
 * @example
 * ```ts
 * const stub = new GdbStub(machine, { send: (bytes) => socket.write(bytes) });
 * ```
 */
export interface GdbStubOptions {
  /**
   * Sends bytes to the client.
   *
   * @param bytes - one reply packet, an acknowledgement or console output
   */
  readonly send: (bytes: Uint8Array) => void;
  /** Lets the host event loop turn between slices (default: a zero timeout). */
  readonly yieldToHost?: () => Promise<void>;
  /** Host services of `monitor` commands (writing a checkpoint needs the file system). */
  readonly monitor?: MonitorHost;
  /** Reverse execution (`bs`/`bc`); without one they are not advertised. */
  readonly rewinder?: Rewinder;
}

/**
 * The stub: feed it the client's bytes; await {@link done}.
 *
 * @example
 * ```ts
 * const stub = new GdbStub(machine, { send: (b) => socket.write(b) });
 * socket.on('data', (b) => stub.receive(b));
 * socket.on('close', () => stub.disconnect());
 * const end = await stub.done;
 * ```
 */
export class GdbStub {
  /** Resolves once the session ended (detach, kill, disconnect or the guest's end). */
  readonly done: Promise<StubEnd>;
  /** The machine being debugged (replaced by reverse execution). */
  machine: Machine;
  /** The watchpoints (Z2/Z3/Z4). */
  readonly watchpoints = new Watchpoints();
  /** Software breakpoints (Z0/Z1), by address. */
  readonly breakpoints = new Set<number>();
  private readonly decoder = new PacketDecoder();
  private readonly queue: PacketEvent[] = [];
  private pumping = false;
  private interrupted = false;
  private finished = false;
  private resolveDone!: (end: StubEnd) => void;
  private lastReply: Uint8Array = encodePacket('');
  private lastStop = '';
  private multiprocess = false;
  /** Thread of g/G/p/P/m (Hg), 0 = the current one. */
  private regThread = 0;
  /** Signal of the last stop when it was an unresolved fault, else 0. */
  private faultSignal = 0;
  /** The unresolved fault of the last stop, if it was one. */
  private lastFault: RunResult | null = null;
  private pendingEnd: StubEnd | null = null;
  /** Faults by cause and by handler, for `monitor faults`. */
  readonly faultCounts = new Map<string, number>();

  /**
   * Attaches to `machine` (between runs): installs the watchpoints' layer
   * and handler and arms the breakpoints. Throws UsageError without a
   * `send` function.
   *
   * @param machine - a loaded machine, stopped at its first instruction (or a restored one)
   * @param options - the transport's send function and host services
   */
  constructor(machine: Machine, private readonly options: GdbStubOptions) {
    if (typeof options?.send !== 'function') throw new UsageError('GdbStub: options.send must be a function');
    this.machine = machine;
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
    this.attach(machine);
  }

  /**
   * Points the stub at `machine` (after a rewind): watchpoints, breakpoints
   * and fault counters follow it.
   *
   * @param machine - the machine to debug from now on
   */
  attach(machine: Machine): void {
    this.machine = machine;
    this.watchpoints.install(machine);
    machine.events.on('fault', (f) => this.count(`${causeName(f.cause)} (cause ${f.cause})`));
    machine.events.on('fixed', (_f, by) => this.count(`fixed by ${by}`));
    machine.events.on('unresolved', (_f, by) => this.count(`unresolved${by === null ? '' : ` (failed by ${by})`}`));
    machine.cpu.breakpoints = this.breakpoints.size === 0 ? null : this.breakpoints;
  }

  private count(key: string): void {
    this.faultCounts.set(key, (this.faultCounts.get(key) ?? 0) + 1);
  }

  /**
   * Takes bytes from the client.
   *
   * @param bytes - as the transport delivered them
   */
  receive(bytes: Uint8Array): void {
    if (this.finished) return;
    for (const e of this.decoder.push(bytes)) {
      if (e.kind === 'interrupt') this.interrupted = true;
      else if (e.kind === 'nak') this.options.send(this.lastReply);
      else if (e.kind !== 'ack') this.queue.push(e);
    }
    void this.pump();
  }

  /** The client went away (even mid-packet): the session ends as a detach does. */
  disconnect(): void {
    this.interrupted = true;
    this.finish({ kind: 'disconnect' });
  }

  private finish(end: StubEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.machine.cpu.breakpoints = null;
    this.watchpoints.uninstall();
    this.resolveDone(end);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.finished) {
        const e = this.queue.shift()!;
        if (e.kind === 'bad') {
          this.options.send(latin1('-'));
          if (e.reason === 'oversized') this.reply('E01');
          continue;
        }
        if (e.kind !== 'packet') continue;
        this.options.send(latin1('+'));
        let answer: string | null;
        try {
          answer = await this.command(fromLatin1(e.payload));
        } catch (err) {
          answer = 'E01';
          this.console(`faultline: ${err instanceof Error ? err.message : String(err)}\n`);
        }
        if (answer !== null && !this.finished) this.reply(answer);
        if (this.pendingEnd !== null) this.finish(this.pendingEnd);
      }
    } finally {
      this.pumping = false;
    }
  }

  private reply(text: string): void {
    this.lastReply = encodePacket(text);
    this.options.send(this.lastReply);
  }

  /** Sends text to GDB's console (an `O` packet). */
  private console(text: string): void {
    if (!this.finished) this.options.send(encodePacket(`O${textToHex(text)}`));
  }

  /** The answer to one packet, or null for none (k). */
  private async command(p: string): Promise<string | null> {
    const c = p[0];
    switch (c) {
      case '?': return this.lastStop === '' ? this.stopReply(SIGTRAP, '') : this.lastStop;
      case 'g': return this.readRegisters();
      case 'G': return this.writeRegisters(p.slice(1));
      case 'p': return this.readRegister(p.slice(1));
      case 'P': return this.writeRegister(p.slice(1));
      case 'm': return this.readMemory(p.slice(1));
      case 'M': return this.writeMemory(p.slice(1), false);
      case 'X': return this.writeMemory(p.slice(1), true);
      case 'H': return this.setThread(p.slice(1));
      case 'T': return this.threadOf(p.slice(1)) === null ? 'E01' : 'OK';
      case 'Z': case 'z': return this.breakpoint(c === 'Z', p.slice(1));
      case 'c': return this.resume('continue', 0, p.slice(1));
      case 's': return this.resume('step', 0, p.slice(1));
      case 'C': case 'S': {
        const [sig, addr] = p.slice(1).split(';');
        const n = parseHexNumber(sig ?? '');
        if (n === null) return 'E01';
        return this.resume(c === 'C' ? 'continue' : 'step', n, addr ?? '');
      }
      case 'k':
        this.finish({ kind: 'kill' });
        return null;
      case 'D':
        this.finishAfterReply({ kind: 'detach' });
        return 'OK';
      case 'b':
        if (p === 'bs' || p === 'bc') return this.reverse(p === 'bs');
        return '';
      case 'v': return this.vCommand(p);
      case 'q': case 'Q': return this.query(p);
      default: return '';
    }
  }

  /** Ends the session once the reply to the current packet is sent. */
  private finishAfterReply(end: StubEnd): void {
    this.pendingEnd ??= end;
  }

  private async vCommand(p: string): Promise<string | null> {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // The first action decides (all threads run on one hart in faultline).
      const action = p.slice(6).split(';')[0]!.split(':')[0]!;
      if (action === 'c') return this.resume('continue', 0, '');
      if (action === 's') return this.resume('step', 0, '');
      const n = parseHexNumber(action.slice(1));
      if ((action[0] === 'C' || action[0] === 'S') && n !== null) return this.resume(action[0] === 'C' ? 'continue' : 'step', n, '');
      return 'E01';
    }
    if (p.startsWith('vKill')) {
      this.finishAfterReply({ kind: 'kill' });
      return 'OK';
    }
    return '';
  }

  private query(p: string): string | Promise<string> {
    if (p.startsWith('qSupported')) {
      this.multiprocess = p.includes('multiprocess+');
      const reverse = this.options.rewinder === undefined ? '' : ';ReverseStep+;ReverseContinue+';
      return `PacketSize=${MAX_PACKET_SIZE.toString(16)};qXfer:features:read+;vContSupported+;multiprocess+${reverse}`;
    }
    if (p.startsWith('qXfer:features:read:')) return this.xfer(p.slice(20));
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '0';
    if (p === 'qC') return `QC${this.threadId(this.machine.currentThread)}`;
    if (p === 'qfThreadInfo') return `m${this.liveThreads().map((t) => this.threadId(t)).join(',')}`;
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) {
      const t = this.threadOf(p.slice(17));
      return t === null ? 'E01' : textToHex(`tid ${t.tid} [${t.state}]`);
    }
    if (p === 'qOffsets') return 'Text=00000000;Data=00000000;Bss=00000000';
    if (p.startsWith('qRcmd,')) return this.monitor(p.slice(6));
    return '';
  }

  private xfer(rest: string): string {
    const [annex, range] = rest.split(':');
    const file = TARGET_FILES.get(annex ?? '');
    const [o, l] = (range ?? '').split(',');
    const offset = parseHexNumber(o ?? ''), length = parseHexNumber(l ?? '');
    if (file === undefined) return 'E00';
    if (offset === null || length === null) return 'E01';
    const chunk = file.slice(offset, offset + length);
    return (offset + length >= file.length ? 'l' : 'm') + chunk;
  }

  private async monitor(hex: string): Promise<string> {
    const bytes = fromHex(hex);
    if (bytes === null) return 'E01';
    const out = await monitorCommand(this, new TextDecoder().decode(bytes), this.options.monitor);
    return out === '' ? 'OK' : textToHex(out);
  }

  // ---- threads ----------------------------------------------------------

  private liveThreads(): GuestThread[] {
    return this.machine.threads.filter((t) => !t.exited);
  }

  private threadId(t: GuestThread): string {
    return this.multiprocess ? `p${GUEST_PID.toString(16)}.${t.tid.toString(16)}` : t.tid.toString(16);
  }

  /** The thread a thread-id names: -1 or 0 (any) is the current one; null if none such. */
  private threadOf(id: string): GuestThread | null {
    const tid = id.startsWith('p') ? id.slice(id.indexOf('.') + 1) : id;
    if (tid === '-1' || tid === '0' || id === 'p-1' || id.endsWith('.-1')) return this.machine.currentThread;
    const n = parseHexNumber(tid);
    if (n === null) return null;
    return this.liveThreads().find((t) => t.tid === n) ?? null;
  }

  private setThread(rest: string): string {
    const t = this.threadOf(rest.slice(1));
    if (t === null) return 'E01';
    const id = rest.slice(1);
    if (rest[0] === 'g') this.regThread = /(^|\.)(0|-1)$/.test(id) ? 0 : t.tid;
    return 'OK';
  }

  /** The thread whose registers g/p read. */
  private regsThread(): GuestThread {
    const m = this.machine;
    if (this.regThread === 0) return m.currentThread;
    return this.liveThreads().find((t) => t.tid === this.regThread) ?? m.currentThread;
  }

  /** Register `n` (0..32) of `t`. */
  private getReg(t: GuestThread, n: number): number {
    const m = this.machine;
    const onHart = t === m.currentThread;
    if (n === PC_REGNUM) return onHart ? m.cpu.pc : t.hart.pc;
    if (n === 0) return 0;
    return onHart ? m.cpu.x[n]! : t.hart.regs[n]!;
  }

  private setReg(t: GuestThread, n: number, value: number): void {
    const m = this.machine;
    const onHart = t === m.currentThread;
    if (n === PC_REGNUM) {
      if (onHart) m.cpu.pc = value; else t.hart.pc = value;
    } else if (n !== 0) {
      if (onHart) m.cpu.x[n] = value; else t.hart.regs[n] = value;
    }
  }

  // ---- registers and memory -------------------------------------------------

  private readRegisters(): string {
    const t = this.regsThread();
    let s = '';
    for (let n = 0; n <= PC_REGNUM; n++) s += le32(this.getReg(t, n));
    return s;
  }

  private writeRegisters(hex: string): string {
    if (hex.length < 8 * (PC_REGNUM + 1)) return 'E01';
    const values: number[] = [];
    for (let n = 0; n <= PC_REGNUM; n++) {
      const v = parseLe32(hex.slice(8 * n, 8 * n + 8));
      if (v === null) return 'E01';
      values.push(v);
    }
    const t = this.regsThread();
    values.forEach((v, n) => this.setReg(t, n, v));
    return 'OK';
  }

  private readRegister(rest: string): string {
    const n = parseHexNumber(rest);
    if (n === null || n > PC_REGNUM) return 'E01';
    return le32(this.getReg(this.regsThread(), n));
  }

  private writeRegister(rest: string): string {
    const [r, v] = rest.split('=');
    const n = parseHexNumber(r ?? ''), value = parseLe32(v ?? '');
    if (n === null || value === null || n > PC_REGNUM) return 'E01';
    this.setReg(this.regsThread(), n, value);
    return 'OK';
  }

  /** `addr,length` as numbers, or null. */
  private range(text: string): [number, number] | null {
    const [a, l] = text.split(',');
    const address = parseHexNumber(a ?? ''), length = parseHexNumber(l ?? '');
    if (address === null || length === null || address + length > 2 ** 32) return null;
    return [address, length];
  }

  private readMemory(rest: string): string {
    const r = this.range(rest);
    if (r === null) return 'E01';
    const [address, length] = r;
    if (length > MAX_PACKET_SIZE / 2) return 'E01';
    try {
      return toHex(this.machine.addressSpace.readBytes(address, length));
    } catch {
      return 'E14'; // EFAULT, as qemu answers
    }
  }

  private writeMemory(rest: string, binary: boolean): string {
    const colon = rest.indexOf(':');
    if (colon < 0) return 'E01';
    const r = this.range(rest.slice(0, colon));
    if (r === null) return 'E01';
    const data = binary ? latin1(rest.slice(colon + 1)) : fromHex(rest.slice(colon + 1));
    if (data === null || data.length !== r[1]) return 'E01';
    if (data.length === 0) return 'OK';
    try {
      this.machine.addressSpace.writeBytes(r[0], data);
      return 'OK';
    } catch {
      return 'E14';
    }
  }

  private breakpoint(insert: boolean, rest: string): string {
    const [type, a, k] = rest.split(',');
    const address = parseHexNumber(a ?? ''), kind = parseHexNumber((k ?? '').split(';')[0] ?? '');
    if (address === null || kind === null) return 'E01';
    if (type === '0' || type === '1') {
      if (insert) this.breakpoints.add(address); else this.breakpoints.delete(address);
      this.machine.cpu.breakpoints = this.breakpoints.size === 0 ? null : this.breakpoints;
      return 'OK';
    }
    if (type === '2' || type === '3' || type === '4') {
      const wk = Number(type) as WatchKind;
      if (insert) return this.watchpoints.add(wk, address, kind) ? 'OK' : 'E01';
      this.watchpoints.remove(wk, address, kind);
      return 'OK';
    }
    return '';
  }

  // ---- run control ----------------------------------------------------------

  /** `T` stop reply for the current thread, with `extra` (e.g. `watch:ADDR;`). */
  private stopReply(signal: number, extra: string): string {
    return `T${signal.toString(16).padStart(2, '0')}${extra}thread:${this.threadId(this.machine.currentThread)};`;
  }

  /** Remembers and returns a stop reply; the thread of the stop becomes the register thread. */
  private stopped(reply: string): string {
    this.lastStop = reply;
    this.regThread = 0;
    return reply;
  }

  private yieldToHost(): Promise<void> {
    return this.options.yieldToHost?.() ?? new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Answers a run's end (exit, signal, fault...) with a stop reply; null when the run goes on. */
  private ending(result: RunResult): string | null {
    switch (result.kind) {
      case 'limit': return null;
      case 'fault':
        this.faultSignal = result.signal;
        this.lastFault = result;
        return this.stopped(this.stopReply(result.signal, ''));
      case 'exit':
        this.finishAfterReply({ kind: 'ended', result });
        return `W${(result.exitCode & 0xff).toString(16).padStart(2, '0')}`;
      case 'signal':
        this.finishAfterReply({ kind: 'ended', result });
        return `X${result.signal.toString(16).padStart(2, '0')}`;
      default:
        // paused or deadlock: nothing can run any more.
        this.console(`faultline: ${result.kind === 'deadlock' ? result.message : `threads ${result.paused.join(', ')} are paused`}\n`);
        this.finishAfterReply({ kind: 'ended', result });
        return `X${SIGABRT.toString(16).padStart(2, '0')}`;
    }
  }

  /**
   * Runs until a stop: `step` retires one instruction. `signal` (C/S) after
   * an unresolved fault delivers it: the process dies of it, as under
   * qemu; without a signal the faulting instruction is retried.
   */
  private async resume(mode: 'continue' | 'step', signal: number, address: string): Promise<string> {
    const m = this.machine, cpu = m.cpu;
    if (address !== '') {
      const a = parseHexNumber(address);
      if (a === null) return 'E01';
      cpu.pc = a;
    }
    if (this.faultSignal !== 0 && signal !== 0) {
      this.finishAfterReply({ kind: 'ended', result: this.lastFault! });
      return `X${signal.toString(16).padStart(2, '0')}`;
    }
    this.faultSignal = 0;
    this.interrupted = false;
    // Resuming from a watchpoint stop goes past the access it stopped before.
    this.watchpoints.resumeInstret = this.watchpoints.hit === null ? -1 : cpu.instret;
    this.watchpoints.clearHit();
    cpu.breakpoints = this.breakpoints.size === 0 ? null : this.breakpoints;
    cpu.breakpointResume = cpu.instret;
    const start = cpu.instret;
    for (;;) {
      const due = this.options.rewinder?.beforeRun?.(m) ?? SLICE;
      const result = m.run({ maxInstructions: mode === 'step' ? 1 : Math.max(1, Math.min(SLICE, due)) });
      this.watchpoints.rearm();
      const hit = this.watchpoints.hit;
      if (hit !== null) {
        const name = hit.kind === WatchKind.Write ? 'watch' : hit.kind === WatchKind.Read ? 'rwatch' : 'awatch';
        return this.stopped(this.stopReply(SIGTRAP, `${name}:${hit.address.toString(16)};`));
      }
      const end = this.ending(result);
      if (end !== null) return end;
      if (cpu.breakpoints !== null && cpu.breakpoints.has(cpu.pc) && cpu.instret !== cpu.breakpointResume) {
        return this.stopped(this.stopReply(SIGTRAP, ''));
      }
      if (mode === 'step' && cpu.instret > start) return this.stopped(this.stopReply(SIGTRAP, ''));
      if (this.interrupted || this.finished) return this.stopped(this.stopReply(SIGINT, ''));
      if (mode !== 'step') await this.yieldToHost();
    }
  }

  private async reverse(step: boolean): Promise<string> {
    const r = this.options.rewinder;
    if (r === undefined) return '';
    this.faultSignal = 0;
    this.watchpoints.clearHit();
    const outcome = step ? await r.stepBack(this) : await r.continueBack(this);
    if (outcome === 'start') return this.stopped(`T${SIGTRAP.toString(16).padStart(2, '0')}replaylog:begin;thread:${this.threadId(this.machine.currentThread)};`);
    return this.stopped(this.stopReply(SIGTRAP, outcome));
  }
}

