// API keys and scopes. Keys come as `scope:key` entries (DISCOUNTS_API_KEYS, comma-separated, or
// DISCOUNTS_API_KEYS_FILE, one per line with # comments). A presented Bearer key is compared with
// every configured key in constant time (crypto.timingSafeEqual over SHA-256 digests, which are
// always the same length), so neither the match nor its position leaks through timing.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

export const SCOPES = ['pos', 'editor', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  scope: Scope;
  key: string;
}

export class KeyConfigError extends Error {}

/** Parses `scope:key` entries; `where` names the source in messages (never the key itself). */
export function parseApiKeys(entries: readonly string[], where: string): ApiKey[] {
  const keys: ApiKey[] = [];
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === '') return;
    const colon = entry.indexOf(':');
    const scope = colon > 0 ? entry.slice(0, colon).trim() : '';
    const key = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!(SCOPES as readonly string[]).includes(scope))
      throw new KeyConfigError(`${where}: entry ${i + 1} must be scope:key with scope pos, editor or admin${scope ? ` (got scope '${scope}')` : ''}`);
    if (key === '') throw new KeyConfigError(`${where}: entry ${i + 1} (${scope}): the key is empty`);
    if (/\s/.test(key)) throw new KeyConfigError(`${where}: entry ${i + 1} (${scope}): the key must not contain spaces`);
    keys.push({ scope: scope as Scope, key });
  });
  return keys;
}

/** DISCOUNTS_API_KEYS: comma-separated entries. */
export function parseKeyList(text: string, where = 'DISCOUNTS_API_KEYS'): ApiKey[] {
  return parseApiKeys(text.split(','), where);
}

/** DISCOUNTS_API_KEYS_FILE contents: one entry per line, # starts a comment. */
export function parseKeyFile(text: string, where: string): ApiKey[] {
  return parseApiKeys(
    text.split(/\r?\n/).map((l) => l.replace(/#.*$/, '')),
    where,
  );
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The id telemetry keys a presented API key by: never the key, the same on every instance. */
export function keyIdOf(presented: string): string {
  return 'key-' + createHash('sha256').update('discounts-api-key-id\u0000' + presented, 'utf8').digest('hex').slice(0, 16);
}

/** The key id of development mode (no keys configured). */
export const OPEN_KEY_ID = 'key-open';

export class Keyring {
  readonly #entries: { scope: Scope; digest: Buffer }[];

  constructor(keys: readonly ApiKey[]) {
    this.#entries = keys.map((k) => ({ scope: k.scope, digest: digest(k.key) }));
  }

  /** No keys: development mode (every route open). */
  get open(): boolean {
    return this.#entries.length === 0;
  }

  /** The scopes of the presented key (a key may be listed under several scopes); empty when unknown. */
  scopesOf(presented: string): Set<Scope> {
    const d = digest(presented);
    const scopes = new Set<Scope>();
    // Every entry is compared, whatever matched before.
    for (const e of this.#entries) if (timingSafeEqual(d, e.digest)) scopes.add(e.scope);
    return scopes;
  }
}

/** Which scopes may call a route; admin may call everything. */
export function requireScope(keyring: Keyring, allowed: readonly Scope[]): MiddlewareHandler {
  return async (c, next) => {
    if (keyring.open) {
      c.set('keyId', OPEN_KEY_ID);
      return next();
    }
    const header = c.req.header('authorization');
    const match = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ApiError('unauthorized', header ? 'the Authorization header must be "Bearer <key>"' : 'an API key is required (Authorization: Bearer <key>)', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const scopes = keyring.scopesOf(match[1]);
    if (scopes.size === 0) throw new ApiError('unauthorized', 'the API key is not valid', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    if (!scopes.has('admin') && !allowed.some((s) => scopes.has(s)))
      throw new ApiError('forbidden', `this route needs a key with scope ${[...new Set([...allowed, 'admin'])].join(' or ')}`);
    c.set('keyId', keyIdOf(match[1]));
    return next();
  };
}
