// Unit-level pricing: `fixed` per unit, `price` (set price) and `bundle` (Q for P), over unit
// counts per line (never expanding units one by one). Pure integer arithmetic.
//
// Units rank by unitPrice wherever units are chosen: the most expensive first, equal prices the
// earlier line first. A unit priced 0 takes no part. A line's amount never passes its headroom
// (what is left of it above its floor).

import { allocateWithCaps } from './allocate.js';

/** What unit choice reads of one line. */
export interface UnitLine {
  unitPrice: number;
  /** Units that may be chosen on this line. */
  available: number;
}

/**
 * Units chosen per line (same order as `lines`): every available unit priced above `above`, or
 * only the `maxUnits` most expensive of them (equal prices: the earlier line first).
 */
export function chooseUnits(lines: readonly UnitLine[], maxUnits: number | null, above = 0): number[] {
  const n = lines.length;
  const out = new Array<number>(n).fill(0);
  if (maxUnits === null) {
    for (let k = 0; k < n; k++) if (lines[k].unitPrice > above && lines[k].available > 0) out[k] = lines[k].available;
    return out;
  }
  const order: number[] = [];
  for (let k = 0; k < n; k++) if (lines[k].unitPrice > above && lines[k].available > 0) order.push(k);
  order.sort((a, b) => lines[b].unitPrice - lines[a].unitPrice || a - b);
  let left = maxUnits;
  for (let r = 0; r < order.length && left > 0; r++) {
    const k = order[r];
    const t = Math.min(lines[k].available, left);
    out[k] = t;
    left -= t;
  }
  return out;
}

/** What bundle matching reads of one line. */
export interface BundleLine extends UnitLine {
  /** The per-unit floor: min(unitPrice, minimumUnitPrice) on cannabis lines, else 0. */
  unitFloor: number;
  /** What is left of the line above its floor before this bundle. */
  headroom: number;
}

export interface BundleMatch {
  /** Groups formed that save something (at most maxApplications). */
  groups: number;
  /** The bundle's amount per line (same order as the input lines). */
  amounts: number[];
  /** Units consumed per line (the units of the groups formed). */
  consumed: number[];
}

/**
 * Groups of `quantity` units sell for `price`: groups are formed from the most expensive available
 * units first (equal prices: the earlier line first), so the customer gets the largest saving. A
 * group whose units' prices sum to `price` or less gives nothing and ends the matching. A group's
 * discount (its units' prices less `price`, at most the group's headroom) is allocated to its lines
 * in proportion to their units' prices, never below a floor (a line's share is at most its units'
 * prices above their floor, and at most what is left of the line's headroom), excess re-shared,
 * largest remainder.
 */
export function matchBundle(lines: readonly BundleLine[], quantity: number, price: number, maxApplications: number | null): BundleMatch {
  const n = lines.length;
  const amounts = new Array<number>(n).fill(0);
  const consumed = new Array<number>(n).fill(0);
  const order: number[] = [];
  for (let k = 0; k < n; k++) if (lines[k].unitPrice > 0 && lines[k].available > 0) order.push(k);
  order.sort((a, b) => lines[b].unitPrice - lines[a].unitPrice || a - b);
  const left = order.map((k) => lines[k].available);
  const headroom = lines.map((l) => Math.max(0, l.headroom));
  let groups = 0;
  let appsLeft = maxApplications ?? Infinity;
  let r = 0; // position in `order` of the next unit
  while (appsLeft > 0 && r < order.length) {
    const k = order[r];
    const l = lines[k];
    if (left[r] >= quantity) {
      // Whole groups inside one line: all alike, so taken together (same result as one by one:
      // each gives min(its saving, its units above their floor, the headroom left)).
      const saving = quantity * l.unitPrice - price;
      if (saving <= 0) break;
      const g = Math.min(Math.floor(left[r] / quantity), appsLeft);
      const each = Math.min(saving, quantity * (l.unitPrice - l.unitFloor));
      const total = Math.min(g * each, headroom[k]);
      amounts[k] += total;
      headroom[k] -= total;
      consumed[k] += g * quantity;
      left[r] -= g * quantity;
      groups += g;
      appsLeft -= g;
      if (left[r] === 0) r++;
      continue;
    }
    // A group across lines: the next `quantity` units in order.
    const members: number[] = [];
    const counts: number[] = [];
    let need = quantity;
    let sum = 0;
    for (let q = r; q < order.length && need > 0; q++) {
      const t = Math.min(left[q], need);
      members.push(q);
      counts.push(t);
      sum += t * lines[order[q]].unitPrice;
      need -= t;
    }
    if (need > 0) break; // fewer than `quantity` units left
    const saving = sum - price;
    if (saving <= 0) break;
    const weights = new Array<number>(members.length);
    const caps = new Array<number>(members.length);
    let room = 0;
    for (let j = 0; j < members.length; j++) {
      const m = lines[order[members[j]]];
      weights[j] = counts[j] * m.unitPrice;
      caps[j] = Math.min(counts[j] * (m.unitPrice - m.unitFloor), headroom[order[members[j]]]);
      room += caps[j];
    }
    const discount = Math.min(saving, room);
    const split = discount > 0 ? allocateWithCaps(discount, weights, caps).amounts : null;
    for (let j = 0; j < members.length; j++) {
      const q = members[j];
      const kk = order[q];
      if (split) {
        amounts[kk] += split[j];
        headroom[kk] -= split[j];
      }
      consumed[kk] += counts[j];
      left[q] -= counts[j];
    }
    while (r < order.length && left[r] === 0) r++;
    groups++;
    appsLeft--;
  }
  return { groups, amounts, consumed };
}

/** Units on the untouched cart that can be part of a bundle (priced above 0). */
export function bundleUnits(lines: readonly UnitLine[]): number {
  let units = 0;
  for (const l of lines) if (l.unitPrice > 0) units += l.available;
  return units;
}
