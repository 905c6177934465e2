// The POS sheet rows that change between two revisions, so the integrator knows what to create,
// edit or delete in the store's POS, with the POS discount IDs involved. Rows are matched by
// discount id (a renamed discount by its old id). Pure: two POS sheets in, row changes out.

import { POS_SHEET_COLUMNS, type PosSheet, type PosSheetRow } from '../pos/sheet.js';
import type { FieldChange } from './discounts.js';

export type PosRowAction = 'create' | 'delete' | 'edit';

export interface PosRowChange {
  action: PosRowAction;
  discountId: string;
  /** The POS discount ID(s) involved: the row's, before and after ("missing", "not needed" as the sheet says). */
  posDiscountId: { before: string | null; after: string | null };
  /** edit: each column that changes; create and delete: empty. */
  columns: FieldChange[];
  /** What to do, in words. */
  todo: string;
}

export interface PosDiff {
  /** The POS system on each side (`none` when the store has no POS integration). */
  system: { before: string; after: string };
  /** Whether either side has a POS to change (store `pos` other than none). */
  integrated: boolean;
  rows: PosRowChange[];
}

/** `renamed`: new id -> old id, from the discount diff. */
export function diffPosSheets(base: PosSheet, head: PosSheet, renamed: ReadonlyMap<string, string>): PosDiff {
  const before = new Map(base.discounts.map((r) => [r.discountId, r]));
  const after = new Map(head.discounts.map((r) => [r.discountId, r]));
  const matched = new Set<string>();
  const rows: PosRowChange[] = [];
  const system = (s: PosSheet) => (s.pos.mode ? `${s.pos.system} (${s.pos.mode})` : s.pos.system);
  for (const h of head.discounts) {
    const oldId = before.has(h.discountId) ? h.discountId : renamed.get(h.discountId);
    const b = oldId !== undefined ? before.get(oldId) : undefined;
    if (!b) {
      rows.push({ action: 'create', discountId: h.discountId, posDiscountId: { before: null, after: h.posDiscountId }, columns: [], todo: createTodo(h) });
      continue;
    }
    matched.add(b.discountId);
    const columns = changedColumns(b, h);
    if (!columns.length) continue;
    const idChange = b.posDiscountId !== h.posDiscountId;
    const todo =
      noPos(h)
        ? h.posAction.startsWith('none')
          ? 'nothing to do (no POS integration)'
          : `nothing to change in the POS (${h.posAction})`
        : idChange
          ? `relink: POS discount ID ${b.posDiscountId} -> ${h.posDiscountId}${columns.length > 1 ? ', and edit the changed terms' : ''}`
          : `edit POS discount ${h.posDiscountId}: ${columns.map((c) => c.field).join(', ')}`;
    rows.push({ action: 'edit', discountId: h.discountId, posDiscountId: { before: b.posDiscountId, after: h.posDiscountId }, columns, todo });
  }
  for (const b of base.discounts) {
    if (matched.has(b.discountId) || after.has(b.discountId)) continue;
    const todo = noPos(b) ? (b.posAction.startsWith('none') ? 'nothing to do (no POS integration)' : `nothing to delete in the POS (${b.posAction})`) : `delete POS discount ${b.posDiscountId}`;
    rows.push({ action: 'delete', discountId: b.discountId, posDiscountId: { before: b.posDiscountId, after: null }, columns: [], todo });
  }
  const order: Record<PosRowAction, number> = { create: 0, edit: 1, delete: 2 };
  rows.sort((x, y) => order[x.action] - order[y.action] || (x.discountId < y.discountId ? -1 : x.discountId > y.discountId ? 1 : 0));
  return { system: { before: system(base), after: system(head) }, integrated: base.pos.mode !== null || head.pos.mode !== null, rows };
}

const ORDER_FREE = new Set<string>(['appliesTo', 'customer']);

/** `categories: b a; except tags: y x` with each list's items sorted. */
function unordered(cell: string): string {
  return cell
    .split('; ')
    .map((part) => part.split(', ').map((list) => {
      const colon = list.indexOf(': ');
      return colon < 0 ? list : `${list.slice(0, colon + 2)}${list.slice(colon + 2).split(' ').sort().join(' ')}`;
    }).join(', '))
    .join('; ');
}

/** A row the POS holds nothing for: no integration, or a mode where the engine sends the amount. */
function noPos(r: PosSheetRow): boolean {
  return r.posAction.startsWith('nothing') || r.posAction.startsWith('none');
}

function createTodo(h: PosSheetRow): string {
  if (noPos(h)) return h.posAction.startsWith('none') ? 'nothing to do (no POS integration)' : `nothing to create in the POS (${h.posAction})`;
  return `${h.posAction} (POS discount ID: ${h.posDiscountId})`;
}

/** The sheet's columns (and its JSON-only funding) that differ, "" shown as none. */
function changedColumns(b: PosSheetRow, h: PosSheetRow): FieldChange[] {
  const out: FieldChange[] = [];
  const text = (v: unknown) => {
    if (v === '' || v === null || v === undefined) return 'none';
    if (typeof v !== 'object') return String(v);
    const f = v as { vendor?: unknown; percent?: unknown };
    return typeof f.vendor === 'string' && typeof f.percent === 'number' ? `${f.vendor} ${f.percent}%` : JSON.stringify(v);
  };
  for (const c of [...POS_SHEET_COLUMNS, 'funding' as const]) {
    const x = text(b[c]);
    const y = text(h[c]);
    // The order of a selector's or a customer's lists never changes what the POS must hold.
    if (x !== y && !(ORDER_FREE.has(c) && unordered(x) === unordered(y))) out.push({ field: c, before: x, after: y });
  }
  return out;
}
