// Shared by the CLI tests: run main() in-process with captured output, and a temporary copy of rules/.

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

export const repo = join(import.meta.dirname, '..', '..');

/** Runs `discounts <argv>` in-process; the clock is Friday 2026-11-20 12:00 Los Angeles time. */
export async function run(argv: string[], opts: { cwd?: string; stdin?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: async () => opts.stdin ?? '',
    cwd: opts.cwd ?? repo,
    now: () => Date.parse('2026-11-20T20:00:00Z'),
  });
  return { code, stdout, stderr };
}

/** A temporary directory holding a copy of the demo rules/ (tests, carts and store policy included). */
export function tempRules(prefix = 'discounts-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(repo, 'rules'), join(dir, 'rules'), { recursive: true });
  return dir;
}
