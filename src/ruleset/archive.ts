// The cleanup's file side (docs/cleanup.md): moves the rule files of finished discounts to
// rules/archive/ (kept, never loaded: the loader reads only the files directly in the rules
// directory), so the change is a reviewable git diff. Rule tests and sample carts are not edited:
// the lines in tests/ and carts/ that name a moved discount (its id or its code) are listed so the
// reviewer updates them in the same change (a case expecting EXPIRED would now get UNKNOWN_CODE).

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CompiledDiscount } from '../domain/types.js';
import { finishedDiscounts, type FinishedDiscount, type UsageEnd } from './cleanup.js';

export const ARCHIVE_DIR = 'archive';

export interface ArchivedDiscount extends FinishedDiscount {
  /** The file's path before and after, as the rules directory was named. */
  file: string;
  archivedTo: string;
  /** false on a dry run, or when the file could not be moved (see `problem`). */
  moved: boolean;
  problem?: string;
}

export interface Reference {
  file: string;
  line: number;
  discountId: string;
  text: string;
}

export interface CleanupResult {
  dryRun: boolean;
  /** Whether ledger usage was read (without it only ended schedules count). */
  usageChecked: boolean;
  graceDays: number;
  at: string;
  discounts: ArchivedDiscount[];
  references: Reference[];
}

export interface CleanupInput {
  dir: string;
  displayDir: string;
  discounts: readonly CompiledDiscount[];
  now: number;
  graceDays: number;
  usage: ReadonlyMap<string, UsageEnd> | null;
  dryRun: boolean;
}

export function runCleanup(input: CleanupInput): CleanupResult {
  const finished = finishedDiscounts(input.discounts, input.now, input.graceDays, input.usage);
  const discounts: ArchivedDiscount[] = [];
  if (finished.length && !input.dryRun) mkdirSync(join(input.dir, ARCHIVE_DIR), { recursive: true });
  for (const f of finished) {
    const name = basename(f.source);
    const entry: ArchivedDiscount = { ...f, file: join(input.displayDir, name), archivedTo: join(input.displayDir, ARCHIVE_DIR, name), moved: false };
    const from = join(input.dir, name);
    const to = join(input.dir, ARCHIVE_DIR, name);
    if (!existsSync(from)) entry.problem = `${entry.file} no longer exists`;
    else if (existsSync(to)) entry.problem = `${entry.archivedTo} already exists: not overwritten (rename one of them)`;
    else if (!input.dryRun) {
      try {
        renameSync(from, to);
        entry.moved = true;
      } catch (err) {
        entry.problem = `cannot move ${entry.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    }
    discounts.push(entry);
  }
  const byId = new Map(input.discounts.map((d) => [d.id, d]));
  return {
    dryRun: input.dryRun,
    usageChecked: input.usage !== null,
    graceDays: input.graceDays,
    at: new Date(input.now).toISOString(),
    discounts,
    references: references(input.dir, input.displayDir, finished.map((f) => ({ id: f.id, code: byId.get(f.id)?.displayCode ?? null }))),
  };
}

/** Lines of tests/*.yaml|yml and carts/*.json naming one of the discounts (id as a word, or code, any case). */
function references(dir: string, displayDir: string, discounts: { id: string; code: string | null }[]): Reference[] {
  if (discounts.length === 0) return [];
  const out: Reference[] = [];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = discounts.map((d) => ({
    id: d.id,
    re: new RegExp(`(?<![A-Za-z0-9_-])(${esc(d.id)}${d.code ? '|' + esc(d.code.trim()) : ''})(?![A-Za-z0-9_-])`, 'i'),
  }));
  for (const sub of ['tests', 'carts']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub)).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      let text: string;
      try {
        text = readFileSync(join(dir, sub, name), 'utf8');
      } catch {
        continue;
      }
      text.split(/\r?\n/).forEach((line, i) => {
        for (const p of patterns) if (p.re.test(line)) out.push({ file: join(displayDir, sub, name), line: i + 1, discountId: p.id, text: line.trim().slice(0, 200) });
      });
    }
  }
  return out;
}

/** The lines `discounts cleanup` prints. */
export function formatCleanup(r: CleanupResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would move' : 'moved';
  if (r.discounts.length === 0) lines.push(`no finished discounts (grace ${r.graceDays} days${r.usageChecked ? '' : '; no database: only ended schedules checked'})`);
  for (const d of r.discounts) {
    if (d.problem) lines.push(`${d.file}: not moved: ${d.problem} (${d.id}: ${d.message})`);
    else lines.push(`${verb} ${d.file} -> ${d.archivedTo}: ${d.id}: ${d.message}`);
  }
  if (!r.usageChecked && r.discounts.length) lines.push('no database: usage limits were not checked, only ended schedules');
  for (const ref of r.references) lines.push(`${ref.file}:${ref.line}: names ${ref.discountId}: update or remove it (${ref.text})`);
  return lines.join('\n') + '\n';
}

/**
 * The whole cleanup of a compiled rules directory: reads the usage of its limited discounts with
 * `usageEnds` (null: no database, only ended schedules count), then moves (or, on a dry run,
 * lists) the finished files.
 */
export async function cleanupRulesDir(input: {
  dir: string;
  displayDir: string;
  store: string;
  discounts: readonly CompiledDiscount[];
  graceDays: number;
  now: number;
  dryRun: boolean;
  usageEnds: ((store: string, ids: readonly string[]) => Promise<Map<string, UsageEnd>>) | null;
}): Promise<CleanupResult> {
  const limited = input.discounts.filter((d) => d.usageLimit !== null).map((d) => d.id);
  const usage = input.usageEnds ? await input.usageEnds(input.store, limited) : null;
  return runCleanup({ dir: input.dir, displayDir: input.displayDir, discounts: input.discounts, now: input.now, graceDays: input.graceDays, usage, dryRun: input.dryRun });
}
