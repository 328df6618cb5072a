/**
 * The arguments and environment env-args.c is run with, and what it must
 * print: shared by env-args.test.ts (qemu-riscv32) and
 * env-args-faultline.test.ts (`faultline run --env`).
 */

import { fileURLToPath } from 'node:url';

/** The program (env-args.c). */
export const ENV_ARGS_SOURCE = fileURLToPath(new URL('./env-args.c', import.meta.url));
/** The arguments and environment the program gets, and what it prints. */
export const ARGS = ['plain', 'with two spaces', '', 'ünïcødé ✓'];
/** FL_GREETING_NOTE must not answer getenv("FL_GREETING_NOT"): a prefix is not a name. */
export const ENV = { FL_GREETING: 'hello world', FL_EMPTY: '', FL_GREETING_NOTE: 'a longer name' };

export const EXPECTED = `argc=5
argv[1]=[plain] (5 bytes)
argv[2]=[with two spaces] (15 bytes)
argv[3]=[] (0 bytes)
argv[4]=[ünïcødé ✓] (${Buffer.byteLength('ünïcødé ✓')} bytes)
argv[argc] is NULL: 1
getenv(FL_GREETING) = [hello world]
getenv(FL_EMPTY) = []
getenv(FL_MISSING) = NULL
getenv(FL_GREETING_NOT) = NULL
FL_ variables in environ: 3, envp is environ: 1
`;
