// Domain types shared by every layer: rule documents, the store policy, the compiled ruleset,
// evaluate requests and responses, diagnostics. This module imports nothing.

/** Integer amount in the currency's minor units (cents for USD). */
export type Minor = number;
/** Exact percentage in basis points: 20% = 2000, 12.5% = 1250. */
export type BasisPoints = number;

export const DISCOUNT_TYPES = ['percentage', 'fixed', 'bogo', 'price', 'bundle'] as const;
export type DiscountType = (typeof DISCOUNT_TYPES)[number];

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

export type Combine = 'best-for-customer' | 'best-for-store';

// ---------------------------------------------------------------------------
// Diagnostics (compile-time errors and warnings)

export type Severity = 'error' | 'warning';

export const DIAGNOSTIC_CODES = [
  'yaml_syntax_error',
  'rule_schema_error',
  'duplicate_id',
  'duplicate_code',
  'id_mismatch',
  'invalid_schedule',
  'unknown_fact',
  'unknown_operator',
  'reserved_id',
  'store_policy_missing',
  'test_schema_error',
  'test_file_misplaced',
  'pos_unknown_profile',
  'pos_discount_id_required',
  'pos_type_unsupported',
  'pos_cart_level_unsupported',
  'pos_discount_id_missing',
  'pos_discount_id_not_used',
  'pos_selector_unsupported',
  'never_discounted_only',
  'invalid_pricing',
  'tier_value_decreasing',
  'floor_above_price',
  'pos_budget_unsupported',
  'webhook_url_invalid',
  'webhook_secret_missing',
  'webhook_secret_invalid',
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  /** File path as given to the loader (relative paths stay relative). */
  path: string;
  /** 1-based line and column of the offending key or value. */
  line: number;
  col: number;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

// ---------------------------------------------------------------------------
// Rejection reasons (evaluate-time), in the order eligibility checks them.

export const ELIGIBILITY_REASONS = [
  'UNKNOWN_CODE',
  'INACTIVE',
  'NOT_STARTED',
  'EXPIRED',
  'OUTSIDE_SCHEDULE',
  'USAGE_LIMIT_REACHED',
  'BUDGET_EXHAUSTED',
  'CUSTOMER_REQUIRED',
  'TIER_NOT_ELIGIBLE',
  'GROUP_NOT_ELIGIBLE',
  'CUSTOMER_LIMIT_REACHED',
  'MIN_PURCHASE_NOT_MET',
  'NO_ELIGIBLE_ITEMS',
  'MIN_QUANTITY_NOT_MET',
  'QUANTITY_NOT_MET',
  'CONDITIONS_NOT_MET',
] as const;
export type EligibilityReason = (typeof ELIGIBILITY_REASONS)[number];

export const REASONS = [...ELIGIBILITY_REASONS, 'DUPLICATE_CODE', 'NOT_COMBINABLE', 'NO_REMAINING_VALUE'] as const;
export type Reason = (typeof REASONS)[number];

// ---------------------------------------------------------------------------
// Rule documents as authored (amounts in major units), after schema validation.

/** Item attributes a selector can list (besides products). */
export const ITEM_ATTRIBUTES = ['categories', 'brands', 'vendors', 'tags'] as const;
export type ItemAttribute = (typeof ITEM_ATTRIBUTES)[number];

/** Lists of item keys: a line matches when it matches any of them (exclude, neverDiscount). */
export interface ItemMatch {
  categories?: string[];
  products?: string[];
  brands?: string[];
  vendors?: string[];
  tags?: string[];
}

/**
 * A line matches when its productId is in `products`, or when at least one attribute list is
 * present and the line matches every one present (AND across lists, OR within a list; `tags`:
 * the line has at least one of them); then a line matching `exclude` is removed. A selector with
 * only `exclude` matches every line not excluded.
 */
export interface ItemSelector extends ItemMatch {
  exclude?: ItemMatch;
}

export type ConditionNode =
  | { all: ConditionNode[] }
  | { any: ConditionNode[] }
  | { not: ConditionNode }
  | ConditionLeaf;

export interface ConditionLeaf {
  fact: string;
  operator: string;
  value: unknown;
  path?: string;
}

export interface RuleDocument {
  id: string;
  name: string;
  description?: string;
  enabled?: boolean;
  type: DiscountType;
  value?: number;
  /** fixed only: `unit` takes value off each chosen eligible unit (absent: off the eligible lines together). */
  per?: 'unit';
  /** fixed per unit and price: only the N most expensive eligible units. */
  maxUnits?: number;
  /** percentage and fixed: the highest tier reached applies instead of `value`. */
  tiers?: RuleTier[];
  bundle?: { quantity: number; price: number; maxApplications?: number };
  code?: string;
  appliesTo?: ItemSelector;
  minPurchase?: number;
  maxDiscount?: number;
  /** The most this discount gives in total across all redemptions, in major units. */
  budget?: number;
  customer?: { required?: boolean; tiers?: string[]; groups?: string[] };
  schedule?: {
    start?: string;
    end?: string;
    days?: Day[];
    hours?: { from: string; to: string };
  };
  usageLimit?: number;
  perCustomerLimit?: number;
  stackable?: boolean;
  priority?: number;
  bogo?: {
    buy: number;
    get: number;
    percentOff?: number;
    amountOff?: number;
    rewardAppliesTo?: ItemSelector;
    maxApplications?: number;
  };
  pos?: { discountId?: string };
  funding?: { vendor: string; percent: number };
  conditions?: ConditionNode;
}

/** One tier of a tiered percentage or fixed rule: one of minQuantity (units) or minSubtotal (major units). */
export interface RuleTier {
  minQuantity?: number;
  minSubtotal?: number;
  value: number;
}

export interface StorePolicyDocument {
  store: string;
  timezone: string;
  currency: string;
  combine?: Combine;
  minimumUnitPrice?: number;
  maxDiscountPercent?: number;
  pos?: string;
  /** The rule editor's save behaviour; not part of the compiled policy or the ruleset version. */
  editor?: { autoReload?: boolean };
  /** Abuse thresholds and the code-guessing throttle (src/dsl/settings.ts); not part of the ruleset version. */
  abuse?: {
    throttle?: boolean;
    codeGuessing?: { windowMinutes?: number; perTerminal?: number; perKey?: number };
    repeatUse?: { uses?: number; windowHours?: number };
    voidCycling?: { voids?: number; windowHours?: number };
    discountShare?: { percent?: number };
  };
  /** When discounts count as finished and the daily cleanup (src/dsl/settings.ts); not part of the ruleset version. */
  cleanup?: { graceDays?: number; daily?: string };
  /** Webhook subscriptions; operational settings, not part of the compiled policy or the ruleset version. */
  webhooks?: { url: string; events: string[]; secretEnv: string; secretEnvPrevious?: string; expireMinutes?: number }[];
  neverDiscount?: NeverDiscount;
}

/** Lines never eligible for any discount (gift cards, exit bags, delivery fees). */
export interface NeverDiscount extends ItemMatch {
  /** Whether such lines still count toward minPurchase (default false). */
  countTowardMinimum?: boolean;
}

/** The store policy with defaults applied and amounts converted to minor units. */
export interface StorePolicy {
  store: string;
  timezone: string;
  currency: string;
  /** Digits after the decimal point in the currency (USD = 2, JPY = 0). */
  minorDigits: number;
  combine: Combine;
  minimumUnitPrice: Minor;
  maxDiscountBps: BasisPoints;
  pos: string;
  /** null when the store discounts every line. */
  neverDiscount: NeverDiscount | null;
}

// ---------------------------------------------------------------------------
// The compiled ruleset: everything evaluation needs, precomputed and frozen.

/**
 * A tiered rule's tiers: `min` is units (quantity) or minor units (subtotal), strictly increasing;
 * `value` is basis points (percentage) or minor units (fixed).
 */
export interface TierTable {
  kind: 'quantity' | 'subtotal';
  tiers: readonly { min: number; value: number }[];
}

/**
 * The pricing half of a compiled discount: integers only. Optional fields are absent (not null)
 * when unused, so rules that do not use them keep their ruleset version.
 */
export type PricingAction =
  | { type: 'percentage'; rateBps: BasisPoints; maxDiscount: Minor | null; tiers?: TierTable }
  | {
      type: 'fixed';
      amount: Minor;
      maxDiscount: Minor | null;
      /** value off each chosen eligible unit instead of off the lines together. */
      perUnit?: true;
      /** perUnit: only the N most expensive eligible units. */
      maxUnits?: number;
      tiers?: TierTable;
    }
  | { type: 'price'; price: Minor; maxUnits: number | null; maxDiscount: Minor | null }
  | { type: 'bundle'; quantity: number; price: Minor; maxApplications: number | null; maxDiscount: Minor | null }
  | {
      type: 'bogo';
      buy: number;
      get: number;
      percentOffBps: BasisPoints;
      /** A fixed amount off each reward unit instead of percentOff (then percentOffBps is 0). */
      amountOff?: Minor;
      maxApplications: number | null;
      maxDiscount: Minor | null;
      /** null = every line */
      rewardAppliesTo: ItemSelector | null;
    };

export interface CompiledDiscount {
  id: string;
  name: string;
  type: DiscountType;
  enabled: boolean;
  /** Normalised (trimmed, lower-case) code, or null for an automatic discount. */
  code: string | null;
  /** The code as written in the rule document. */
  displayCode: string | null;
  stackable: boolean;
  priority: number;
  /**
   * Comparable magnitude for "largest first" ordering: bps for percentage, minor for fixed (per
   * unit: the per-unit amount; tiered: the first tier's value), minus the set price for price (the
   * lowest price first), 0 for bogo and bundle.
   */
  sortValue: number;
  /** null = every line */
  appliesTo: ItemSelector | null;
  minPurchase: Minor | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  /**
   * The most the discount gives across all redemptions (minor units): evaluate caps it at
   * `budget - usage.given`. Present only when the rule has a budget, so the version of a ruleset
   * without budgets is what it was before budgets existed.
   */
  budget?: Minor;
  action: PricingAction;
  posDiscountId: string | null;
  /** Normalised (lower-case) tiers, or null. */
  tiers: string[] | null;
  /** Normalised (trimmed, lower-case) customer groups, or null. */
  groups: string[] | null;
  /** The vendor's share of this discount (basis points), or null. */
  funding: { vendor: string; percentBps: BasisPoints } | null;
  customerRequired: boolean;
  schedule: ScheduleInfo | null;
  /** The json-rules-engine rule that decides eligibility (the compiled artifact). */
  rule: EngineRule;
  /** Source file the discount came from (for messages; not part of the version hash). */
  source: string;
}

export interface ScheduleInfo {
  /** As written in the rule document. */
  start: string | null;
  end: string | null;
  /** Instants (ms since epoch): start inclusive, end exclusive. */
  startMs: number | null;
  endMs: number | null;
  days: Day[] | null;
  hours: { from: string; to: string } | null;
}

/** A json-rules-engine rule as plain JSON. Top-level conditions are named after the reason they check. */
export interface EngineRule {
  name: string;
  priority: number;
  conditions: { all: EngineCondition[] };
  event: { type: 'eligible'; params: { discountId: string } };
}

export type EngineCondition =
  | { all: EngineCondition[]; name?: string }
  | { any: EngineCondition[]; name?: string }
  | { not: EngineCondition; name?: string }
  | { fact: string; operator: string; value: unknown; path?: string; params?: Record<string, unknown>; name?: string };

// ---------------------------------------------------------------------------
// Evaluate request and response (amounts in minor units).

export interface CartLine {
  id: string;
  productId: string;
  category: string;
  brand?: string;
  vendor?: string;
  tags?: string[];
  unitPrice: Minor;
  quantity: number;
  cannabis?: boolean;
}

export interface Customer {
  id?: string;
  tier?: string;
  groups?: string[];
  [attribute: string]: unknown;
}

export interface EvaluateRequest {
  at?: string;
  /** The POS terminal (register) sending the request: keys the code-guessing throttle; never changes a price. */
  terminalId?: string;
  customer?: Customer;
  codes?: string[];
  explain?: boolean;
  lines: CartLine[];
}

export interface UsageCounts {
  used?: number;
  customers?: Record<string, number>;
  /** Minor units given so far by a discount with a `budget` (all redemptions, not voided). */
  given?: number;
}
/** Redemption counts per discount id, as the store (service) or `--usage` (CLI) reports them. */
export type Usage = Record<string, UsageCounts>;

export interface PosInstruction {
  system: string;
  mode: string;
  discountId?: string;
  action: string;
}

export interface AppliedDiscount {
  discountId: string;
  name: string;
  type: DiscountType;
  code: string | null;
  amount: Minor;
  allocations: { lineId: string; amount: Minor }[];
  /** The vendor's share to bill back: round-half-up(amount x funding percent / 100). */
  funding: { vendor: string; amount: Minor } | null;
  pos: PosInstruction | null;
}

export interface Rejection {
  discountId: string | null;
  code: string | null;
  reason: Reason;
  message: string;
  /** MIN_PURCHASE_NOT_MET: minor units still to spend; MIN_QUANTITY_NOT_MET: units still to add. */
  shortfall?: number;
  winner?: string[];
}

export interface LineResult {
  id: string;
  subtotal: Minor;
  discount: Minor;
  total: Minor;
}

export interface EvaluateResponse {
  rulesetVersion: string;
  currency: string;
  subtotal: Minor;
  discountTotal: Minor;
  total: Minor;
  lines: LineResult[];
  applied: AppliedDiscount[];
  rejected: Rejection[];
  /** Set (false) by the service only when the ledger could not be read and usage counted as 0. */
  limitsChecked?: false;
}
