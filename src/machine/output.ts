/**
 * Receives what the guest writes to a file descriptor. Called synchronously
 * with a fresh copy of the bytes; must not throw.
 *
 * @param bytes - what the guest wrote in one `write` call (the sink may keep it)
 *
 * @example
 * ```ts
 * const machine = new Machine({ stdout: (bytes) => process.stdout.write(bytes) });
 * ```
 */
export type OutputSink = (bytes: Uint8Array) => void;

/**
 * An {@link OutputSink} that keeps everything, for tests and examples.
 *
 * @example
 * ```ts
 * const out = new CollectedOutput();
 * const machine = new Machine({ stdout: out.sink });
 * machine.run();
 * console.log(out.text());
 * ```
 */
export class CollectedOutput {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  /** The sink to pass to the machine (bound: it can be passed around alone). */
  readonly sink: OutputSink = (bytes) => {
    this.chunks.push(bytes);
    this.length += bytes.length;
  };

  /**
   * All bytes written so far, in one fresh array.
   *
   * @example
   * ```ts
   * const out = new CollectedOutput();
   * out.sink(new Uint8Array([104, 105]));
   * out.bytes();   // Uint8Array [104, 105]
   * ```
   */
  bytes(): Uint8Array {
    const all = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) { all.set(chunk, at); at += chunk.length; }
    return all;
  }

  /**
   * All bytes written so far, decoded as UTF-8 (invalid sequences become U+FFFD).
   *
   * @example
   * ```ts
   * const out = new CollectedOutput();
   * out.sink(new TextEncoder().encode('hi\n'));
   * out.text();   // 'hi\n'
   * ```
   */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}
