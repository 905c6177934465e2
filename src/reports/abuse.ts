// The abuse signals (docs/abuse.md): pure, over rows the store read (src/store/abuse.ts) and the
// store policy's abuse: settings. No clock, no database: the period comes in as instants. Same
// input, same bytes out: every list is sorted here by code unit, never by the database.
//
// - repeat_use: one customer, one discount without a per-customer limit, more than repeatUse.uses
//   uses (committed, not voided) within a sliding window of repeatUse.windowHours.
// - code_guessing: a code-attempt counter (key and terminal/customer/nothing, or the key in total)
//   that reached its codeGuessing limit in one window: the throttle's own condition.
// - void_cycling: one customer, or one terminal, with more than voidCycling.voids voided
//   discounted sales within a sliding window of voidCycling.windowHours.
// - discount_share: one committed sale whose discounts are more than discountShare.bps of its
//   subtotal (the store selected those with integer arithmetic; the share is floored to a bp).

import type { AbuseSettings } from '../dsl/settings.js';

export type SignalKind = 'code_guessing' | 'discount_share' | 'repeat_use' | 'void_cycling';
export type SubjectKind = 'terminal' | 'customer' | 'none' | 'key';

/** One discount of one committed, not voided sale by an identified customer. */
export interface AbuseUse {
  transactionId: string;
  customerId: string;
  discountId: string;
  /** ISO 8601 instant (UTC) the sale was priced at. */
  at: string;
  amount: number;
}

export interface AbuseSale {
  transactionId: string;
  customerId: string | null;
  terminalId: string | null;
  at: string;
  status: 'committed' | 'voided';
  voidedAt: string | null;
  subtotal: number;
  discountTotal: number;
}

export interface CodeAttemptWindow {
  keyId: string;
  subjectKind: SubjectKind;
  subject: string;
  windowStart: string;
  attempts: number;
  firstAt: string;
  lastAt: string;
}

export interface SignalSubject {
  keyId?: string;
  /** code_guessing: which counter: the key with a terminal, a customer, neither ('none'), or the key's total ('key'). */
  counter?: SubjectKind;
  terminalId?: string;
  customerId?: string;
  discountId?: string;
  transactionId?: string;
}

export interface Evidence {
  transactionId?: string;
  at: string;
  voidedAt?: string;
  lastAt?: string;
  attempts?: number;
  customerId?: string;
  terminalId?: string;
  discountId?: string;
  subtotal?: number;
  amount?: number;
}

export interface AbuseSignal {
  kind: SignalKind;
  subject: SignalSubject;
  count: number;
  amount?: number;
  threshold: number;
  window: { from: string; to: string };
  evidence: Evidence[];
  evidenceTruncated?: boolean;
  message: string;
}

export interface AbuseReport {
  store: string;
  from: string;
  to: string;
  thresholds: {
    codeGuessing: AbuseSettings['codeGuessing'];
    repeatUse: AbuseSettings['repeatUse'];
    voidCycling: AbuseSettings['voidCycling'];
    discountShare: AbuseSettings['discountShare'];
  };
  signals: AbuseSignal[];
}

export interface AbuseInput {
  store: string;
  /** The period: ISO 8601 instants, from inclusive, to exclusive. */
  from: string;
  to: string;
  settings: AbuseSettings;
  /** Discounts with a per-customer limit (repeat_use ignores them: the limit already stops it). */
  perCustomerLimited: ReadonlySet<string>;
  uses: readonly AbuseUse[];
  voids: readonly AbuseSale[];
  heavy: readonly AbuseSale[];
  codeAttempts: readonly CodeAttemptWindow[];
}

/** Most evidence items a signal lists (its count still counts every one). */
export const MAX_EVIDENCE = 100;

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export function abuseSignals(input: AbuseInput): AbuseReport {
  const s = input.settings;
  const signals: AbuseSignal[] = [
    ...repeatUse(input),
    ...codeGuessing(input),
    ...voidCycling(input),
    ...discountShare(input),
  ];
  signals.sort((a, b) => cmp(sortKey(a), sortKey(b)));
  return {
    store: input.store,
    from: input.from,
    to: input.to,
    thresholds: { codeGuessing: { ...s.codeGuessing }, repeatUse: { ...s.repeatUse }, voidCycling: { ...s.voidCycling }, discountShare: { ...s.discountShare } },
    signals,
  };
}

function repeatUse(input: AbuseInput): AbuseSignal[] {
  const { uses, windowHours } = input.settings.repeatUse;
  const groups = groupBy(
    input.uses.filter((u) => !input.perCustomerLimited.has(u.discountId)),
    (u) => [u.customerId, u.discountId],
  );
  const out: AbuseSignal[] = [];
  for (const list of groups) {
    const { customerId, discountId } = list[0];
    for (const run of clusters(list, (u) => Date.parse(u.at), windowHours * HOUR, uses)) {
      const amount = sum(run.items.map((u) => u.amount));
      out.push(
        signal('repeat_use', { customerId, discountId }, run.items.length, uses, run.window, run.items.map((u) => ({ transactionId: u.transactionId, at: u.at, amount: u.amount })), {
          amount,
          message: `customer '${customerId}' used ${discountId} ${run.items.length} times within ${windowHours} h (more than ${uses}; it has no per-customer limit)`,
        }),
      );
    }
  }
  return out;
}

function codeGuessing(input: AbuseInput): AbuseSignal[] {
  const { windowMinutes, perTerminal, perKey } = input.settings.codeGuessing;
  const out: AbuseSignal[] = [];
  for (const r of input.codeAttempts) {
    const threshold = r.subjectKind === 'key' ? perKey : perTerminal;
    if (r.attempts < threshold) continue;
    const subject: SignalSubject = { keyId: r.keyId, counter: r.subjectKind };
    if (r.subjectKind === 'terminal') subject.terminalId = r.subject;
    if (r.subjectKind === 'customer') subject.customerId = r.subject;
    const start = Date.parse(r.windowStart);
    const who =
      r.subjectKind === 'key' ? `API key ${r.keyId} (all terminals)` : r.subjectKind === 'none' ? `API key ${r.keyId} (no terminal or customer)` : `API key ${r.keyId} with ${r.subjectKind} '${r.subject}'`;
    out.push(
      signal('code_guessing', subject, r.attempts, threshold, { from: start, to: start + windowMinutes * 60_000 }, [{ at: r.firstAt, lastAt: r.lastAt, attempts: r.attempts }], {
        message: `${who} sent ${r.attempts} unknown promo codes in one ${windowMinutes}-minute window (limit ${threshold})`,
      }),
    );
  }
  return out;
}

function voidCycling(input: AbuseInput): AbuseSignal[] {
  const { voids, windowHours } = input.settings.voidCycling;
  const out: AbuseSignal[] = [];
  const by = (kind: 'customerId' | 'terminalId') => {
    const groups = groupBy(
      input.voids.filter((v) => v[kind] !== null && v.voidedAt !== null),
      (v) => [v[kind]!],
    );
    for (const list of groups) {
      const who = list[0][kind]!;
      for (const run of clusters(list, (v) => Date.parse(v.voidedAt!), windowHours * HOUR, voids)) {
        const evidence = run.items.map((v): Evidence => {
          const e: Evidence = { transactionId: v.transactionId, at: v.at, voidedAt: v.voidedAt!, amount: v.discountTotal };
          if (kind === 'terminalId' && v.customerId !== null) e.customerId = v.customerId;
          if (kind === 'customerId' && v.terminalId !== null) e.terminalId = v.terminalId;
          return e;
        });
        out.push(
          signal('void_cycling', { [kind]: who }, run.items.length, voids, run.window, evidence, {
            amount: sum(run.items.map((v) => v.discountTotal)),
            message: `${kind === 'customerId' ? 'customer' : 'terminal'} '${who}' had ${run.items.length} discounted sales voided within ${windowHours} h (more than ${voids})`,
          }),
        );
      }
    }
  };
  by('customerId');
  by('terminalId');
  return out;
}

function discountShare(input: AbuseInput): AbuseSignal[] {
  const { bps } = input.settings.discountShare;
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  const out: AbuseSignal[] = [];
  for (const sale of input.heavy) {
    // The store selected discount * 10000 > subtotal * bps; checked again here (pure callers).
    if (sale.status !== 'committed' || sale.discountTotal * 10000 <= sale.subtotal * bps) continue;
    const share = sale.subtotal > 0 ? Math.floor((sale.discountTotal * 10000) / sale.subtotal) : 10000;
    const subject: SignalSubject = { transactionId: sale.transactionId };
    if (sale.customerId !== null) subject.customerId = sale.customerId;
    if (sale.terminalId !== null) subject.terminalId = sale.terminalId;
    const e: Evidence = { transactionId: sale.transactionId, at: sale.at, subtotal: sale.subtotal, amount: sale.discountTotal };
    if (sale.customerId !== null) e.customerId = sale.customerId;
    if (sale.terminalId !== null) e.terminalId = sale.terminalId;
    out.push(
      signal('discount_share', subject, share, bps, { from, to }, [e], {
        amount: sale.discountTotal,
        message: `sale ${sale.transactionId} was discounted ${formatBps(share)} of its subtotal (more than ${formatBps(bps)})`,
      }),
    );
  }
  return out;
}

function signal(
  kind: SignalKind,
  subject: SignalSubject,
  count: number,
  threshold: number,
  window: { from: number; to: number },
  evidence: Evidence[],
  extra: { amount?: number; message: string },
): AbuseSignal {
  // One key order for every signal (byte-identical output).
  return {
    kind,
    subject: orderSubject(subject),
    count,
    ...(extra.amount === undefined ? {} : { amount: extra.amount }),
    threshold,
    window: { from: iso(window.from), to: iso(window.to) },
    evidence: evidence.slice(0, MAX_EVIDENCE),
    ...(evidence.length > MAX_EVIDENCE ? { evidenceTruncated: true } : {}),
    message: extra.message,
  };
}

const SUBJECT_KEYS = ['keyId', 'counter', 'terminalId', 'customerId', 'discountId', 'transactionId'] as const;
function orderSubject(s: SignalSubject): SignalSubject {
  const out: Record<string, string> = {};
  for (const k of SUBJECT_KEYS) if (s[k] !== undefined) out[k] = s[k]!;
  return out as SignalSubject;
}
const sortKey = (s: AbuseSignal) => [s.kind, ...SUBJECT_KEYS.map((k) => (s.subject[k] === undefined ? '' : `${k}=${s.subject[k]}`)), s.window.from];

/**
 * Runs of more than `moreThan` items within `width` ms: from the oldest item not yet in a run, the
 * items before its time + width; a run found, the search goes on after it (items are in one run at most).
 */
export function clusters<T>(items: readonly T[], time: (t: T) => number, width: number, moreThan: number): { items: T[]; window: { from: number; to: number } }[] {
  const sorted = [...items].sort((a, b) => time(a) - time(b));
  const out: { items: T[]; window: { from: number; to: number } }[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = time(sorted[i]);
    let j = i;
    while (j < sorted.length && time(sorted[j]) < start + width) j++;
    if (j - i > moreThan) {
      out.push({ items: sorted.slice(i, j), window: { from: start, to: start + width } });
      i = j;
    } else i++;
  }
  return out;
}

/** Groups in the order of their key (code units); each group keeps its items' order. */
function groupBy<T>(items: readonly T[], key: (t: T) => string[]): T[][] {
  const map = new Map<string, { key: string[]; items: T[] }>();
  for (const it of items) {
    const k = key(it);
    const id = k.join('\u0000');
    let g = map.get(id);
    if (!g) map.set(id, (g = { key: k, items: [] }));
    g.items.push(it);
  }
  return [...map.values()].sort((a, b) => cmp(a.key, b.key)).map((g) => g.items);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const formatBps = (bps: number) => `${Math.floor(bps / 100)}${bps % 100 ? '.' + String(bps % 100).padStart(2, '0') : ''}%`;

function cmp(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}
