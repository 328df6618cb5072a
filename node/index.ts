/**
 * faultline's Node-only pieces (`faultline/node`): host directories
 * mountable into a machine's file system.
 *
 * @example
 * ```ts
 * import { HostDirectory } from 'faultline/node';
 * ```
 *
 * @module
 */

export { HostDirectory, hostErrno, type HostDirectoryOptions } from './host-directory.js';
export { socketChannel, connectMigration, listenForMigration, type MigrationListener } from './migration-channel.js';
