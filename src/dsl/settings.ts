// The store policy's operational settings: what the service does around pricing (the editor's
// save behaviour, the abuse thresholds and the code-guessing throttle, the cleanup schedule; later
// the webhook subscriptions). They never change a price, so they are not part of the compiled
// policy or the ruleset version: changing one does not change `rulesetVersion`, and a stored
// redemption's version still names the pricing it was made with.
//
// Each setting has its defaults here, applied once when store.yaml compiles, so the rest of the
// code reads plain values. store.schema.json checks the shape; meaning checks that need more than
// the schema (a time of day, an environment variable) report located diagnostics from compile.ts.

import type { StorePolicyDocument } from '../domain/types.js';
import type { EventType, WebhookSubscription } from '../events/types.js';

/** The store policy's operational settings with defaults applied (not hashed into rulesetVersion). */
export interface StoreSettings {
  editor: EditorSettings;
  abuse: AbuseSettings;
  cleanup: CleanupSettings;
  /** Webhook subscriptions (issue 15), in document order; secrets are named, never written here. */
  webhooks: WebhookSubscription[];
}

/** Default `webhooks[].expireMinutes`: a POS reward triggered later than this is useless at the counter. */
export const DEFAULT_EXPIRE_MINUTES = 15;

export interface EditorSettings {
  /** Saving a rule file in the editor reloads the served ruleset (default false: a save is a file for review). */
  autoReload: boolean;
}

/** store.yaml `abuse:` (docs/abuse.md). Counts are "more than" thresholds unless said otherwise. */
export interface AbuseSettings {
  /** Refuse requests with codes past the code-guessing limits (429 rate_limited); default true. */
  throttle: boolean;
  codeGuessing: {
    /** Length of a counting window (fixed windows aligned to the epoch), default 60 minutes. */
    windowMinutes: number;
    /** UNKNOWN_CODE attempts per window per API key and terminal (else customer, else the key alone) that trip the throttle and the signal; default 20. */
    perTerminal: number;
    /** UNKNOWN_CODE attempts per window per API key whatever the terminal; default 60. */
    perKey: number;
  };
  repeatUse: {
    /** A customer using one discount (without a per-customer limit) more than this many times within the window is a signal; default 3. */
    uses: number;
    windowHours: number;
  };
  voidCycling: {
    /** More than this many voided discounted sales of one customer or terminal within the window is a signal; default 3. */
    voids: number;
    windowHours: number;
  };
  discountShare: {
    /** A sale whose discounts are more than this share of its subtotal (basis points; store.yaml gives a percent) is a signal; default 5000 (50%). */
    bps: number;
  };
}

/** store.yaml `cleanup:` (docs/cleanup.md). */
export interface CleanupSettings {
  /** Days after a schedule's end or a usage limit's last use before a discount counts as finished; default 30. */
  graceDays: number;
  /** Store-local time of day ("HH:MM") of the automatic daily cleanup, or null (default: none). */
  daily: string | null;
}

export const DEFAULT_ABUSE: AbuseSettings = Object.freeze({
  throttle: true,
  codeGuessing: Object.freeze({ windowMinutes: 60, perTerminal: 20, perKey: 60 }),
  repeatUse: Object.freeze({ uses: 3, windowHours: 24 }),
  voidCycling: Object.freeze({ voids: 3, windowHours: 24 }),
  discountShare: Object.freeze({ bps: 5000 }),
}) as AbuseSettings;

export const DEFAULT_CLEANUP: CleanupSettings = Object.freeze({ graceDays: 30, daily: null });

const int = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isInteger(v) ? v : fallback);

/** The settings of a store document (already schema-checked), defaults filled in. */
export function compileSettings(doc: Partial<StorePolicyDocument> | null): StoreSettings {
  const a = doc?.abuse;
  const d = DEFAULT_ABUSE;
  const percent = a?.discountShare?.percent;
  return {
    editor: { autoReload: doc?.editor?.autoReload === true },
    abuse: {
      throttle: a?.throttle !== false,
      codeGuessing: {
        windowMinutes: int(a?.codeGuessing?.windowMinutes, d.codeGuessing.windowMinutes),
        perTerminal: int(a?.codeGuessing?.perTerminal, d.codeGuessing.perTerminal),
        perKey: int(a?.codeGuessing?.perKey, d.codeGuessing.perKey),
      },
      repeatUse: { uses: int(a?.repeatUse?.uses, d.repeatUse.uses), windowHours: int(a?.repeatUse?.windowHours, d.repeatUse.windowHours) },
      voidCycling: { voids: int(a?.voidCycling?.voids, d.voidCycling.voids), windowHours: int(a?.voidCycling?.windowHours, d.voidCycling.windowHours) },
      // The schema allows at most 2 decimals (multipleOf 0.01): a whole number of basis points.
      discountShare: { bps: typeof percent === 'number' ? Math.round(percent * 100) : d.discountShare.bps },
    },
    cleanup: {
      graceDays: int(doc?.cleanup?.graceDays, DEFAULT_CLEANUP.graceDays),
      daily: typeof doc?.cleanup?.daily === 'string' ? doc.cleanup.daily : null,
    },
    webhooks: (doc?.webhooks ?? []).map((w) => ({
      url: w.url,
      // Each type once, in a fixed order, whatever the document's order.
      events: [...new Set(w.events)].sort() as EventType[],
      secretEnv: w.secretEnv,
      secretEnvPrevious: w.secretEnvPrevious ?? null,
      expireMinutes: w.expireMinutes ?? DEFAULT_EXPIRE_MINUTES,
    })),
  };
}

/** The settings when there is no store.yaml (or it is broken). */
export const DEFAULT_SETTINGS: StoreSettings = compileSettings(null);
