// Buy-N-get-M matching over unit counts (never expanding units one by one in memory).
//
// Each application takes the M cheapest available reward-set units as the reward, then the N most
// expensive available buy-set units as the purchase. Price ties: the earlier line counts as the
// more expensive (so rewards come from later lines first, purchases from earlier lines first).
// Applications repeat while both picks succeed and maxApplications allows. Units used (bought or
// rewarded) are consumed and not used again by a later bogo in the same plan.

export interface BogoLine {
  unitPrice: number;
  /** Units still available to bogo matching on this line. */
  available: number;
  inBuySet: boolean;
  inRewardSet: boolean;
}

export interface BogoMatch {
  applications: number;
  /** Reward units per line. */
  rewardUnits: number[];
  /** Units consumed per line (bought + rewarded). */
  consumed: number[];
}

export function matchBogo(lines: readonly BogoLine[], buy: number, get: number, maxApplications: number | null): BogoMatch {
  const n = lines.length;
  const avail = lines.map((l) => l.available);
  const rewardUnits = new Array<number>(n).fill(0);
  const consumed = new Array<number>(n).fill(0);
  const rewardOrder: number[] = [];
  const buyOrder: number[] = [];
  for (let i = 0; i < n; i++) {
    if (lines[i].available <= 0) continue;
    if (lines[i].inRewardSet) rewardOrder.push(i);
    if (lines[i].inBuySet) buyOrder.push(i);
  }
  if (rewardOrder.length === 0 || buyOrder.length === 0) return { applications: 0, rewardUnits, consumed };
  rewardOrder.sort((a, b) => lines[a].unitPrice - lines[b].unitPrice || b - a);
  buyOrder.sort((a, b) => lines[b].unitPrice - lines[a].unitPrice || a - b);

  let applications = 0;
  let rp = 0;
  let bp = 0;
  const limit = maxApplications ?? Number.POSITIVE_INFINITY;
  const taken: [number, number][] = [];
  while (applications < limit) {
    taken.length = 0;
    // Reward: the cheapest available reward-set units.
    let need = get;
    while (rp < rewardOrder.length && avail[rewardOrder[rp]] === 0) rp++;
    for (let k = rp; k < rewardOrder.length && need > 0; k++) {
      const i = rewardOrder[k];
      const t = Math.min(avail[i], need);
      if (t > 0) {
        avail[i] -= t;
        need -= t;
        taken.push([i, t]);
      }
    }
    if (need > 0) break;
    const rewardCount = taken.length;
    // Purchase: the most expensive available buy-set units.
    need = buy;
    while (bp < buyOrder.length && avail[buyOrder[bp]] === 0) bp++;
    for (let k = bp; k < buyOrder.length && need > 0; k++) {
      const i = buyOrder[k];
      const t = Math.min(avail[i], need);
      if (t > 0) {
        avail[i] -= t;
        need -= t;
        taken.push([i, t]);
      }
    }
    if (need > 0) {
      for (const [i, t] of taken) avail[i] += t; // not enough: undo this application
      break;
    }
    // When the reward came from one line and the purchase from one line, the next applications
    // pick the same two lines until one runs short: take them all in one step (a cart may hold
    // 500 lines x 10,000 units).
    let repeat = 1;
    if (rewardCount === 1 && taken.length === 2) {
      const [r] = taken[0];
      const [b] = taken[1];
      const more = r === b ? Math.floor(avail[r] / (get + buy)) : Math.min(Math.floor(avail[r] / get), Math.floor(avail[b] / buy));
      repeat = 1 + Math.min(more, limit - applications - 1);
    }
    for (let k = 0; k < taken.length; k++) {
      const [i, t] = taken[k];
      const units = t * repeat;
      if (repeat > 1) avail[i] -= t * (repeat - 1);
      consumed[i] += units;
      if (k < rewardCount) rewardUnits[i] += units;
    }
    applications += repeat;
  }
  return { applications, rewardUnits, consumed };
}
