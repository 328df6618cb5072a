/**
 * Checkpoint images over HTTP (docs/remote-images.md): open a chain of
 * images on any server that honours `Range`, restore from it lazily (each
 * page on first touch, CRC-checked, batched with its neighbours) or
 * eagerly, record the first-touch order and prefetch by it. `fetch` only:
 * it runs in a browser as well as in Node.
 */

export { RemoteImageError, fetchBoundMs, type FetchPolicy } from './range-fetch.js';
export type { TransferStats } from './remote-image.js';
export { RemoteChain, openRemoteChain, isRemoteUrl, type RemoteChainOptions, type RemoteImageInfo } from './remote-chain.js';
export { restoreRemote, type RemoteRestore, type RemoteRestoreOptions } from './remote-restore.js';
export { encodeTouchOrder, decodeTouchOrder, type TouchOrder } from './touch-order.js';
