/**
 * Headless Chromium for tests that check what a person would see: pages
 * and reports opened in a real browser, driven over the DevTools protocol
 * on a pipe (`--remote-debugging-pipe`: JSON messages separated by NUL on
 * file descriptors 3 and 4), so no npm package and no download is needed.
 *
 * Tests are wrapped in {@link describeWithBrowser}: skipped with a message
 * naming `chromium` when it is absent, failing instead under
 * `FAULTLINE_REQUIRE_TOOLS=1` (CI installs it).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describeWithTools } from './toolchain.js';

/** Debian's headless-capable browser. */
export const CHROMIUM = 'chromium';

/** `describe(title, body)` when Chromium is installed, with the skip rule of describeWithTools. */
export function describeWithBrowser(title: string, body: () => void): void {
  describeWithTools(CHROMIUM, title, body);
}

/** One message the page produced. */
export interface PageMessage {
  level: 'log' | 'info' | 'warning' | 'error';
  text: string;
}

/** A page open in a headless browser of its own. */
export interface BrowserPage {
  /** Console API messages, uncaught exceptions and failed loads seen so far. */
  readonly messages: PageMessage[];
  /** The error-level messages (console.error, exceptions, failed network requests). */
  errors(): string[];
  /** Evaluates `expression` in the page (awaiting a promise); returns its JSON value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy, up to `timeoutMs` (default 60 s); throws naming it otherwise. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** Writes a PNG of the whole page to `path`. */
  screenshot(path: string): Promise<void>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Options of {@link openPage}. */
export interface OpenPageOptions {
  /** Bound on starting, loading and each protocol call (default 60 s). */
  timeoutMs?: number;
  /** Viewport width in CSS pixels (default 1280). */
  width?: number;
  /** Viewport height in CSS pixels (default 800). */
  height?: number;
}

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
}

type Listener = (params: Record<string, unknown>) => void;

/** The DevTools protocol over the browser's pipe. */
class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Listener[]>();
  private buffer = '';
  private closedBecause: string | null = null;

  constructor(private readonly out: Writable, input: Readable, private readonly timeoutMs: number) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.receive(chunk));
    input.on('close', () => this.fail('the browser closed its DevTools pipe'));
  }

  /** Sends `method` (to `sessionId`'s target if given) and resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.closedBecause !== null) return Promise.reject(new Error(`${method}: ${this.closedBecause}`));
    const id = this.nextId++;
    const message: Record<string, unknown> = { id, method, params };
    if (sessionId !== undefined) message['sessionId'] = sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from the browser within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.out.write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Calls `listener` for every event named `method`. */
  on(method: string, listener: Listener): void {
    const list = this.listeners.get(method) ?? [];
    list.push(listener);
    this.listeners.set(method, list);
  }

  /** Resolves at the next event named `method`. */
  once(method: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      let done = false;
      this.on(method, (params) => {
        if (!done) { done = true; resolve(params); }
      });
    });
  }

  /** Rejects every pending call: the browser is gone. */
  fail(reason: string): void {
    if (this.closedBecause !== null) return;
    this.closedBecause = reason;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      const message = JSON.parse(text) as { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string } };
      if (message.id !== undefined) {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined) p?.reject(new Error(message.error.message));
        else p?.resolve(message.result ?? {});
      } else if (message.method !== undefined) {
        for (const l of this.listeners.get(message.method) ?? []) l(message.params ?? {});
      }
    }
  }
}

/** The text of a console API call's arguments. */
function consoleText(args: unknown): string {
  if (!Array.isArray(args)) return '';
  return args.map((a: { value?: unknown; description?: string; unserializableValue?: string }) =>
    a.value !== undefined ? String(a.value) : a.description ?? a.unserializableValue ?? '').join(' ');
}

function levelOf(type: string): PageMessage['level'] {
  if (type === 'error' || type === 'assert') return 'error';
  if (type === 'warning' || type === 'warn') return 'warning';
  if (type === 'info') return 'info';
  return 'log';
}

/**
 * Opens `url` (`http://…` or `file://…`) in a fresh headless Chromium and
 * resolves once its load event fired.
 */
export async function openPage(url: string, options: OpenPageOptions = {}): Promise<BrowserPage> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profile = mkdtempSync(join(tmpdir(), 'faultline-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--remote-debugging-pipe',
    `--user-data-dir=${profile}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => { stderr = (stderr + s).slice(-4000); });
  const connection = new Connection(child.stdio[3] as Writable, child.stdio[4] as Readable, timeoutMs);
  child.on('error', (e) => connection.fail(`${CHROMIUM} did not start: ${e.message}`));
  child.on('exit', (code, signal) => connection.fail(`${CHROMIUM} exited (${signal ?? code}): ${stderr.trim().split('\n').pop() ?? ''}`));

  const closeAll = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      connection.send('Browser.close').catch(() => undefined);
      const killTimer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(profile, { recursive: true, force: true });
  };

  try {
    const { targetId } = await connection.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const { sessionId } = await connection.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    const messages: PageMessage[] = [];
    connection.on('Runtime.consoleAPICalled', (p) => messages.push({ level: levelOf(String(p['type'])), text: consoleText(p['args']) }));
    connection.on('Runtime.exceptionThrown', (p) => {
      const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } };
      messages.push({ level: 'error', text: d.exception?.description ?? d.text ?? 'uncaught exception' });
    });
    connection.on('Log.entryAdded', (p) => {
      const e = p['entry'] as { level: string; text: string; url?: string };
      messages.push({ level: levelOf(e.level), text: e.url !== undefined ? `${e.text} (${e.url})` : e.text });
    });
    const call = (method: string, params: Record<string, unknown> = {}) => connection.send(method, params, sessionId);
    await call('Runtime.enable');
    await call('Log.enable');
    await call('Page.enable');
    await call('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1280, height: options.height ?? 800, deviceScaleFactor: 1, mobile: false });
    const loaded = connection.once('Page.loadEventFired');
    const navigation = await call('Page.navigate', { url }) as { errorText?: string };
    if (navigation.errorText !== undefined) throw new Error(`${url}: ${navigation.errorText}`);
    let loadTimer: NodeJS.Timeout | undefined;
    await Promise.race([loaded, new Promise((_, reject) => {
      loadTimer = setTimeout(() => reject(new Error(`${url}: not loaded within ${timeoutMs} ms`)), timeoutMs);
    })]).finally(() => clearTimeout(loadTimer));

    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await call('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }) as {
        result: { value?: T }; exceptionDetails?: { text?: string; exception?: { description?: string } };
      };
      if (r.exceptionDetails !== undefined) {
        throw new Error(`${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text ?? 'threw'}`);
      }
      return r.result.value as T;
    };
    return {
      messages,
      errors: () => messages.filter((m) => m.level === 'error').map((m) => m.text),
      evaluate,
      async waitFor(expression: string, waitMs = 60_000): Promise<void> {
        const deadline = Date.now() + waitMs;
        for (;;) {
          if (await evaluate<unknown>(`Boolean(${expression})`)) return;
          if (Date.now() > deadline) throw new Error(`${expression} did not become true within ${waitMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async screenshot(path: string): Promise<void> {
        const { data } = await call('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }) as { data: string };
        writeFileSync(path, Buffer.from(data, 'base64'));
      },
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
