// POS integration profiles as data: what each point-of-sale system can do with a discount.
// A mode carries the capabilities; a profile is one POS system in one mode. A new POS is one
// entry in POS_PROFILES. Store policy `pos: <profile id>` picks one; `none` disables POS checks.

import type { DiscountType } from '../domain/types.js';

export const POS_MODES = ['mirror', 'trigger-reward', 'static-only', 'mirror-no-redemption', 'engine-only'] as const;
export type PosMode = (typeof POS_MODES)[number];

export const POS_SELECTORS = ['brands', 'vendors', 'tags', 'exclude'] as const;
export type PosSelector = (typeof POS_SELECTORS)[number];

/** Pricing forms beyond the plain type that a POS may or may not express. */
export const POS_PRICING = ['tiers', 'per-unit'] as const;
export type PosPricing = (typeof POS_PRICING)[number];

export type PosAction = 'apply-pos-discount' | 'trigger-reward' | 'apply-manual-amount' | 'record-only';

export interface ModeCapabilities {
  /** What the engine tells the POS to do with an applied discount. */
  action: PosAction;
  /** required: missing id is an error; recommended: missing id is a warning; unused: an id is a warning. */
  discountId: 'required' | 'recommended' | 'unused';
  /** Discount types the POS can represent. */
  types: readonly DiscountType[];
  /** Tiered values (`tiers`) and an amount off each unit (`per: unit`), where the POS can represent them. */
  pricing: readonly PosPricing[];
  /** Whether the POS can express cart-level requirements (minimum purchase, conditions over the cart). */
  cartLevel: boolean;
  /** Selector lists beyond categories and products that the POS can express. */
  selectors: readonly PosSelector[];
  /**
   * Whether a discount may have a `budget`: false where the POS applies its own amount (its copy of
   * the discount), which cannot be capped at what is left of a partly used budget.
   */
  budget: boolean;
  /**
   * The POS webhook events its applied discounts emit (issue 15): a trigger-reward POS gets
   * pos.reward.trigger when a redemption commits and pos.reward.reverse when it is voided, so the
   * reward is applied (and taken back) in the POS through its discount ID. The other modes get none:
   * their discount is applied by the integrator from the response. redemption.* go to every store.
   */
  rewardEvents: readonly PosRewardEvent[];
  /** One line for docs and the POS sheet. */
  summary: string;
}

/** The webhook event types that carry a POS reward (src/events/types.ts). */
export type PosRewardEvent = 'pos.reward.trigger' | 'pos.reward.reverse';

export const MODE_CAPABILITIES: Record<PosMode, ModeCapabilities> = {
  mirror: {
    action: 'apply-pos-discount',
    discountId: 'required',
    types: ['percentage', 'fixed', 'bogo', 'price', 'bundle'],
    pricing: ['tiers', 'per-unit'],
    cartLevel: true,
    selectors: ['brands', 'vendors', 'tags', 'exclude'],
    budget: false,
    rewardEvents: [],
    summary: 'created in both places and linked by the POS discount ID',
  },
  'trigger-reward': {
    action: 'trigger-reward',
    discountId: 'required',
    types: ['percentage', 'fixed', 'bogo', 'price', 'bundle'],
    pricing: ['tiers', 'per-unit'],
    cartLevel: true,
    selectors: ['brands', 'vendors', 'tags'],
    budget: false,
    rewardEvents: ['pos.reward.trigger', 'pos.reward.reverse'],
    summary: 'created in the POS; the engine triggers it at redemption through its ID',
  },
  'static-only': {
    action: 'apply-manual-amount',
    discountId: 'unused',
    types: ['percentage', 'fixed'],
    pricing: [],
    cartLevel: false,
    selectors: [],
    budget: true,
    rewardEvents: [],
    summary: 'only static $ off and % off, no cart-level requirements; the engine sends the amount',
  },
  'mirror-no-redemption': {
    action: 'record-only',
    discountId: 'recommended',
    types: ['percentage', 'fixed', 'bogo', 'price', 'bundle'],
    pricing: ['tiers', 'per-unit'],
    cartLevel: true,
    selectors: ['brands', 'vendors', 'tags', 'exclude'],
    budget: true,
    rewardEvents: [],
    summary: "exists in both, not redeemed in the POS; the engine's record is the redemption",
  },
  'engine-only': {
    action: 'apply-manual-amount',
    discountId: 'unused',
    types: ['percentage', 'fixed'],
    pricing: [],
    cartLevel: true,
    selectors: ['brands', 'vendors', 'tags', 'exclude'],
    budget: true,
    rewardEvents: [],
    summary: 'managed only here: static $ off and % off; the engine sends the amount',
  },
};

export interface PosProfile {
  id: string;
  name: string;
  mode: PosMode;
}

export const POS_PROFILES: readonly PosProfile[] = [
  { id: 'dutchie', name: 'Dutchie POS', mode: 'mirror' },
  { id: 'biotrack', name: 'Biotrack', mode: 'mirror' },
  { id: 'jane', name: 'Jane POS', mode: 'mirror' },
  { id: 'posabit', name: 'POSaBIT', mode: 'mirror' },
  { id: 'flowhub', name: 'Flowhub', mode: 'trigger-reward' },
  { id: 'blaze', name: 'Blaze POS', mode: 'trigger-reward' },
  { id: 'flourish', name: 'Flourish POS', mode: 'trigger-reward' },
  { id: 'treez', name: 'Treez', mode: 'trigger-reward' },
  { id: 'ecommerce', name: 'Ecommerce platforms', mode: 'static-only' },
  { id: 'alleaves', name: 'Alleaves POS', mode: 'static-only' },
  { id: 'meadow', name: 'Meadow', mode: 'mirror-no-redemption' },
  { id: 'korona', name: 'Korona', mode: 'mirror-no-redemption' },
  { id: 'mjfreeway', name: 'MJ Freeway', mode: 'mirror-no-redemption' },
  { id: 'mjfreeway-pa', name: 'MJ Freeway PA', mode: 'mirror-no-redemption' },
  { id: 'square', name: 'Square POS', mode: 'mirror-no-redemption' },
  { id: 'cova', name: 'Cova', mode: 'engine-only' },
  { id: 'staff-app', name: 'Staff app', mode: 'engine-only' },
];

/** The profile id that turns POS integration off. */
export const NO_POS = 'none';

export function findProfile(id: string): PosProfile | null {
  return POS_PROFILES.find((p) => p.id === id) ?? null;
}

/** The POS reward events a store with this profile emits (none for `none` or an unknown id). */
export function posRewardEvents(profileId: string): readonly PosRewardEvent[] {
  const profile = findProfile(profileId);
  return profile ? MODE_CAPABILITIES[profile.mode].rewardEvents : [];
}

export function knownProfileIds(): string[] {
  return [NO_POS, ...POS_PROFILES.map((p) => p.id)];
}
