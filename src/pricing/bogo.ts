// Buy-N-get-M matching over unit counts (never expanding units one by one in memory).
//
// On the units still available in the plan:
// - A unit priced 0 takes no part: it is neither a purchase nor a reward.
// - A reward candidate is a reward-set unit whose reward discount would be above 0.
// - k = the largest number of applications (at most maxApplications) for which k x get reward
//   candidates and k x buy other buy-set units exist.
// - Rewards: the k x get cheapest reward candidates, taking at most (buy-set units - k x buy) of
//   those that are also in the buy set, so that enough remain to buy. Equal prices: the later line
//   first.
// - Purchases: the k x buy most expensive buy-set units left. Equal prices: the earlier line first.
// Units used (bought or rewarded) are consumed and not used again by a later bogo in the same plan.

export interface BogoLine {
  unitPrice: number;
  /** Units still available to bogo matching on this line. */
  available: number;
  inBuySet: boolean;
  inRewardSet: boolean;
  /** The discount one reward unit of this line would get (0: not a reward candidate). */
  rewardValue: number;
}

export interface BogoMatch {
  applications: number;
  /** Reward units per line. */
  rewardUnits: number[];
  /** Units consumed per line (bought + rewarded). */
  consumed: number[];
}

/** The unit classes matching counts: reward-only candidates, candidates also in the buy set, buy-only units. */
export interface BogoCounts {
  rewardOnly: number;
  both: number;
  buyOnly: number;
}

export function bogoCounts(lines: readonly BogoLine[]): BogoCounts {
  let rewardOnly = 0;
  let both = 0;
  let buyOnly = 0;
  for (const l of lines) {
    if (l.available <= 0 || l.unitPrice <= 0) continue;
    const candidate = l.inRewardSet && l.rewardValue > 0;
    if (candidate && l.inBuySet) both += l.available;
    else if (candidate) rewardOnly += l.available;
    else if (l.inBuySet) buyOnly += l.available;
  }
  return { rewardOnly, both, buyOnly };
}

/**
 * The largest k with k x get rewards and k x buy other purchases: rewards need
 * k x get <= rewardOnly + both, purchases k x buy <= buyOnly + both, and together
 * k x (buy + get) <= all three (a unit in both sets serves one role only).
 */
export function bogoApplications(c: BogoCounts, buy: number, get: number, maxApplications: number | null): number {
  let k = Math.min(Math.floor((c.rewardOnly + c.both) / get), Math.floor((c.buyOnly + c.both) / buy), Math.floor((c.rewardOnly + c.both + c.buyOnly) / (buy + get)));
  if (maxApplications !== null && maxApplications < k) k = maxApplications;
  return k;
}

/**
 * The fewest qualifying units that, added to the cart, make one application possible (0 when one
 * already is): the largest of the missing rewards, the missing purchases and the missing units in
 * all. Whether the added units could also be in both sets does not change it: when rewards and
 * purchases are both short, the units missing in all are at least their sum.
 */
export function bogoUnitsMissing(c: BogoCounts, buy: number, get: number): number {
  const dReward = Math.max(0, get - c.rewardOnly - c.both);
  const dBuy = Math.max(0, buy - c.buyOnly - c.both);
  const dTotal = Math.max(0, buy + get - c.rewardOnly - c.both - c.buyOnly);
  return Math.max(dReward, dBuy, dTotal);
}

export function matchBogo(lines: readonly BogoLine[], buy: number, get: number, maxApplications: number | null): BogoMatch {
  const n = lines.length;
  const rewardUnits = new Array<number>(n).fill(0);
  const consumed = new Array<number>(n).fill(0);
  const counts = bogoCounts(lines);
  const k = bogoApplications(counts, buy, get, maxApplications);
  if (k <= 0) return { applications: 0, rewardUnits, consumed };

  // Rewards: cheapest candidates first (equal prices: later line first), at most `bothCap` of them
  // from the buy set.
  const rewardOrder: number[] = [];
  const buyOrder: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = lines[i];
    if (l.available <= 0 || l.unitPrice <= 0) continue;
    if (l.inRewardSet && l.rewardValue > 0) rewardOrder.push(i);
    if (l.inBuySet) buyOrder.push(i);
  }
  rewardOrder.sort((a, b) => lines[a].unitPrice - lines[b].unitPrice || b - a);
  let needRewards = k * get;
  let bothCap = counts.buyOnly + counts.both - k * buy;
  for (let r = 0; r < rewardOrder.length && needRewards > 0; r++) {
    const i = rewardOrder[r];
    let t = Math.min(lines[i].available, needRewards);
    if (lines[i].inBuySet) {
      t = Math.min(t, bothCap);
      bothCap -= t;
    }
    rewardUnits[i] = t;
    consumed[i] = t;
    needRewards -= t;
  }

  // Purchases: the most expensive buy-set units left (equal prices: earlier line first).
  buyOrder.sort((a, b) => lines[b].unitPrice - lines[a].unitPrice || a - b);
  let needBuys = k * buy;
  for (let p = 0; p < buyOrder.length && needBuys > 0; p++) {
    const i = buyOrder[p];
    const t = Math.min(lines[i].available - consumed[i], needBuys);
    consumed[i] += t;
    needBuys -= t;
  }
  return { applications: k, rewardUnits, consumed };
}
