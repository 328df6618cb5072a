import { execFileSync } from 'node:child_process';

/**
 * Builds dist/ once before the tests, as `npm run build` does (tsc, then
 * the one-file CLI of tools/bundle-cli.ts), so that tests of the command
 * line and the examples run the current sources, not a stale build.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['dist/tools/bundle-cli.js'], { stdio: 'inherit' });
}
