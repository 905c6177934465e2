// The rule editor's view of the rule files (GET /v1/rules), shared by the server route and the
// browser page, which may import only browser-safe modules. Types only; imports only domain types.

import type { Diagnostic } from './types.js';

/** A discount's state now (GET /v1/discounts). */
export type DiscountState = 'paused' | 'scheduled' | 'expired' | 'exhausted' | 'active';
/** A rule file's state: the discount's, or `error` when the file has errors. */
export type RuleState = DiscountState | 'error';
/** How the file on disk relates to the served ruleset ("saved, not live" is changed or new). */
export type RuleSync = 'live' | 'changed' | 'new' | 'deleted';

export interface RuleListEntry {
  id: string;
  file: string | null;
  name: string | null;
  type: string | null;
  code: string | null;
  revision: string | null;
  state: RuleState;
  sync: RuleSync;
  live: boolean;
  diagnostics: Diagnostic[];
}
