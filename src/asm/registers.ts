/**
 * Integer register names of RV32: numeric (`x0`..`x31`) and ABI names
 * (RISC-V psABI, table "Integer register convention"), plus the CSR names
 * this project's assembler and disassembler know.
 */

/** ABI names by register number, as objdump prints them. */
export const ABI_REGISTER_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2',
  's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7',
  's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

const REGISTER_NUMBERS = new Map<string, number>();
for (let i = 0; i < 32; i++) {
  REGISTER_NUMBERS.set(`x${i}`, i);
  REGISTER_NUMBERS.set(ABI_REGISTER_NAMES[i]!, i);
}
REGISTER_NUMBERS.set('fp', 8);

/**
 * Number of the integer register called `name` (case-insensitive), or
 * `undefined` when `name` is not a register.
 */
export function registerNumber(name: string): number | undefined {
  return REGISTER_NUMBERS.get(name.toLowerCase());
}

/**
 * CSR numbers by name: the user counters (privileged spec, table "Currently
 * allocated RISC-V unprivileged CSR addresses"). Other CSRs are written as
 * numbers.
 */
export const CSR_NUMBERS: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>([
    ['cycle', 0xc00], ['time', 0xc01], ['instret', 0xc02],
    ['cycleh', 0xc80], ['timeh', 0xc81], ['instreth', 0xc82],
  ]);
  for (let i = 3; i < 32; i++) {
    m.set(`hpmcounter${i}`, 0xc00 + i);
    m.set(`hpmcounter${i}h`, 0xc80 + i);
  }
  return m;
})();

/** CSR names by number, the inverse of {@link CSR_NUMBERS}. */
export const CSR_NAMES: ReadonlyMap<number, string> = new Map(
  [...CSR_NUMBERS].map(([name, num]) => [num, name]),
);
