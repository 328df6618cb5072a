/**
 * Byte ranges of a remote file over HTTP(S) with `fetch` only (no Node
 * modules: this runs in a browser too). One request per call, each bounded
 * by its own timeout (an AbortController), retried a bounded number of
 * times when the failure may pass (a network error, a timeout, a 5xx, a
 * short or corrupted answer); a 404, a 403 or a 416 is final at once.
 *
 *   attempt 1 ──timeout── attempt 2 ──timeout── ... attempt 1+retries ── RemoteImageError
 *              (delay d)             (delay 2d)
 *
 * The worst case before an error is therefore bounded:
 * `(retries + 1) × timeoutMs + retryDelayMs × (2^retries − 1)`.
 */

import { FaultlineError, UsageError } from '../../../src/index.js';

/**
 * A remote image could not be read: the server is unreachable, answered
 * with an error, never answered, or sent bytes that fail their CRC. The
 * message names the URL, the bytes (and page) asked for and the cause.
 *
 * @example
 * ```ts
 * try { await openRemoteChain(['http://localhost:1/x.ckpt']); }
 * catch (e) { if (e instanceof RemoteImageError) console.log(e.url, e.message); }
 * ```
 */
export class RemoteImageError extends FaultlineError {
  /**
   * Creates the error.
   *
   * @param message - the whole one-line message (URL, range, cause)
   * @param url - the URL that failed
   */
  constructor(message: string, readonly url: string) {
    super(message);
  }
}

/**
 * How remote images are fetched. Every field has a default.
 *
 * @example
 * ```ts
 * const options: FetchPolicy = { timeoutMs: 2000, retries: 2 };
 * ```
 */
export interface FetchPolicy {
  /** Milliseconds one request may take, headers and body (default 10 000). */
  readonly timeoutMs?: number;
  /** Further attempts after a failure that may pass (default 3). */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each next one (default 50 ms). */
  readonly retryDelayMs?: number;
  /** The `fetch` to use (default `globalThis.fetch`), e.g. one that adds credentials. */
  readonly fetch?: typeof globalThis.fetch;
}

/** {@link FetchPolicy} with its defaults applied. */
export interface ResolvedPolicy {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly fetch: typeof globalThis.fetch;
}

/** Default per-request timeout. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Default retries after the first attempt. */
const DEFAULT_RETRIES = 3;
/** Default first retry delay. */
const DEFAULT_RETRY_DELAY_MS = 50;

/**
 * Checks `policy` and applies the defaults.
 *
 * @throws UsageError naming `fn` and the field for a negative or non-integer value, or a `fetch` that is no function.
 */
export function resolvePolicy(fn: string, policy: FetchPolicy): ResolvedPolicy {
  const count = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new UsageError(`${fn}: ${name} must be an integer of at least ${min}, got ${String(value)}`);
    return value;
  };
  const f = policy.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new UsageError(`${fn}: no fetch function (give options.fetch)`);
  return {
    timeoutMs: count('timeoutMs', policy.timeoutMs, DEFAULT_TIMEOUT_MS, 1),
    retries: count('retries', policy.retries, DEFAULT_RETRIES, 0),
    retryDelayMs: count('retryDelayMs', policy.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 0),
    fetch: f.bind(globalThis),
  };
}

/**
 * The worst-case milliseconds one request takes under `policy` before it
 * gives up (every attempt times out), defaults applied.
 *
 * @param policy - timeout, retries and delay (defaults where not given)
 * @throws UsageError for a policy field that is not a valid count.
 * @example
 * ```ts
 * const bound = fetchBoundMs({});   // 40 750: 4 × 10 s + 50 + 100 + 200 ms
 * ```
 */
export function fetchBoundMs(policy: FetchPolicy): number {
  const p = resolvePolicy('fetchBoundMs', policy);
  return (p.retries + 1) * p.timeoutMs + p.retryDelayMs * (2 ** p.retries - 1);
}

/** What one range request asks for. */
export interface RangeRequest {
  readonly url: string;
  /** First byte. */
  readonly start: number;
  /** Bytes wanted (at least 1). */
  readonly length: number;
  /** What the bytes are, for messages (`header`, `page 12 of dataspace 3`). */
  readonly what: string;
  /** Accept fewer bytes when the file ends sooner (the first read of an image, whose size is not known yet). */
  readonly mayEndEarly?: boolean;
  /** Checks the bytes (e.g. their CRCs); returns why they are bad, or null. Bad bytes are fetched again. */
  readonly check?: (bytes: Uint8Array) => string | null;
}

/** Bytes of a range and what the server said about the whole file. */
export interface RangeAnswer {
  readonly bytes: Uint8Array;
  /** The file's size from `Content-Range`, or -1 when the server did not say. */
  readonly total: number;
}

/** A failure that no retry will cure. */
class Final extends Error {}

/**
 * Fetches `request.length` bytes at `request.start` of `request.url` with
 * a `Range` request, retrying as the policy says.
 *
 * @returns the bytes (exactly `length`, or fewer with `mayEndEarly` at the end of the file)
 * @throws RemoteImageError `URL: bytes A-B (what): cause` once every attempt failed, or at once for a final answer.
 */
export async function fetchRange(request: RangeRequest, policy: ResolvedPolicy): Promise<RangeAnswer> {
  const { url, start, length } = request;
  const end = start + length - 1;
  let cause = '';
  let attempts = 0;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await delay(policy.retryDelayMs * 2 ** (attempt - 1));
    attempts++;
    try {
      const answer = await once(request, policy, end);
      const bad = request.check?.(answer.bytes) ?? null;
      if (bad === null) return answer;
      cause = bad;
    } catch (err) {
      cause = err instanceof Error ? err.message : String(err);
      if (err instanceof Final) break;
    }
  }
  const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
  throw new RemoteImageError(`${url}: bytes ${start}-${end} (${request.what}): ${cause}${tries}`, url);
}

/** One attempt; throws Error (retry) or Final (give up). */
async function once(request: RangeRequest, policy: ResolvedPolicy, end: number): Promise<RangeAnswer> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, policy.timeoutMs);
  try {
    let response: Response;
    try {
      response = await policy.fetch(request.url, { headers: { Range: `bytes=${request.start}-${end}` }, signal: controller.signal });
    } catch (err) {
      throw new Error(timedOut ? `no answer within ${policy.timeoutMs} ms` : `no answer: ${describeNetworkError(err)}`);
    }
    const status = response.status;
    if (status === 404 || status === 410 || status === 403 || status === 401) {
      void response.body?.cancel().catch(() => {});
      throw new Final(`HTTP ${status}${response.statusText === '' ? '' : ` ${response.statusText}`}`);
    }
    if (status === 416) {
      void response.body?.cancel().catch(() => {});
      const total = totalOf(response.headers.get('content-range'));
      throw new Final(`HTTP 416 range not satisfiable${total >= 0 ? ` (the file has ${total} bytes)` : ''}`);
    }
    if (status !== 206 && status !== 200) {
      void response.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${status}${response.statusText === '' ? '' : ` ${response.statusText}`}`);
    }
    let total = -1;
    if (status === 206) {
      const range = response.headers.get('content-range');
      const m = range === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim());
      if (m === null) throw new Error(`206 answer with Content-Range ${range === null ? '(none)' : JSON.stringify(range)}`);
      if (Number(m[1]) !== request.start) throw new Error(`answer starts at byte ${m[1]}, not ${request.start}`);
      total = m[3] === '*' ? -1 : Number(m[3]);
    } else if (request.start !== 0) {
      // 200: the server ignored Range. Fetching the whole file for a piece defeats the purpose: say so.
      void response.body?.cancel().catch(() => {});
      throw new Final('the server ignores Range requests (answered 200 with the whole file); host images on a server that honours Range');
    }
    let body: ArrayBuffer;
    try {
      body = await response.arrayBuffer();
    } catch (err) {
      throw new Error(timedOut ? `no complete answer within ${policy.timeoutMs} ms` : `connection broke: ${describeNetworkError(err)}`);
    }
    let bytes = new Uint8Array(body);
    if (status === 200) {
      total = bytes.length;
      if (bytes.length > request.length) bytes = bytes.subarray(0, request.length);
    }
    const expected = total >= 0 && request.mayEndEarly === true ? Math.min(request.length, total - request.start) : request.length;
    if (bytes.length !== expected) throw new Error(`truncated answer: ${bytes.length} of ${expected} bytes`);
    return { bytes, total };
  } finally {
    clearTimeout(timer);
  }
}

/** The total of a `Content-Range: bytes A-B/TOTAL` or `bytes *\/TOTAL`, or -1. */
function totalOf(header: string | null): number {
  const m = header === null ? null : /\/(\d+)\s*$/.exec(header);
  return m === null ? -1 : Number(m[1]);
}

/** A fetch failure's cause, as specific as the platform says (undici wraps the socket error in `cause`). */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return err.message;
}

function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
