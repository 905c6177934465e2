// The store policy's operational settings: what the service does around pricing (the editor's
// save behaviour; later the abuse thresholds, the cleanup schedule, the webhook subscriptions).
// They never change a price, so they are not part of the compiled policy or the ruleset version:
// changing one does not change `rulesetVersion`, and a stored redemption's version still names the
// pricing it was made with.
//
// Each setting has its defaults here, applied once when store.yaml compiles, so the rest of the
// code reads plain values. store.schema.json checks the shape; meaning checks that need more than
// the schema (a time of day, an environment variable) report located diagnostics from compile.ts.

import type { StorePolicyDocument } from '../domain/types.js';
import type { EventType, WebhookSubscription } from '../events/types.js';

/** The store policy's operational settings with defaults applied (not hashed into rulesetVersion). */
export interface StoreSettings {
  editor: EditorSettings;
  /** Webhook subscriptions (issue 15), in document order; secrets are named, never written here. */
  webhooks: WebhookSubscription[];
}

/** Default `webhooks[].expireMinutes`: a POS reward triggered later than this is useless at the counter. */
export const DEFAULT_EXPIRE_MINUTES = 15;

export interface EditorSettings {
  /** Saving a rule file in the editor reloads the served ruleset (default false: a save is a file for review). */
  autoReload: boolean;
}

/** The settings of a store document (already schema-checked), defaults filled in. */
export function compileSettings(doc: Partial<StorePolicyDocument> | null): StoreSettings {
  return {
    editor: { autoReload: doc?.editor?.autoReload === true },
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
