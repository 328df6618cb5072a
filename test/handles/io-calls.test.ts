/**
 * The handle calls one at a time: numbers, sharing, flags, pipes, streams
 * and Linux's errno for each misuse.
 */

import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/syscalls/errno.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { WOULD_BLOCK, inputFromAsyncIterable } from '../../src/handles/stream.js';
import { CollectedOutput } from '../../src/machine/output.js';
import { exitStatusOf } from '../../src/machine/run-result.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100;
const PATH = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x3000;
const O_CREAT_RW = OpenFlag.Create | OpenFlag.ReadWrite;
const UNMAPPED = 0x7000_0000;

function open(d: CallDriver, path: string, flags: number, mode = 0o644): number {
  return d.call(Syscall.Openat, AT_FDCWD, d.str(PATH, path), flags, mode);
}
function write(d: CallDriver, fd: number, text: string): number {
  return d.call(Syscall.Write, fd, d.put(BUF, text), new TextEncoder().encode(text).length);
}
function read(d: CallDriver, fd: number, n: number): string | number {
  const r = d.call(Syscall.Read, fd, OUT, n);
  return r < 0 ? r : d.text(OUT, r);
}
function seek(d: CallDriver, fd: number, offset: number, whence: number): number {
  const r = d.call(Syscall.Llseek, fd, offset < 0 ? -1 : 0, offset, OUT + 0x800, whence);
  return r < 0 ? r : d.u32(OUT + 0x800);
}

describe('read, write and the handle table', () => {
  it('gives the lowest free number, reads back what it wrote, and seeks', () => {
    const d = new CallDriver();
    const fd = open(d, '/a.txt', O_CREAT_RW);
    expect(fd).toBe(3);
    expect(write(d, fd, 'hello world')).toBe(11);
    expect(seek(d, fd, 6, 0)).toBe(6);
    expect(read(d, fd, 100)).toBe('world');
    expect(read(d, fd, 100)).toBe('');
    expect(seek(d, fd, -5, 2)).toBe(6);
    expect(d.call(Syscall.Close, fd)).toBe(0);
    expect(d.call(Syscall.Close, fd)).toBe(-Errno.EBADF);
    expect(open(d, '/a.txt', OpenFlag.ReadOnly)).toBe(3);
  });

  it('dup shares the offset; dup3 places at a number and refuses what Linux refuses', () => {
    const d = new CallDriver();
    const fd = open(d, '/b', O_CREAT_RW);
    write(d, fd, 'abcdef');
    const copy = d.call(Syscall.Dup, fd);
    expect(copy).toBe(4);
    expect(seek(d, copy, 2, 0)).toBe(2);
    expect(read(d, fd, 2)).toBe('cd');
    expect(d.call(Syscall.Dup3, fd, 9, OpenFlag.CloseOnExec)).toBe(9);
    expect(read(d, 9, 10)).toBe('ef');
    expect(d.call(Syscall.Fcntl64, 9, 1, 0)).toBe(1);
    expect(d.call(Syscall.Fcntl64, fd, 1, 0)).toBe(0);
    expect(d.call(Syscall.Dup3, fd, fd, 0)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Dup3, fd, 7, 1)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Dup3, 50, 7, 0)).toBe(-Errno.EBADF);
    expect(d.call(Syscall.Dup3, fd, 5000, 0)).toBe(-Errno.EBADF);
    expect(d.call(Syscall.Fcntl64, fd, 0, 6)).toBe(6);
    expect(d.call(Syscall.Fcntl64, fd, 1030, 6)).toBe(7);
    expect(d.call(Syscall.Fcntl64, 7, 1, 0)).toBe(1);
    expect(d.call(Syscall.Fcntl64, fd, 0, 1024)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Fcntl64, fd, 999, 0)).toBe(-Errno.EINVAL);
  });

  it('F_GETFL reports the access mode, O_LARGEFILE and the status flags; F_SETFL changes only those it may', () => {
    const d = new CallDriver();
    const fd = open(d, '/c', O_CREAT_RW | OpenFlag.Append | OpenFlag.CloseOnExec);
    expect(d.call(Syscall.Fcntl64, fd, 3, 0)).toBe(OpenFlag.ReadWrite | OpenFlag.Append | OpenFlag.LargeFile);
    expect(d.call(Syscall.Fcntl64, fd, 4, OpenFlag.NonBlock | OpenFlag.ReadOnly)).toBe(0);
    expect(d.call(Syscall.Fcntl64, fd, 3, 0)).toBe(OpenFlag.ReadWrite | OpenFlag.NonBlock | OpenFlag.LargeFile);
  });

  it('O_APPEND writes at the end whatever the offset', () => {
    const d = new CallDriver();
    const fd = open(d, '/log', O_CREAT_RW | OpenFlag.Append);
    write(d, fd, 'one ');
    seek(d, fd, 0, 0);
    write(d, fd, 'two');
    seek(d, fd, 0, 0);
    expect(read(d, fd, 100)).toBe('one two');
  });

  it('pread64 and pwrite64 leave the offset alone; pipes and streams cannot seek', () => {
    const d = new CallDriver();
    const fd = open(d, '/p', O_CREAT_RW);
    write(d, fd, '0123456789');
    expect(d.call(Syscall.Pwrite64, fd, d.put(BUF, 'AB'), 2, 4, 0)).toBe(2);
    expect(d.call(Syscall.Pread64, fd, OUT, 6, 2, 0)).toBe(6);
    expect(d.text(OUT, 6)).toBe('23AB67');
    expect(seek(d, fd, 0, 1)).toBe(10);
    expect(d.call(Syscall.Pread64, fd, OUT, 1, -1, -1)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Pread64, 0, OUT, 1, 0, 0)).toBe(-Errno.ESPIPE);
    expect(seek(d, 1, 0, 0)).toBe(-Errno.ESPIPE);
    expect(seek(d, fd, 0, 7)).toBe(-Errno.EINVAL);
    expect(seek(d, fd, -20, 1)).toBe(-Errno.EINVAL);
  });

  it('refuses reads of write-only handles and writes of read-only ones with EBADF', () => {
    const d = new CallDriver();
    const w = open(d, '/w', OpenFlag.Create | OpenFlag.WriteOnly);
    expect(read(d, w, 1)).toBe(-Errno.EBADF);
    const r = open(d, '/w', OpenFlag.ReadOnly);
    expect(write(d, r, 'x')).toBe(-Errno.EBADF);
    expect(read(d, 1, 1)).toBe(-Errno.EBADF);
    expect(read(d, 77, 1)).toBe(-Errno.EBADF);
    expect(read(d, -1, 1)).toBe(-Errno.EBADF);
  });

  it('gives EMFILE when all 1024 slots are taken, and the lowest number once one is free', () => {
    const d = new CallDriver();
    for (let k = 3; k < 1024; k++) expect(d.call(Syscall.Dup, 1)).toBe(k);
    expect(d.call(Syscall.Dup, 1)).toBe(-Errno.EMFILE);
    expect(open(d, '/x', O_CREAT_RW)).toBe(-Errno.EMFILE);
    expect(d.call(Syscall.Pipe2, OUT, 0)).toBe(-Errno.EMFILE);
    d.call(Syscall.Close, 500);
    expect(d.call(Syscall.Dup, 1)).toBe(500);
  });

  it('ioctl is ENOTTY on every open handle and EBADF on others', () => {
    const d = new CallDriver();
    expect(d.call(Syscall.Ioctl, 1, 0x5413, OUT)).toBe(-Errno.ENOTTY);
    expect(d.call(Syscall.Ioctl, 40, 0x5413, OUT)).toBe(-Errno.EBADF);
  });
});

describe('guest buffers', () => {
  it('gives EFAULT for a buffer that is not mapped, and writes what it could copy before an unmapped page', () => {
    const out = new CollectedOutput();
    const d = new CallDriver({ stdout: out.sink });
    expect(d.call(Syscall.Write, 1, UNMAPPED, 10)).toBe(-Errno.EFAULT);
    const fd = open(d, '/f', O_CREAT_RW);
    write(d, fd, 'data');
    seek(d, fd, 0, 0);
    expect(d.call(Syscall.Read, fd, UNMAPPED, 4)).toBe(-Errno.EFAULT);
    expect(open(d, '/f', OpenFlag.ReadOnly)).toBeGreaterThan(0);
    expect(d.call(Syscall.Openat, AT_FDCWD, UNMAPPED, 0, 0)).toBe(-Errno.EFAULT);
    // The data segment ends at DATA_BASE + 64 KiB: 3 bytes before it, then unmapped.
    const end = DATA_BASE + 64 * 1024;
    d.put(end - 3, 'xyz');
    expect(d.call(Syscall.Write, 1, end - 3, 100)).toBe(3);
    expect(out.text()).toBe('xyz');
  });

  it('bounds a read into a huge buffer by what the object holds (nothing near 4 GiB is touched)', () => {
    const d = new CallDriver();
    const fd = open(d, '/small', O_CREAT_RW);
    write(d, fd, 'tiny');
    seek(d, fd, 0, 0);
    expect(d.call(Syscall.Read, fd, OUT, 0xffff_fff0)).toBe(4);
    expect(d.text(OUT, 4)).toBe('tiny');
  });

  it('reads a path only up to its NUL, and ENAMETOOLONG past PATH_MAX', () => {
    const d = new CallDriver();
    expect(open(d, `/${'a'.repeat(5000)}`, O_CREAT_RW)).toBe(-Errno.ENAMETOOLONG);
    // A path right before the end of the data segment, NUL included: fine.
    const end = DATA_BASE + 64 * 1024;
    d.put(end - 4, '/qq\0');
    expect(d.call(Syscall.Openat, AT_FDCWD, end - 4, O_CREAT_RW, 0o600)).toBe(3);
    // Without its NUL it runs into the unmapped page: EFAULT.
    d.put(end - 4, '/qqq');
    expect(d.call(Syscall.Openat, AT_FDCWD, end - 4, O_CREAT_RW, 0o600)).toBe(-Errno.EFAULT);
  });

  it('readv and writev gather and scatter across iovecs', () => {
    const d = new CallDriver();
    const fd = open(d, '/v', O_CREAT_RW);
    const iov = DATA_BASE + 0x2000;
    d.put(BUF, 'hello');
    d.put(BUF + 100, ', world');
    const words = new Uint32Array([BUF, 5, BUF + 100, 7]);
    d.put(iov, new Uint8Array(words.buffer));
    expect(d.call(Syscall.Writev, fd, iov, 2)).toBe(12);
    seek(d, fd, 0, 0);
    const back = new Uint32Array([OUT, 3, OUT + 100, 50]);
    d.put(iov, new Uint8Array(back.buffer));
    expect(d.call(Syscall.Readv, fd, iov, 2)).toBe(12);
    expect(d.text(OUT, 3)).toBe('hel');
    expect(d.text(OUT + 100, 9)).toBe('lo, world');
    expect(d.call(Syscall.Readv, fd, iov, 1025)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Writev, fd, UNMAPPED, 2)).toBe(-Errno.EFAULT);
  });
});

describe('pipes', () => {
  it('moves bytes, answers EAGAIN when empty and non-blocking, and EOF once the writer closed', () => {
    const d = new CallDriver();
    expect(d.call(Syscall.Pipe2, OUT, OpenFlag.NonBlock)).toBe(0);
    const r = d.u32(OUT), w = d.u32(OUT + 4);
    expect([r, w]).toEqual([3, 4]);
    expect(read(d, r, 10)).toBe(-Errno.EAGAIN);
    expect(write(d, w, 'ping')).toBe(4);
    expect(read(d, r, 10)).toBe('ping');
    d.call(Syscall.Close, w);
    expect(read(d, r, 10)).toBe('');
    expect(d.call(Syscall.Pipe2, OUT, 0x40)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Pipe2, UNMAPPED, 0)).toBe(-Errno.EFAULT);
    expect(d.call(Syscall.Fcntl64, r, 1032, 0)).toBe(65536);
  });

  it('blocks a reader of an empty pipe (one thread alone: a deadlock naming the pipe)', () => {
    const d = new CallDriver();
    d.call(Syscall.Pipe2, OUT, 0);
    const result = d.start(Syscall.Read, 3, OUT, 10);
    expect(result.kind).toBe('deadlock');
    expect(result.kind === 'deadlock' && result.message).toContain('pipe 1 (read end)');
  });

  it('kills the process with SIGPIPE (status 141) for a write with no reader', () => {
    const d = new CallDriver();
    d.call(Syscall.Pipe2, OUT, 0);
    d.call(Syscall.Close, 3);
    const result = d.start(Syscall.Write, 4, d.put(BUF, 'x'), 1);
    expect(result.kind).toBe('signal');
    expect(exitStatusOf(result)).toBe(141);
    expect(result.kind === 'signal' && result.message).toContain('SIGPIPE');
  });

  it('writes of at most PIPE_BUF are all-or-nothing when the pipe is nearly full', () => {
    const d = new CallDriver();
    d.call(Syscall.Pipe2, OUT, OpenFlag.NonBlock);
    const big = new Uint8Array(65536 - 100);
    d.put(BUF, big.subarray(0, 4096));
    let left = big.length;
    while (left > 0) left -= d.call(Syscall.Write, 4, BUF, Math.min(4096, left));
    expect(d.call(Syscall.Write, 4, BUF, 200)).toBe(-Errno.EAGAIN);
    expect(d.call(Syscall.Write, 4, BUF, 100)).toBe(100);
    expect(d.call(Syscall.Write, 4, BUF, 1)).toBe(-Errno.EAGAIN);
  });
});

describe('streams', () => {
  it('reads stdin from a string, then end of input', () => {
    const d = new CallDriver({ stdin: 'line one\nline two\n' });
    expect(read(d, 0, 9)).toBe('line one\n');
    expect(read(d, 0, 100)).toBe('line two\n');
    expect(read(d, 0, 100)).toBe('');
  });

  it('reads stdin chunk by chunk from a source function', () => {
    const chunks = ['ab', '', 'cde'];
    const d = new CallDriver({ stdin: () => (chunks.length > 0 ? new TextEncoder().encode(chunks.shift()!) : null) });
    expect(read(d, 0, 100)).toBe('ab');
    expect(read(d, 0, 2)).toBe('cd');
    expect(read(d, 0, 2)).toBe('e');
    expect(read(d, 0, 2)).toBe('');
  });

  it('an asynchronous source that has nothing yet blocks the reader, which a synchronous run reports', () => {
    const d = new CallDriver({ stdin: Object.assign(() => WOULD_BLOCK, { ready: () => new Promise<void>(() => {}) }) });
    const result = d.start(Syscall.Read, 0, OUT, 10);
    expect(result.kind).toBe('deadlock');
    expect(result.kind === 'deadlock' && result.message).toContain('stdin');
  });

  it('an asynchronous source wakes the reader under runAsync', async () => {
    let pending: (() => void) | null = null;
    let data: Uint8Array | null = null;
    const source = Object.assign(() => (data === null ? WOULD_BLOCK : (() => { const x = data; data = null; return x; })()), {
      ready: () => new Promise<void>((resolve) => { pending = resolve; }),
    });
    const d = new CallDriver({ stdin: source });
    const cpu = d.machine.cpu;
    cpu.pc = 0x10000;
    cpu.x[10] = 0; cpu.x[11] = OUT; cpu.x[12] = 10; cpu.x[17] = Syscall.Read;
    // The blocked attempt counts one instruction, the call that completes another.
    const run = d.machine.runAsync({ maxInstructions: 2 });
    for (let k = 0; k < 1000 && pending === null; k++) await new Promise((r) => setImmediate(r));
    data = new TextEncoder().encode('later');
    (pending as unknown as () => void)();
    const result = await run;
    expect(result.kind).toBe('limit');
    expect(cpu.x[10]).toBe(5);
    expect(d.text(OUT, 5)).toBe('later');
  });

  it('inputFromAsyncIterable feeds stdin chunk by chunk under runAsync, then end of input', async () => {
    async function* chunks(): AsyncGenerator<string> {
      yield 'first ';
      await new Promise((r) => setImmediate(r));
      yield 'second';
    }
    const d = new CallDriver({ stdin: inputFromAsyncIterable(chunks()) });
    const cpu = d.machine.cpu;
    const got: string[] = [];
    for (let k = 0; k < 10; k++) {
      cpu.pc = 0x10000;
      cpu.x[10] = 0; cpu.x[11] = OUT; cpu.x[12] = 100; cpu.x[17] = Syscall.Read;
      const before = cpu.instret;
      let result;
      do result = await d.machine.runAsync({ maxInstructions: 1 });
      while (result.kind === 'limit' && cpu.pc === 0x10000);
      expect(cpu.instret).toBeGreaterThan(before);
      const n = cpu.x[10]!;
      if (n === 0) break;
      got.push(d.text(OUT, n));
    }
    expect(got.join('')).toBe('first second');
  });
});
