// Standard Webhooks signing (https://www.standardwebhooks.com): the three headers of one attempt.
// webhook-id is the event id (stable across retries, for the receiver's deduplication),
// webhook-timestamp the attempt's time in integer seconds (renewed on every attempt, so a receiver
// can refuse old replays), webhook-signature `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one
// per secret, space-separated (the previous secret signs too during a key rotation). The HMAC key
// is the base64-decoded part after `whsec_`.

import { createHmac } from 'node:crypto';
import { SECRET_PREFIX, secretProblem } from './secret.js';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A secret that is not `whsec_` + base64 of at least 24 bytes (the loader reports it first; this is the last guard). */
export class SecretError extends Error {}

/** The HMAC key of a `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  const problem = secretProblem(secret);
  if (problem) throw new SecretError(`webhook secret ${problem}`);
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** `v1,<base64>` for one secret. */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return 'v1,' + createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
}

/**
 * The headers of one attempt at `nowMs`. `secrets` are the current secret then, during a
 * rotation, the previous one; each signs.
 */
export function signHeaders(secrets: readonly string[], id: string, nowMs: number, body: string): SignedHeaders {
  if (secrets.length === 0) throw new SecretError('no webhook secret to sign with');
  const ts = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': secrets.map((s) => signature(s, id, ts, body)).join(' '),
  };
}
