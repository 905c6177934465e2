// New and fixed diagnostics between two revisions of a rules directory. A diagnostic is the same
// on both sides when its file, severity, code and message are: line and column are left out, so
// moving a broken key (or reformatting around it) neither fixes it nor makes it new. Pure.

import type { Diagnostic } from '../domain/types.js';

export interface DiagnosticsDiff {
  /** At the new revision and not the base: errors first, then by path and position. */
  new: Diagnostic[];
  /** At the base and no longer: errors first, then by path and position. */
  fixed: Diagnostic[];
}

const key = (d: Diagnostic) => JSON.stringify([d.path, d.severity, d.code, d.message]);

/** Multiset difference both ways: two equal diagnostics before and one after is one fixed. */
export function diffDiagnostics(base: readonly Diagnostic[], head: readonly Diagnostic[]): DiagnosticsDiff {
  return { new: minus(head, base), fixed: minus(base, head) };
}

function minus(a: readonly Diagnostic[], b: readonly Diagnostic[]): Diagnostic[] {
  const left = new Map<string, number>();
  for (const d of b) left.set(key(d), (left.get(key(d)) ?? 0) + 1);
  const out: Diagnostic[] = [];
  for (const d of a) {
    const n = left.get(key(d)) ?? 0;
    if (n > 0) left.set(key(d), n - 1);
    else out.push(d);
  }
  return out.sort(order);
}

function order(x: Diagnostic, y: Diagnostic): number {
  const sev = (d: Diagnostic) => (d.severity === 'error' ? 0 : 1);
  return sev(x) - sev(y) || cmp(x.path, y.path) || x.line - y.line || x.col - y.col || cmp(x.code, y.code) || cmp(x.message, y.message);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
