// What a CLI command may touch of the outside world, passed in so commands are testable in-process.

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
