// The one allocation function family: split an integer amount across lines exactly.
//
// Shares are computed as exact fractions, and rounded once at the end by largest remainder:
// every line first gets the floor of its exact share, then the units still missing go one each
// to the lines with the largest fractional remainders; ties go to the earlier line (request
// order). The results always add up to the amount exactly.
//
// Numbers are used while every product stays below 2^53; BigInt otherwise.

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Splits `amount` in proportion to non-negative integer `weights` (whose sum must be positive
 * when amount > 0). Returns integers that sum to `amount`.
 */
export function allocateByWeights(amount: number, weights: readonly number[]): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(0);
  if (amount === 0 || n === 0) return out;
  let total = 0;
  for (const w of weights) total += w;
  if (total <= 0) throw new RangeError('allocateByWeights: weights sum to 0');
  if (n === 1) {
    out[0] = amount;
    return out;
  }
  if (amount * total <= MAX) {
    const rems = new Array<number>(n);
    let given = 0;
    for (let i = 0; i < n; i++) {
      const p = amount * weights[i];
      const q = Math.floor(p / total);
      let r = p - q * total;
      let qq = q;
      if (r < 0) {
        qq -= 1;
        r += total;
      } else if (r >= total) {
        qq += 1;
        r -= total;
      }
      out[i] = qq;
      rems[i] = r;
      given += qq;
    }
    distribute(out, rems, amount - given);
    return out;
  }
  return allocateByBigWeights(amount, weights.map((w) => BigInt(w)));
}

/** As allocateByWeights, for weights given as BigInt (exact rational shares over a common denominator). */
export function allocateByBigWeights(amount: number, weights: readonly bigint[]): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(0);
  if (amount === 0 || n === 0) return out;
  let total = 0n;
  for (const w of weights) total += w;
  if (total <= 0n) throw new RangeError('allocateByBigWeights: weights sum to 0');
  const A = BigInt(amount);
  const rems = new Array<bigint>(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const p = A * weights[i];
    out[i] = Number(p / total);
    rems[i] = p % total;
    given += out[i];
  }
  distribute(out, rems, amount - given);
  return out;
}

/** Gives one unit each to the `left` largest remainders; ties to the earlier index. */
function distribute<T extends number | bigint>(out: number[], rems: T[], left: number): void {
  if (left <= 0) return;
  const n = rems.length;
  if (left * n <= 64) {
    // Few units: pick the largest remainder not yet given one (the earliest of equals), `left`
    // times: the same lines as the first `left` of the sorted order below, without the sort.
    const given = new Array<boolean>(n).fill(false);
    for (let k = 0; k < left; k++) {
      let best = -1;
      for (let i = 0; i < n; i++) if (!given[i] && (best < 0 || rems[i] > rems[best])) best = i;
      given[best] = true;
      out[best] += 1;
    }
    return;
  }
  const order = rems.map((_, i) => i);
  order.sort((a, b) => (rems[a] > rems[b] ? -1 : rems[a] < rems[b] ? 1 : a - b));
  for (let k = 0; k < left; k++) out[order[k]] += 1;
}

/** a*b > c*d for non-negative integers, exactly. */
function productGreater(a: number, b: number, c: number, d: number): boolean {
  const x = a * b;
  const y = c * d;
  if (x <= MAX && y <= MAX) return x > y;
  return BigInt(a) * BigInt(b) > BigInt(c) * BigInt(d);
}

export interface Allocation {
  /** Integer amount per line; sums to the amount allocated. */
  amounts: number[];
  /** Lines fixed at their cap by the water-filling. */
  capped: boolean[];
  /** What the uncapped lines shared, and their total weight. */
  left: number;
  activeWeight: number;
}

/**
 * Allocates `amount` across lines in proportion to `weights` (their remaining amounts), never
 * above a line's `caps` entry (its headroom): lines whose exact share would pass their cap are
 * fixed at the cap and the excess is re-shared among the others, repeatedly. Requires
 * amount <= sum of caps. Rounding happens once, at the end (largest remainder).
 */
export function allocateWithCaps(amount: number, weights: readonly number[], caps: readonly number[]): Allocation {
  const n = weights.length;
  const capped = new Array<boolean>(n);
  let left = amount;
  let activeWeight = 0;
  for (let i = 0; i < n; i++) {
    capped[i] = !(weights[i] > 0); // a line with no remaining amount takes nothing
    if (!capped[i]) activeWeight += weights[i];
  }
  // Water-filling: cap every line whose share left*w/W exceeds its cap, until none does.
  let changed = true;
  while (changed && left > 0 && activeWeight > 0) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (capped[i]) continue;
      if (productGreater(left, weights[i], caps[i], activeWeight)) {
        capped[i] = true;
        left -= caps[i];
        activeWeight -= weights[i];
        changed = true;
      }
    }
  }
  const amounts = new Array<number>(n);
  let active = 0;
  for (let i = 0; i < n; i++) {
    amounts[i] = capped[i] ? (weights[i] > 0 ? caps[i] : 0) : 0;
    if (!capped[i]) active++;
  }
  if (left > 0 && active > 0) {
    if (active === n) return { amounts: allocateByWeights(left, weights), capped, left, activeWeight };
    const activeIdx: number[] = [];
    const activeW: number[] = [];
    for (let i = 0; i < n; i++) {
      if (capped[i]) continue;
      activeIdx.push(i);
      activeW.push(weights[i]);
    }
    const split = allocateByWeights(left, activeW);
    for (let k = 0; k < activeIdx.length; k++) amounts[activeIdx[k]] = split[k];
  }
  return { amounts, capped, left, activeWeight };
}

/**
 * The exact (unrounded) shares of an allocation, as integers over a common denominator (the
 * active weight): capped lines cap x W, the others left x weight. Used to spread a smaller capped
 * amount "in proportion to the uncapped allocation".
 */
export function exactShares(a: Allocation, weights: readonly number[]): bigint[] {
  const W = BigInt(a.activeWeight > 0 ? a.activeWeight : 1);
  const L = BigInt(a.left);
  return weights.map((w, i) => (a.capped[i] ? BigInt(a.amounts[i]) * W : L * BigInt(w)));
}
