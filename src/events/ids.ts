// Event ids: `evt_` and 128 random bits (hex), drawn once when the event is written and kept on
// every retry and redelivery (receivers deduplicate by it). Random rather than derived from the
// transaction so that a transaction id reused after the ledger was cleaned never repeats an id.

import { randomBytes } from 'node:crypto';

export const EVENT_ID = /^evt_[0-9a-f]{32}$/;

export function randomEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}
