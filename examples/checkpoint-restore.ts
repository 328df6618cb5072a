/**
 * checkpoint-restore.ts — full and incremental checkpoints of a running
 * guest, restored eagerly and lazily into fresh machines (docs/design.md §5).
 *
 * What it shows:
 * - the {@link checkpoint} plugin installed in a machine running a counter
 *   that prints 0, 1, 2, ... and keeps its number buffer on the heap;
 * - three images taken between runs: the first full, the next two
 *   incremental (only the pages written since the previous image, found
 *   with the dirty log, plus the stack);
 * - `restoreCheckpoint` rebuilding the state of the last image in a fresh
 *   machine, whose output continues exactly where the image was taken
 *   (the original machine's output from that point is the same);
 * - a lazy restore of the same chain: the machine starts with its memory
 *   unpopulated and copies a page from the images when the guest first
 *   touches it (demand paging), then `complete()` makes the layout exact;
 * - a damaged image refused with an error naming the image and offset.
 *
 * Run it:
 *
 *     npm run build && node dist/examples/checkpoint-restore.js
 *
 * Output (the same on every run: the random chain and image ids are in
 * the header, which the damaged THRD section's CRC does not cover; the
 * counter never touches its stack, so the lazy restore copies 2 of the 3
 * pages — program, heap, stack — before `complete()`):
 *
 *     image 0: full, 3 pages, 13712 bytes
 *     image 1: incremental, 2 pages, 9604 bytes
 *     image 2: incremental, 2 pages, 9604 bytes
 *     original continues: 114 115 116 117 118
 *     restored continues: 114 115 116 117 118
 *     lazy restore copied 2 of 3 pages with contents before completing
 *     refused: #1: offset 0x00000124: section 'THRD' is corrupted (CRC 0x9639df30, computed 0x60321759)
 */
import { CollectedOutput, Machine, assemble, FormatError } from '../src/index.js';
import { checkpoint, inspectImage, restoreCheckpoint, type ImageInput } from '../handlers/index.js';

const COUNTER = `
  .text
  .globl _start
_start:
  li   s0, 0               # the counter
  li   a0, 0               # brk(0): where the heap starts
  li   a7, 214
  ecall
  mv   s2, a0
  li   t0, 4096
  add  a0, s2, t0          # brk(start + 4096): one page of heap
  li   a7, 214
  ecall
loop:
  addi t0, s2, 16          # the number's digits end here, then a space
  li   t1, 32
  sb   t1, 0(t0)
  mv   t2, s0
  mv   t3, t0
  li   t1, 10
digits:
  addi t3, t3, -1
  remu t4, t2, t1
  addi t4, t4, 48
  sb   t4, 0(t3)
  divu t2, t2, t1
  bnez t2, digits
  li   a0, 1               # write(1, t3, t0 - t3 + 1)
  mv   a1, t3
  sub  a2, t0, t3
  addi a2, a2, 1
  li   a7, 64
  ecall
  addi s0, s0, 1
  j    loop
`;

const program = assemble(COUNTER, { fileName: 'counter.s' });
const printed = new CollectedOutput();
const original = new Machine({ memoryQuota: 64 << 20, stdout: printed.sink });
original.load(program);
const cp = checkpoint();
original.use(cp);

const images: ImageInput[] = [];
for (let k = 0; k < 3; k++) {
  original.run({ maxInstructions: 1000 });
  const bytes = cp.checkpoint();
  const image = inspectImage({ name: `#${k}`, bytes });
  console.log(`image ${k}: ${image.header.incremental ? 'incremental' : 'full'}, ${image.pages.ids.length} pages, ${bytes.length} bytes`);
  images.push({ name: `#${k}`, bytes });
}

/** The first five numbers `out` holds after offset `from`, running `machine` until it printed them. */
function fiveMore(machine: Machine, out: CollectedOutput, from = 0): string {
  const numbers = () => out.text().slice(from).split(' ').filter((n) => n !== '');
  while (numbers().length < 6) machine.run({ maxInstructions: 50 });
  return numbers().slice(0, 5).join(' ');
}

const cut = printed.text().length;            // what the original had printed at image 2
const tail = new CollectedOutput();
const restored = new Machine({ memoryQuota: 64 << 20, stdout: tail.sink });
restoreCheckpoint(restored, images);
console.log(`original continues: ${fiveMore(original, printed, cut)}`);
console.log(`restored continues: ${fiveMore(restored, tail)}`);

const lazyOut = new CollectedOutput();
const lazyMachine = new Machine({ memoryQuota: 64 << 20, stdout: lazyOut.sink });
const { lazy } = restoreCheckpoint(lazyMachine, images, { lazy: true });
lazyMachine.run({ maxInstructions: 200 });
console.log(`lazy restore copied ${lazy!.pagesServed} of ${lazy!.pagesTotal} pages with contents before completing`);
lazy!.complete();

const damaged = images.map((i) => ({ name: i.name, bytes: i.bytes.slice() }));
damaged[1]!.bytes[300]! ^= 0x10;
try {
  restoreCheckpoint(new Machine({ memoryQuota: 64 << 20 }), damaged);
} catch (err) {
  if (!(err instanceof FormatError)) throw err;
  console.log(`refused: ${err.message}`);
}
