/**
 * The target description GDB reads with `qXfer:features:read:target.xml`:
 * architecture `riscv:rv32` and the `org.gnu.gdb.riscv.cpu` feature
 * (x0..x31 under their ABI names, then pc: GDB register numbers 0..32),
 * as `qemu-riscv32 -g` describes its integer registers. RV32IMA has no
 * floating point, so there is no FPU feature; GDB prints the same
 * `info registers` as against qemu (only the general group).
 */

/**
 * ABI names of x0..x31, in register-number order.
 *
 * @example
 * ```ts
 * REGISTER_NAMES[10]; // 'a0'
 * ```
 */
export const REGISTER_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1',
  'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11',
  't3', 't4', 't5', 't6',
];

/**
 * GDB's number of the pc register.
 *
 * @example
 * ```ts
 * stub.receive(encodePacket(`p${PC_REGNUM.toString(16)}`)); // read pc
 * ```
 */
export const PC_REGNUM = 32;

function typeOf(name: string): string {
  if (name === 'ra') return 'code_ptr';
  if (name === 'sp' || name === 'gp' || name === 'tp' || name === 'fp') return 'data_ptr';
  return 'int';
}

/**
 * The XML documents the stub serves, by annex name.
 *
 * @example
 * ```ts
 * const xml = TARGET_FILES.get('target.xml')!;
 * ```
 */
export const TARGET_FILES: ReadonlyMap<string, string> = new Map([
  [
    'target.xml',
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">' +
      '<target><architecture>riscv:rv32</architecture>' +
      '<xi:include href="riscv-32bit-cpu.xml"/></target>',
  ],
  [
    'riscv-32bit-cpu.xml',
    '<?xml version="1.0"?><!DOCTYPE feature SYSTEM "gdb-target.dtd">' +
      '<feature name="org.gnu.gdb.riscv.cpu">' +
      REGISTER_NAMES.map((name, k) => `<reg name="${name}" bitsize="32" type="${typeOf(name)}"${k === 0 ? ' regnum="0"' : ''}/>`).join('') +
      '<reg name="pc" bitsize="32" type="code_ptr"/></feature>',
  ],
]);
