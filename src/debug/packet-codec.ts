/**
 * Framing of the GDB remote serial protocol: `$payload#cs` packets with a
 * modulo-256 checksum, `}`-escapes (byte XOR 0x20) and `+`/`-`
 * acknowledgements; a lone 0x03 byte is an interrupt (Ctrl-C).
 *
 *   bytes in ──► PacketDecoder.push ──► events: packet | interrupt | ack | nak | bad
 *   payload  ──► encodePacket       ──► bytes out
 *
 * Pure: no I/O, no `node:` module. Hostile input never throws: a bad
 * checksum or an oversized packet becomes a `bad` event (the stub answers
 * `-` and, for an oversized one, `E01`), garbage between packets is
 * skipped.
 */

/**
 * Largest payload the decoder accepts (decoded bytes); advertised as `PacketSize`.
 *
 * @example
 * ```ts
 * if (payload.length > MAX_PACKET_SIZE) reply('E01');
 * ```
 */
export const MAX_PACKET_SIZE = 0x4000;

/**
 * What {@link PacketDecoder.push} found in the bytes.
 *
 * @example
 * ```ts
 * const e: PacketEvent = { kind: 'packet', payload: new TextEncoder().encode('g') };
 * ```
 */
export type PacketEvent =
  | {
      /** A packet with a good checksum. */
      readonly kind: 'packet';
      /** Its payload, escapes undone. */
      readonly payload: Uint8Array;
    }
  | {
      /** A lone 0x03 byte (Ctrl-C). */
      readonly kind: 'interrupt';
    }
  | {
      /** `+`: the client got our last packet. */
      readonly kind: 'ack';
    }
  | {
      /** `-`: the client wants our last packet again. */
      readonly kind: 'nak';
    }
  | {
      /** A packet that cannot be used. */
      readonly kind: 'bad';
      /** Why: a wrong checksum, or more than {@link MAX_PACKET_SIZE} bytes. */
      readonly reason: 'checksum' | 'oversized';
    };

const enum State { Idle, Body, Escape, Sum1, Sum2 }

/**
 * Splits a byte stream into protocol events. Feed it whatever the
 * transport delivers, in any chunking.
 *
 * @example
 * ```ts
 * const decoder = new PacketDecoder();
 * for (const e of decoder.push(new TextEncoder().encode('+$g#67'))) console.log(e.kind);
 * ```
 */
export class PacketDecoder {
  private state = State.Idle;
  private body = new Uint8Array(256);
  private length = 0;
  private sum = 0;
  private given = 0;
  private oversized = false;

  /** True while a packet has started but not ended (a client that leaves now left mid-packet). */
  get inPacket(): boolean {
    return this.state !== State.Idle;
  }

  /**
   * Decodes `bytes`, returning the events they complete, in order.
   *
   * @param bytes - the next bytes from the client
   */
  push(bytes: Uint8Array): PacketEvent[] {
    const out: PacketEvent[] = [];
    for (let k = 0; k < bytes.length; k++) {
      const b = bytes[k]!;
      switch (this.state) {
        case State.Idle:
          if (b === 0x24) { this.state = State.Body; this.length = 0; this.sum = 0; this.oversized = false; }
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          else if (b === 0x2b) out.push({ kind: 'ack' });
          else if (b === 0x2d) out.push({ kind: 'nak' });
          break; // anything else between packets is noise
        case State.Body:
          if (b === 0x23) { this.state = State.Sum1; break; }
          this.sum = (this.sum + b) & 0xff;
          if (b === 0x7d) { this.state = State.Escape; break; }
          this.append(b);
          break;
        case State.Escape:
          this.sum = (this.sum + b) & 0xff;
          this.append(b ^ 0x20);
          this.state = State.Body;
          break;
        case State.Sum1:
          this.given = hexDigit(b) << 4;
          this.state = State.Sum2;
          break;
        case State.Sum2: {
          const given = this.given | hexDigit(b);
          this.state = State.Idle;
          if (this.oversized) out.push({ kind: 'bad', reason: 'oversized' });
          else if (given !== this.sum) out.push({ kind: 'bad', reason: 'checksum' });
          else out.push({ kind: 'packet', payload: this.body.slice(0, this.length) });
          break;
        }
      }
    }
    return out;
  }

  private append(b: number): void {
    if (this.length >= MAX_PACKET_SIZE) { this.oversized = true; return; }
    if (this.length === this.body.length) {
      const bigger = new Uint8Array(this.body.length * 2);
      bigger.set(this.body);
      this.body = bigger;
    }
    this.body[this.length++] = b;
  }
}

/** Value of a hex digit, or 0x100 (never a valid checksum) for anything else. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return 0x100;
}

/**
 * `$payload#cs` for `payload`, escaping `$`, `#`, `}` and `*` (binary
 * replies such as `qXfer` may hold any byte).
 *
 * @param payload - the reply text (latin-1 for strings) or bytes
 * @example
 * ```ts
 * encodePacket('OK'); // bytes of "$OK#9a"
 * ```
 */
export function encodePacket(payload: string | Uint8Array): Uint8Array {
  const src = typeof payload === 'string' ? latin1(payload) : payload;
  const out = new Uint8Array(src.length * 2 + 4);
  let n = 0, sum = 0;
  out[n++] = 0x24;
  for (let k = 0; k < src.length; k++) {
    const b = src[k]!;
    if (b === 0x24 || b === 0x23 || b === 0x7d || b === 0x2a) {
      out[n++] = 0x7d;
      out[n++] = b ^ 0x20;
      sum += 0x7d + (b ^ 0x20);
    } else {
      out[n++] = b;
      sum += b;
    }
  }
  out[n++] = 0x23;
  const hex = (sum & 0xff).toString(16).padStart(2, '0');
  out[n++] = hex.charCodeAt(0);
  out[n++] = hex.charCodeAt(1);
  return out.slice(0, n);
}

/**
 * The bytes of `text`, one per character (characters above 0xff are
 * truncated: protocol text is ASCII).
 *
 * @param text - ASCII or latin-1 text
 * @example
 * ```ts
 * latin1('OK'); // Uint8Array [0x4f, 0x4b]
 * ```
 */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) out[k] = text.charCodeAt(k) & 0xff;
  return out;
}

/**
 * `bytes` as text, one character per byte.
 *
 * @param bytes - a packet's payload
 * @example
 * ```ts
 * fromLatin1(new Uint8Array([0x67])); // 'g'
 * ```
 */
export function fromLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 4096) s += String.fromCharCode(...bytes.subarray(k, k + 4096));
  return s;
}
