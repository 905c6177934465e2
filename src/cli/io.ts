// What a CLI command may touch of the outside world, passed in so commands are testable in-process.
import { resolveStoreSetting, StoreConfigError, type StoreSetting } from '../store/open.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  cwd: string;
  /** The clock, read only when a request has no `at`. */
  now(): number;
}

/** Exit codes: 0 ok, 1 check failed (invalid rules, failing tests, files to format), 2 bad input or usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {}

/** The ledger setting of a command (--db, then DISCOUNTS_DB): a bad value is a UsageError (exit 2). */
export function storeSettingOrUsage(flag: string | undefined, env: Record<string, string | undefined>): StoreSetting {
  try {
    return resolveStoreSetting(flag, env);
  } catch (err) {
    if (err instanceof StoreConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The rules directory of `compile` and `pos-sheet`: one positional argument or --rules (not
 * both), default rules/. Any further argument is an error, never ignored.
 */
export function rulesDirArgument(args: { values: { rules?: string }; positionals: string[] }): string {
  const [first, ...extra] = args.positionals;
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}' (expects at most one rules directory)`);
  if (first !== undefined && args.values.rules !== undefined)
    throw new UsageError(`the rules directory is given twice ('${first}' and --rules ${args.values.rules}): use one of them`);
  return first ?? args.values.rules ?? 'rules';
}
