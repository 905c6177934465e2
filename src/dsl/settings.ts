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

/** The store policy's operational settings with defaults applied (not hashed into rulesetVersion). */
export interface StoreSettings {
  editor: EditorSettings;
}

export interface EditorSettings {
  /** Saving a rule file in the editor reloads the served ruleset (default false: a save is a file for review). */
  autoReload: boolean;
}

/** The settings of a store document (already schema-checked), defaults filled in. */
export function compileSettings(doc: Partial<StorePolicyDocument> | null): StoreSettings {
  return {
    editor: { autoReload: doc?.editor?.autoReload === true },
  };
}

/** The settings when there is no store.yaml (or it is broken). */
export const DEFAULT_SETTINGS: StoreSettings = compileSettings(null);
