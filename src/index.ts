/**
 * faultline: a userspace fault-handling framework on an emulated RISC-V
 * RV32IMA machine. This module is the public surface for users: the
 * machine, faults and the handler chain, memory, programs, and the
 * checkpoint image format's types. Plugin authors find the rest in
 * `faultline/plugin-kit`.
 *
 * @example
 * ```ts
 * import { Machine, assemble, FaultStatus, CollectedOutput } from 'faultline';
 *
 * const out = new CollectedOutput();
 * const machine = new Machine({ stdout: out.sink });
 * machine.load(assemble('li t0, 0x50000000\n lw a0, 0(t0)\n li a7, 93\n ecall\n'));
 * machine.registerFaultHandler((fault, ctx) => {
 *   ctx.regs[10] = 42;   // pretend the load read 42
 *   ctx.pc += 4;         // and skip it
 *   return FaultStatus.Fixed;
 * });
 * console.log(machine.run());   // { kind: 'exit', exitCode: 42 }
 * ```
 *
 * @packageDocumentation
 * @module faultline
 */

// Errors
export { FaultlineError, FormatError, QuotaExceededError, UsageError, hex32 } from './errors.js';

// The machine
export { Machine, type MachineOptions, type MachineLoadOptions, type RunOptions } from './machine/machine.js';
export { type RunResult, Signal, signalForCause, exitStatusOf, DEADLOCK_STATUS } from './machine/run-result.js';
export { CollectedOutput, type OutputSink } from './machine/output.js';
export type { Plugin, Uninstall } from './machine/plugin.js';
export type { MachineEvents } from './machine/events.js';
export { Cpu, StopReason, type CpuOptions, type Tier } from './cpu/cpu.js';
export {
  GuestHandlerRegistry,
  type GuestHandlerInfo,
  TRAMPOLINE_ADDRESS,
  RED_ZONE,
  DEFAULT_HANDLER_INSTRUCTION_LIMIT,
  UserContextLayout,
  FaultInfoLayout,
  FaultInfoFlags,
} from './machine/guest-handlers.js';

// Threads
export { GuestThread, ThreadState } from './threads/guest-thread.js';
export { HartState, type HartStateFields } from './cpu/hart-state.js';
export { DEFAULT_TIME_SLICE, GUEST_PID } from './threads/scheduler.js';
export { CloneFlag, FutexOp } from './syscalls/thread-abi.js';

// Faults and the handler chain
export { Fault } from './fault/fault.js';
export { Access, Cause, accessName, causeName } from './fault/cause.js';
export { FaultStatus } from './fault/status.js';
export { FaultChain, type FaultHandler, type RegisterOptions, type Unregister, type ChainEntry } from './fault/fault-chain.js';
export { UserContext } from './fault/user-context.js';
export { HandlerError, LivelockError } from './fault/handler-error.js';
export { ExceptionTable, ExtableType } from './fault/exception-table.js';

// Memory
export { PhysicalMemory, type PhysicalMemoryOptions, DEFAULT_QUOTA, MAX_QUOTA, wasmMemorySupported } from './memory/physical-memory.js';
export { Dataspace, type DataspaceOptions } from './memory/dataspace.js';
export { RegionMap, type AttachOptions, type RightsOptions, type RegionMapOptions } from './memory/region-map.js';
export type { RegionInfo, AttachTarget } from './memory/region.js';
export { AddressSpace, type AddressSpaceOptions } from './memory/address-space.js';
export { LinuxMemory, type MapAnonymousOptions, type LinuxMemoryState } from './syscalls/linux-memory.js';
export { ProtectionLayer } from './memory/protection-layer.js';
export { TranslationFault } from './memory/translation-fault.js';
export { type MapsEntry } from './memory/maps-format.js';
export { MapFlags, MMAP_BASE } from './memory/mman.js';
export { PAGE_SIZE, PAGE_SHIFT, PAGE_MASK, Prot, ALL_RIGHTS } from './memory/page.js';

// Programs
export type { Program, ProgramSegment, ExtableEntry } from './loader/program.js';
export { parseElf } from './loader/elf-reader.js';
export { writeElf, type ElfWriteOptions } from './loader/elf-writer.js';
export { STACK_TOP, DEFAULT_STACK_SIZE, type LoadOptions } from './loader/load-program.js';
export { assemble, type AssembleOptions } from './asm/assemble.js';
export { AssemblyError, type Diagnostic } from './asm/assembly-error.js';
export { disassemble } from './disasm/disassemble.js';

// Checkpoint images: the format and its types (the plugin is in
// faultline/handlers; encoding, decoding and restoring are in the plugin kit)
export { crc32 } from './checkpoint/crc32.js';
export {
  IMAGE_MAGIC,
  IMAGE_VERSION,
  OLDEST_IMAGE_VERSION,
  HeaderField,
  PageState,
  SectionTag,
  tagName,
  type ImageHeader,
  type MachineMeta,
  type CpuState,
  type ThreadRecord,
  type ThreadsState,
  type DataspaceRecord,
  type RegionRecord,
  type RegionMapRecord,
  type ProtectionRun,
  type LayoutState,
  type GuestHandlersState,
  type PageIndex,
  type DecodedImage,
  type MachineSections,
  type CapabilityState,
  type SectionInfo,
} from './checkpoint/image-format.js';
export type { RestorePlan, PageSources } from './checkpoint/restore-plan.js';

// Guest ABI numbers
export { Errno } from './syscalls/errno.js';
export { Syscall } from './syscalls/numbers.js';

// The machine's file system: the in-memory tree, mounts, checkpoint images
export {
  FileSystem,
  RenameFlags,
  DEFAULT_FS_QUOTA,
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_MAX_NODES,
  MEMORY_DEV,
  type FileSystemOptions,
  type DirEntry,
  type OpenOptions,
  type AtOptions,
  type MountedFileIdentity,
} from './fs/file-system.js';
export { FsNode } from './fs/fs-node.js';
export { FileType, DirentType, PERMISSION_BITS, STAT_BLOCK_SIZE, typeBits, direntType, type FsStat, type NodeKind } from './fs/fs-stat.js';
export type { MountedDirectory, HostStat, HostFile, HostOpenOptions } from './fs/mounted-directory.js';
export type { MountOptions, MountInfo } from './fs/mount.js';
export { MAX_PATH_BYTES, MAX_NAME_BYTES, MAX_SYMLINKS, type ParentLookup, type LastComponent } from './fs/path-walk.js';
export { captureTree, applyTreeImage, TREE_IMAGE_MAGIC, TREE_IMAGE_VERSION, type ApplyTreeOptions } from './fs/tree-image.js';
export { describeTree } from './fs/describe-tree.js';

// Handles: the guest's capability space, streams, services, time and randomness
export { HandleSpace, DEFAULT_UMASK } from './handles/handle-space.js';
export { HandleTable, DEFAULT_HANDLE_LIMIT } from './handles/handle-table.js';
export { OpenFile, ObjectKind, OpenFlag, type HandleObject } from './handles/open-file.js';
export { PIPE_CAPACITY, PIPE_BUF } from './handles/pipe.js';
export { WOULD_BLOCK, inputFromAsyncIterable, inputFromBytes, type InputSource, type StdinOption } from './handles/stream.js';
export { ServiceRegistry, SERVICE_PREFIX, type ServiceProvider, type ServiceSession, type ServiceOpenArgs } from './handles/services.js';
export { GuestClock, ClockId, VIRTUAL_EPOCH_S, type TimeSpec, type GuestClockOptions } from './handles/clock.js';
export { GuestRandom, RANDOM_STATE_WORDS } from './handles/random.js';
export {
  captureHandleSpace,
  restoreHandleSpace,
  HANDLE_SPACE_MAGIC,
  HANDLE_SPACE_VERSION,
  type RestoreHandleSpaceOptions,
} from './handles/handle-space-image.js';
export type { MachineMount } from './machine/machine.js';
// Restartable sequences (docs/rseq.md)
export { RseqEvent, RseqRegistration } from './threads/rseq-registration.js';
export { RSEQ_SIG, RSEQ_FLAG_UNREGISTER, RSEQ_ORIG_SIZE, RSEQ_CS_SIZE, RseqCsField, RseqField } from './syscalls/rseq-abi.js';
export type { RseqRecord } from './checkpoint/image-format.js';
// Debugging: the GDB remote protocol, watchpoints on the chain, reverse execution (docs/debugging.md)
export { GdbStub, type GdbStubOptions, type StubEnd } from './debug/gdb-stub.js';
export { PacketDecoder, encodePacket, latin1, fromLatin1, MAX_PACKET_SIZE, type PacketEvent } from './debug/packet-codec.js';
export { Watchpoints, WatchKind, type WatchHit, type WatchedRange } from './debug/watchpoints.js';
export { ReverseExecution, runExactly, type ReverseOptions, type SnapshotUsage } from './debug/reverse.js';
export type { Rewinder } from './debug/rewinder.js';
export { monitorCommand, type MonitorHost } from './debug/monitor.js';
export { TARGET_FILES, REGISTER_NAMES, PC_REGNUM } from './debug/target-description.js';
