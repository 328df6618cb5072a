/**
 * The plugin kit: what fault-handling plugins need beyond the user API.
 * The stock plugins in `faultline/handlers` are built on exactly this and
 * `faultline`; a third-party plugin may use it too. **For plugin authors,
 * not needed by ordinary users**: a program that runs guests, registers
 * handlers or installs the stock plugins imports `faultline` (and
 * `faultline/handlers`) only.
 *
 * It holds: the nested region-map walk, layout capture and restore
 * planning for checkpoints, image encoding and decoding, page
 * verification and filling, owned-memory adoption and the Linux memory
 * bookkeeping, the reach of a guest-handler frame, region names, and
 * page-state queries.
 *
 * @example
 * ```ts
 * import { Machine, Prot } from 'faultline';
 * import { RegionWalk, walkRegions } from 'faultline/plugin-kit';
 *
 * const machine = new Machine();
 * const w = new RegionWalk();
 * const writable = walkRegions(machine.addressSpace.root, 0x1000_0000, w) && (w.rights & Prot.Write) !== 0;
 * ```
 *
 * @packageDocumentation
 * @module faultline/plugin-kit
 */

// Walking nested region maps, and where things are attached
export { RegionWalk, walkRegions } from './memory/walk.js';
export { attachmentsOf, type Attachment } from './kit/attachments.js';

// Region names and page states
export { RegionName } from './memory/mman.js';
export { pageState, pageFrame, frameGeneration, recordPageStates, recordReservedBytes, retirePages } from './kit/page-state.js';

// Owned anonymous memory and the Linux memory bookkeeping
export { linuxMemoryState, restoreLinuxMemoryState, isOwnedAnonymous, adoptAnonymous } from './kit/linux-memory-state.js';

// What the chain takes for a pending (asynchronous) answer
export { isThenable } from './fault/fault-chain.js';

// The reach of a guest-handler frame
export { GUEST_FRAME_REACH, guestFrameLow } from './kit/guest-frame.js';

// Plugins that take part in a restore
export { joinRestores, beginRestore, type RestoreParticipant } from './kit/restore-participants.js';

// Checkpoint images: layout capture, encoding, decoding, restore
export { ObjectIds, captureLayout, type CapturedLayout } from './checkpoint/layout-capture.js';
export { captureThreads, restoreThreads } from './threads/thread-state.js';
export { encodeImage, type ImageContents, type ImageIdentity, type PageSource as ImagePageSource } from './checkpoint/image-writer.js';
export { decodeImage, verifyPage, type DecodeOptions } from './checkpoint/image-reader.js';
export { planRestore, checkChainLink } from './checkpoint/restore-plan.js';
export { restoreMachine, checkFreshMachine, fillPage, type RestoreHooks, type RestoredObjects } from './checkpoint/machine-restore.js';
