/**
 * Linux's restartable-sequences ABI (include/uapi/linux/rseq.h) as rv32
 * uses it: the layouts of `struct rseq` and `struct rseq_cs`, the flags and
 * riscv's signature (docs/design.md §11, docs/rseq.md).
 *
 *   struct rseq (32 bytes, 32-aligned)      struct rseq_cs (32 bytes, 32-aligned)
 *   0   u32 cpu_id_start                    0   u32 version (0)
 *   4   u32 cpu_id                          4   u32 flags (0)
 *   8   u64 rseq_cs  (pointer, low first)   8   u64 start_ip
 *   16  u32 flags                           16  u64 post_commit_offset
 *   20  u32 node_id                         24  u64 abort_ip
 *   24  u32 mm_cid
 *   28  end (AT_RSEQ_FEATURE_SIZE)
 */

/**
 * riscv's `RSEQ_SIG`: the 32-bit word that must precede every `abort_ip`
 * (it encodes `csrw ustatus, ...`-like bits no compiler emits there).
 *
 * @example
 * ```ts
 * // a0 = &rseq, a1 = 32, a2 = 0, a3 = RSEQ_SIG, a7 = 293
 * const sig = RSEQ_SIG; // 0xf1401073
 * ```
 */
export const RSEQ_SIG = 0xf1401073;

/**
 * Byte offsets of `struct rseq`'s fields.
 *
 * @example
 * ```ts
 * const cpu = machine.addressSpace.readU32(area + RseqField.cpuId);
 * ```
 */
export const RseqField = {
  /** `cpu_id_start`: the CPU the thread runs on (never -1 once registered). */
  cpuIdStart: 0,
  /** `cpu_id`: the CPU, or -1 before registration, -2 when it failed. */
  cpuId: 4,
  /** `rseq_cs`: 64-bit pointer to the current `struct rseq_cs`, 0 outside a section. */
  rseqCs: 8,
  /** `flags`: must be 0 (the old no-restart flags are refused). */
  flags: 16,
  /** `node_id`: the NUMA node, always 0 here. */
  nodeId: 20,
  /** `mm_cid`: the concurrency id (here: the virtual CPU). */
  mmCid: 24,
} as const;

/**
 * Byte offsets of `struct rseq_cs`'s fields (each 64-bit but `version`
 * and `flags`).
 *
 * @example
 * ```ts
 * const abortIp = machine.addressSpace.readU32(cs + RseqCsField.abortIp);
 * ```
 */
export const RseqCsField = {
  /** `version`: must be 0. */
  version: 0,
  /** `flags`: must be 0. */
  flags: 4,
  /** `start_ip`: first instruction of the critical section. */
  startIp: 8,
  /** `post_commit_offset`: bytes from `start_ip` to just after the commit. */
  postCommitOffset: 16,
  /** `abort_ip`: where an aborted section goes (the signature is the word before). */
  abortIp: 24,
} as const;

/**
 * `ORIG_RSEQ_SIZE`: the original `struct rseq` length, and its alignment.
 *
 * @example
 * ```ts
 * const area = 0x20000; // a multiple of RSEQ_ORIG_SIZE
 * const ok = area % RSEQ_ORIG_SIZE === 0;
 * ```
 */
export const RSEQ_ORIG_SIZE = 32;
/** `AT_RSEQ_FEATURE_SIZE`: `offsetof(struct rseq, end)`, the fields this kernel knows. */
export const RSEQ_FEATURE_SIZE = 28;
/**
 * Bytes of `struct rseq_cs`.
 *
 * @example
 * ```ts
 * const abortIpHigh = machine.addressSpace.readU32(cs + RSEQ_CS_SIZE - 4);
 * ```
 */
export const RSEQ_CS_SIZE = 32;
/**
 * `RSEQ_FLAG_UNREGISTER`: the only flag `rseq` accepts.
 *
 * @example
 * ```ts
 * // a0 = &rseq, a1 = 32, a2 = RSEQ_FLAG_UNREGISTER, a3 = RSEQ_SIG, a7 = 293
 * ```
 */
export const RSEQ_FLAG_UNREGISTER = 1;
/** `RSEQ_CPU_ID_UNINITIALIZED`: `cpu_id` of a thread that is not registered. */
export const RSEQ_CPU_ID_UNINITIALIZED = -1;

/**
 * Linux's `TASK_SIZE` for the checks of a `struct rseq_cs`: faultline's
 * guest owns the whole 32-bit space, so an address is valid when it is
 * below 2^32 (docs/decisions.md, "Restartable sequences").
 */
export const RSEQ_TASK_SIZE = 2 ** 32;
