// What changed between two compiled rulesets, in words a merchandiser reads: discounts added,
// removed, renamed, paused, resumed or changed (each changed field as "value: 20% -> 25%"), and
// the store policy and settings. Compared on the compiled form, never the text, so a reformatted
// file with the same meaning shows nothing. Pure: compiled values in, change records out.

import { formatMoney } from '../domain/money.js';
import type { CompiledDiscount, EngineCondition, ItemMatch, ItemSelector, NeverDiscount, StorePolicy } from '../domain/types.js';
import { ITEM_KEYS } from '../dsl/compile.js';

export interface FieldChange {
  /** The field as the rule format names it (`value`, `maxDiscount`, `schedule`, `bogo.buy`). */
  field: string;
  before: string;
  after: string;
}

export type DiscountChangeKind = 'added' | 'removed' | 'renamed' | 'paused' | 'resumed' | 'changed';

export interface DiscountChange {
  kind: DiscountChangeKind;
  /** The id at the new revision (the old one for a removed discount). */
  id: string;
  /** renamed: the id at the base revision. */
  from: string | null;
  name: string;
  /** changed, paused, resumed: each changed field; added and removed: the discount's terms. */
  changes: FieldChange[];
  /** added, removed: the terms as one phrase each ("value: 20%", "appliesTo: categories flower"). */
  terms: string[];
  /** Things a reviewer should know that are not fields (a rename restarts usage counts). */
  notes: string[];
  /** Discount moved on the priced carts: the sum over carts of |amount after - amount before| (set by the review). */
  moneyMoved: number;
}

/** How a side formats money and knows its zone: the store policy (or the defaults) of that revision. */
export interface Side {
  policy: StorePolicy;
}

const ORDER: Record<DiscountChangeKind, number> = { added: 0, removed: 1, renamed: 2, paused: 3, resumed: 4, changed: 5 };

/**
 * The discount changes from `base` to `head` (each list sorted by id), ordered by kind, then id.
 * A rename is a removed id and an added id whose compiled discounts are identical but for the id:
 * same name, terms, selector, schedule, limits and POS ID. Several candidates pair in id order.
 */
export function diffDiscounts(
  base: readonly CompiledDiscount[],
  head: readonly CompiledDiscount[],
  sides: { base: Side; head: Side },
): DiscountChange[] {
  const before = new Map(base.map((d) => [d.id, d]));
  const after = new Map(head.map((d) => [d.id, d]));
  const removed = base.filter((d) => !after.has(d.id));
  const added = head.filter((d) => !before.has(d.id));
  const out: DiscountChange[] = [];
  const renamedFrom = new Map<string, CompiledDiscount>();
  const usedBase = new Set<string>();
  for (const a of added) {
    const key = identity(a);
    const match = removed.find((r) => !usedBase.has(r.id) && identity(r) === key);
    if (match) {
      usedBase.add(match.id);
      renamedFrom.set(a.id, match);
    }
  }
  for (const a of added) {
    const from = renamedFrom.get(a.id);
    if (from) {
      const notes = [];
      if (a.usageLimit !== null || a.perCustomerLimit !== null)
        notes.push(`usage is counted by discount id: the usage limits of '${a.id}' start again from 0 (the ledger keeps '${from.id}')`);
      out.push({ kind: 'renamed', id: a.id, from: from.id, name: a.name, changes: [], terms: [], notes, moneyMoved: 0 });
    } else out.push({ kind: 'added', id: a.id, from: null, name: a.name, changes: [], terms: describeDiscount(a, sides.head), notes: a.enabled ? [] : ['added paused (enabled: false)'], moneyMoved: 0 });
  }
  for (const r of removed) {
    if (usedBase.has(r.id)) continue;
    out.push({ kind: 'removed', id: r.id, from: null, name: r.name, changes: [], terms: describeDiscount(r, sides.base), notes: [], moneyMoved: 0 });
  }
  const policyChanged = JSON.stringify(sides.base.policy) !== JSON.stringify(sides.head.policy);
  for (const h of head) {
    const b = before.get(h.id);
    if (!b) continue;
    const changes = fieldChanges(b, h, sides, policyChanged);
    const kind: DiscountChangeKind = b.enabled && !h.enabled ? 'paused' : !b.enabled && h.enabled ? 'resumed' : 'changed';
    if (kind === 'changed' && changes.length === 0) continue;
    out.push({ kind, id: h.id, from: null, name: h.name, changes, terms: [], notes: [], moneyMoved: 0 });
  }
  return out.sort((x, y) => ORDER[x.kind] - ORDER[y.kind] || cmp(x.id, y.id));
}

/** A discount's compiled content without its id, as one string (renames compare these). */
function identity(d: CompiledDiscount): string {
  const { id: _id, source: _source, rule, ...rest } = d;
  const { name: _name, event: _event, ...ruleRest } = rule;
  // The checks name the discount in their params (discountId); take the id out of them too.
  return JSON.stringify({ ...rest, rule: ruleRest }, (key, v: unknown) => (key === 'discountId' && v === d.id ? null : v));
}

/** The fields of a compiled discount this module phrases; any other field is compared as JSON. */
const KNOWN = new Set([
  'id',
  'name',
  'type',
  'enabled',
  'code',
  'displayCode',
  'stackable',
  'priority',
  'sortValue',
  'appliesTo',
  'minPurchase',
  'usageLimit',
  'perCustomerLimit',
  'action',
  'posDiscountId',
  'tiers',
  'groups',
  'funding',
  'budget',
  'customerRequired',
  'schedule',
  'rule',
  'source',
]);

/** Each changed field of a discount present on both sides, in the order a rule file lists them. */
export function fieldChanges(b: CompiledDiscount, h: CompiledDiscount, sides: { base: Side; head: Side }, policyChanged: boolean): FieldChange[] {
  const out: FieldChange[] = [];
  const push = (field: string, before: string, after: string) => {
    if (before !== after) out.push({ field, before, after });
  };
  const mb = money(sides.base.policy);
  const mh = money(sides.head.policy);
  push('name', quote(b.name), quote(h.name));
  push('type', b.type, h.type);
  push('value', value(b, mb), value(h, mh));
  if (b.displayCode !== h.displayCode) push('code', b.displayCode ?? 'none (automatic)', h.displayCode ?? 'none (automatic)');
  out.push(...selectorChanges('appliesTo', b.appliesTo, h.appliesTo));
  push('minPurchase', mb(b.minPurchase), mh(h.minPurchase));
  push('maxDiscount', mb(b.action.maxDiscount), mh(h.action.maxDiscount));
  push('budget', b.budget === undefined ? 'none' : mb(b.budget), h.budget === undefined ? 'none' : mh(h.budget));
  out.push(...customerChanges(b, h));
  out.push(...scheduleChanges(b, h));
  push('usageLimit', count(b.usageLimit), count(h.usageLimit));
  push('perCustomerLimit', count(b.perCustomerLimit), count(h.perCustomerLimit));
  push('stackable', yesNo(b.stackable), yesNo(h.stackable));
  push('priority', String(b.priority), String(h.priority));
  if (b.action.type === 'bogo' && h.action.type === 'bogo') {
    push('bogo.buy', String(b.action.buy), String(h.action.buy));
    push('bogo.get', String(b.action.get), String(h.action.get));
    if (b.action.amountOff === undefined && h.action.amountOff === undefined) push('bogo.percentOff', pct(b.action.percentOffBps), pct(h.action.percentOffBps));
    else push('bogo.amountOff', b.action.amountOff === undefined ? `none (${pct(b.action.percentOffBps)} off)` : mb(b.action.amountOff), h.action.amountOff === undefined ? `none (${pct(h.action.percentOffBps)} off)` : mh(h.action.amountOff));
    push('bogo.maxApplications', count(b.action.maxApplications), count(h.action.maxApplications));
    out.push(...selectorChanges('bogo.rewardAppliesTo', b.action.rewardAppliesTo, h.action.rewardAppliesTo));
  }
  push('pos.discountId', b.posDiscountId ?? 'none', h.posDiscountId ?? 'none');
  push('funding', funding(b.funding), funding(h.funding));
  push('conditions', conditionsOf(b), conditionsOf(h));
  // Fields added to the compiled form after this module was written: compared, never dropped.
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort()) {
    if (KNOWN.has(key)) continue;
    push(key, json((b as unknown as Record<string, unknown>)[key]), json((h as unknown as Record<string, unknown>)[key]));
  }
  // Any difference in eligibility the phrases above do not show (a new kind of check). A store
  // policy change (time zone, neverDiscount) reaches every rule; the store section shows it.
  if (out.length === 0 && !policyChanged && eligibility(b) !== eligibility(h)) push('eligibility', 'as before', 'changed (see discounts compile)');
  return out;
}

/** The eligibility checks, lists of plain values sorted: an `in` list's order never changes a result. */
function eligibility(d: CompiledDiscount): string {
  return JSON.stringify(d.rule.conditions, (_key, v: unknown) =>
    Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object') ? [...v].sort((a, b) => cmp(String(a), String(b))) : v,
  );
}

/** A discount's terms, one phrase each, for an added or removed discount. */
export function describeDiscount(d: CompiledDiscount, side: Side): string[] {
  const m = money(side.policy);
  const out = [`type: ${d.type}`, `value: ${value(d, m)}`];
  if (d.displayCode) out.push(`code: ${d.displayCode}`);
  out.push(`appliesTo: ${describeSelector(d.appliesTo)}`);
  if (d.minPurchase !== null) out.push(`minPurchase: ${m(d.minPurchase)}`);
  if (d.action.maxDiscount !== null) out.push(`maxDiscount: ${m(d.action.maxDiscount)}`);
  if (d.budget !== undefined) out.push(`budget: ${m(d.budget)}`);
  if (d.tiers) out.push(`customer tiers: ${d.tiers.join(', ')}`);
  if (d.groups) out.push(`customer groups: ${d.groups.join(', ')}`);
  else if (d.customerRequired && !d.tiers) out.push('customer: required');
  if (d.schedule) out.push(`schedule: ${scheduleParts(d).filter((p) => p !== null).join('; ')}`);
  if (d.usageLimit !== null) out.push(`usageLimit: ${d.usageLimit}`);
  if (d.perCustomerLimit !== null) out.push(`perCustomerLimit: ${d.perCustomerLimit}`);
  out.push(`stackable: ${yesNo(d.stackable)}`);
  if (d.priority !== 0) out.push(`priority: ${d.priority}`);
  if (d.action.type === 'bogo' && d.action.rewardAppliesTo && JSON.stringify(d.action.rewardAppliesTo) !== JSON.stringify(d.appliesTo))
    out.push(`bogo.rewardAppliesTo: ${describeSelector(d.action.rewardAppliesTo)}`);
  if (d.posDiscountId) out.push(`pos.discountId: ${d.posDiscountId}`);
  if (d.funding) out.push(`funding: ${funding(d.funding)}`);
  const c = conditionsOf(d);
  if (c !== 'none') out.push(`conditions: ${c}`);
  return out;
}

// ---------------------------------------------------------------------------
// Phrases

export function money(policy: StorePolicy): (m: number | null) => string {
  return (m) => (m === null ? 'none' : formatMoney(m, policy.currency, policy.minorDigits));
}

export function pct(bps: number): string {
  return `${bps / 100}%`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function count(n: number | null): string {
  return n === null ? 'none' : String(n);
}

function json(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}

function funding(f: CompiledDiscount['funding']): string {
  return f ? `${f.vendor} ${pct(f.percentBps)}` : 'none';
}

/**
 * The value a merchandiser sets, per type: `20%`, `$5.00`, `$1.00 off each (max 4 units)`, tiers
 * `3+ units: 10%, 5+ units: 15%`, `set price $5.00`, `any 3 for $25.00`, `buy 2 get 1 free`.
 */
function value(d: CompiledDiscount, m: (n: number | null) => string): string {
  const a = d.action;
  const units = (n: number | null | undefined) => (n == null ? '' : ` (max ${n} unit${n === 1 ? '' : 's'})`);
  if ((a.type === 'percentage' || a.type === 'fixed') && a.tiers) {
    const t = a.tiers;
    const each = a.type === 'fixed' && a.perUnit ? ' off each' : '';
    const v = (x: number) => (a.type === 'percentage' ? pct(x) : `${m(x)}${each}`);
    const from = (min: number) => (t.kind === 'quantity' ? `${min}+ units` : `${m(min)}+`);
    return `tiers ${t.tiers.map((x) => `${from(x.min)}: ${v(x.value)}`).join(', ')}${a.type === 'fixed' ? units(a.maxUnits) : ''}`;
  }
  if (a.type === 'percentage') return pct(a.rateBps);
  if (a.type === 'fixed') return a.perUnit ? `${m(a.amount)} off each${units(a.maxUnits)}` : m(a.amount);
  if (a.type === 'price') return `set price ${m(a.price)}${units(a.maxUnits)}`;
  if (a.type === 'bundle') return `any ${a.quantity} for ${m(a.price)}${a.maxApplications !== null ? ` (max ${a.maxApplications}x)` : ''}`;
  if (a.type === 'bogo') {
    const reward = a.amountOff !== undefined ? `${m(a.amountOff)} off` : a.percentOffBps === 10000 ? 'free' : `${pct(a.percentOffBps)} off`;
    return `buy ${a.buy} get ${a.get} ${reward}`;
  }
  return json(a);
}

function listText(m: ItemMatch, key: (typeof ITEM_KEYS)[number]): string {
  return m[key]!.join(', ');
}

/** `categories flower, pre-rolls; brands stiiizy; except tags sale-shelf`, or `all items`. */
export function describeSelector(sel: ItemSelector | null): string {
  if (!sel) return 'all items';
  const lists = (m: ItemMatch) => ITEM_KEYS.filter((k) => m[k]).map((k) => `${k} ${listText(m, k)}`);
  const parts = lists(sel);
  if (sel.exclude) parts.push(`except ${lists(sel.exclude).join(', ')}`);
  return parts.length ? parts.join('; ') : 'all items';
}

/**
 * Selector changes. When both sides list the same kinds of keys, one line per list that changed,
 * naming the list once: "appliesTo: categories flower -> flower, pre-rolls" (for exclusions,
 * "appliesTo: except tags a -> a, b"). Otherwise the whole selector on each side.
 */
function selectorChanges(field: string, b: ItemSelector | null, h: ItemSelector | null): FieldChange[] {
  if (JSON.stringify(sets(b)) === JSON.stringify(sets(h))) return [];
  const shape = (s: ItemSelector | null) => (s ? [...ITEM_KEYS.filter((k) => s[k]), ...(s.exclude ? ITEM_KEYS.filter((k) => s.exclude![k]).map((k) => `except ${k}`) : [])].join() : null);
  if (b && h && shape(b) === shape(h) && shape(b) !== '') {
    const out: FieldChange[] = [];
    for (const k of ITEM_KEYS) {
      if (b[k] && !sameSet(b[k]!, h[k]!)) out.push({ field, before: `${k} ${listText(b, k)}`, after: listText(h, k) });
    }
    if (b.exclude && h.exclude)
      for (const k of ITEM_KEYS) {
        if (b.exclude[k] && !sameSet(b.exclude[k]!, h.exclude[k]!)) out.push({ field, before: `except ${k} ${listText(b.exclude, k)}`, after: listText(h.exclude, k) });
      }
    return out;
  }
  return [{ field, before: describeSelector(b), after: describeSelector(h) }];
}

/** A selector's lists as sorted sets: the order of a list never changes which lines match. */
function sets(s: ItemSelector | null): unknown {
  if (!s) return null;
  const m = (x: ItemMatch) => Object.fromEntries(ITEM_KEYS.filter((k) => x[k]).map((k) => [k, [...new Set(x[k])].sort()]));
  return { ...m(s), exclude: s.exclude ? m(s.exclude) : null };
}

function sameSet(a: string[], b: string[]): boolean {
  return JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());
}

function customerChanges(b: CompiledDiscount, h: CompiledDiscount): FieldChange[] {
  const out: FieldChange[] = [];
  const list = (l: string[] | null) => (l ? l.join(', ') : 'any');
  if (list(b.tiers) !== list(h.tiers)) out.push({ field: 'customer.tiers', before: list(b.tiers), after: list(h.tiers) });
  if (list(b.groups) !== list(h.groups)) out.push({ field: 'customer.groups', before: list(b.groups), after: list(h.groups) });
  // `required` on its own (tiers and groups imply it, and their lines already say so).
  if (out.length === 0 && b.customerRequired !== h.customerRequired)
    out.push({ field: 'customer.required', before: yesNo(b.customerRequired), after: yesNo(h.customerRequired) });
  return out;
}

/** The parts of a schedule as phrases, null where the part is absent: start, end, days, hours. */
function scheduleParts(d: CompiledDiscount): (string | null)[] {
  const s = d.schedule;
  return [
    s?.start ? `starts ${s.start}` : null,
    s?.end ? `ends ${s.end}` : null,
    s?.days ? `on ${s.days.join(', ')}` : null,
    s?.hours ? `${s.hours.from}-${s.hours.to}` : null,
  ];
}

/**
 * One line per schedule part that changed: "schedule: ends 2026-12-31 -> ends 2027-01-31",
 * "schedule: no end -> ends 2027-01-31", "schedule: every day -> on sat, sun". Start and end
 * compare as instants too: `2026-01-01` and `2026-01-01T00:00` are the same start.
 */
function scheduleChanges(b: CompiledDiscount, h: CompiledDiscount): FieldChange[] {
  const out: FieldChange[] = [];
  const pb = scheduleParts(b);
  const ph = scheduleParts(h);
  const absent = ['no start', 'no end', 'every day', 'all day'];
  const sameInstant = [b.schedule?.startMs === h.schedule?.startMs, b.schedule?.endMs === h.schedule?.endMs];
  const sameDays = sameSet(b.schedule?.days ?? [], h.schedule?.days ?? []) && !!b.schedule?.days === !!h.schedule?.days;
  for (let i = 0; i < 4; i++) {
    if (pb[i] === ph[i]) continue;
    if (i < 2 && pb[i] !== null && ph[i] !== null && sameInstant[i]) continue;
    if (i === 2 && sameDays) continue;
    out.push({ field: 'schedule', before: pb[i] ?? absent[i], after: ph[i] ?? absent[i] });
  }
  return out;
}

/** The rule's own `conditions` (the CONDITIONS_NOT_MET check), compactly, or `none`. */
function conditionsOf(d: CompiledDiscount): string {
  const c = d.rule.conditions.all.find((x) => x.name === 'CONDITIONS_NOT_MET');
  if (!c) return 'none';
  const { name: _name, ...rest } = c as EngineCondition & { name?: string };
  return condition(rest as EngineCondition);
}

function condition(c: EngineCondition): string {
  if ('all' in c) return c.all.length === 1 ? condition(c.all[0]) : `all(${c.all.map(condition).join(', ')})`;
  if ('any' in c) return `any(${c.any.map(condition).join(', ')})`;
  if ('not' in c) return `not(${condition(c.not)})`;
  const path = c.path && c.path !== '$' ? c.path.replace(/^\$/, '') : '';
  const value = (c.operator === 'in' || c.operator === 'notIn') && Array.isArray(c.value) ? [...c.value].sort((a, b) => cmp(String(a), String(b))) : c.value;
  return `${c.fact}${path} ${c.operator} ${JSON.stringify(value)}`;
}

// ---------------------------------------------------------------------------
// The store policy and the operational settings

/** Store policy changes, one phrase per field: "maxDiscountPercent: 50% -> 40%". */
export function diffPolicy(b: StorePolicy, h: StorePolicy): FieldChange[] {
  const out: FieldChange[] = [];
  const push = (field: string, before: string, after: string) => {
    if (before !== after) out.push({ field, before, after });
  };
  push('store', b.store, h.store);
  push('timezone', b.timezone, h.timezone);
  push('currency', b.currency, h.currency);
  push('combine', b.combine, h.combine);
  push('minimumUnitPrice', money(b)(b.minimumUnitPrice), money(h)(h.minimumUnitPrice));
  push('maxDiscountPercent', b.maxDiscountBps >= 10000 ? 'none (100%)' : pct(b.maxDiscountBps), h.maxDiscountBps >= 10000 ? 'none (100%)' : pct(h.maxDiscountBps));
  push('pos', b.pos, h.pos);
  out.push(...neverDiscountChanges(b.neverDiscount, h.neverDiscount));
  const known = new Set(['store', 'timezone', 'currency', 'minorDigits', 'combine', 'minimumUnitPrice', 'maxDiscountBps', 'pos', 'neverDiscount']);
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort()) {
    if (!known.has(key)) push(key, json((b as unknown as Record<string, unknown>)[key]), json((h as unknown as Record<string, unknown>)[key]));
  }
  return out;
}

function neverDiscountChanges(b: NeverDiscount | null, h: NeverDiscount | null): FieldChange[] {
  const out: FieldChange[] = [];
  const text = (m: NeverDiscount | null, k: (typeof ITEM_KEYS)[number]) => (m?.[k] ? m[k]!.join(', ') : 'none');
  for (const k of ITEM_KEYS) {
    if (!sameSet(b?.[k] ?? [], h?.[k] ?? [])) out.push({ field: `neverDiscount.${k}`, before: text(b, k), after: text(h, k) });
  }
  const count = (m: NeverDiscount | null) => yesNo(m?.countTowardMinimum === true);
  if (count(b) !== count(h)) out.push({ field: 'neverDiscount.countTowardMinimum', before: count(b), after: count(h) });
  return out;
}

/**
 * The operational settings (src/dsl/settings.ts: editor, abuse, cleanup, webhooks...), compared
 * key by key as dotted paths, values as JSON: they never change a price, but a reviewer sees them.
 */
export function diffSettings(b: unknown, h: unknown): FieldChange[] {
  const flat = (v: unknown, prefix: string, out: Map<string, string>) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) flat(x, prefix ? `${prefix}.${k}` : k, out);
    } else out.set(prefix, JSON.stringify(v));
    return out;
  };
  const fb = flat(b, '', new Map());
  const fh = flat(h, '', new Map());
  const out: FieldChange[] = [];
  for (const key of [...new Set([...fb.keys(), ...fh.keys()])].sort()) {
    const x = fb.get(key) ?? 'none';
    const y = fh.get(key) ?? 'none';
    if (x !== y) out.push({ field: key, before: x, after: y });
  }
  return out;
}

export function formatChange(c: FieldChange): string {
  return `${c.field}: ${c.before} -> ${c.after}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
