/**
 * Receives what the guest writes to a file descriptor. Called synchronously
 * with a fresh copy of the bytes; must not throw.
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
  /** The sink to pass to the machine. */
  readonly sink: OutputSink = (bytes) => {
    this.chunks.push(bytes);
    this.length += bytes.length;
  };

  /** All bytes written so far. */
  bytes(): Uint8Array {
    const all = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) { all.set(chunk, at); at += chunk.length; }
    return all;
  }

  /** All bytes written so far, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}
