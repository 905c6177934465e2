// Request bodies: JSON only, at most 1 MiB (refused from Content-Length before reading, or as soon
// as the streamed bytes pass the limit), strict UTF-8, and keys named __proto__, constructor or
// prototype dropped while parsing so they can never reach an object's prototype chain.
// Also the canonical JSON the idempotency check compares.

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { ApiError } from './errors.js';

export const BODY_LIMIT = 1024 * 1024;

const INERT_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// The reviver costs time, so it only runs when the text could hold such a key: the plain names,
// or any \u escape (which could spell them).
const MAYBE_INERT = /__proto__|constructor|prototype|\\u/;

const reviver = (key: string, value: unknown) => (INERT_KEYS.has(key) ? undefined : value);
// Non-streaming decode calls keep no state, so one decoder serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON.parse without the inert keys. Throws SyntaxError. */
export function parseJsonSafe(text: string): unknown {
  return MAYBE_INERT.test(text) ? JSON.parse(text, reviver) : JSON.parse(text);
}

export function isJsonMediaType(contentType: string | undefined | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/**
 * Reads and parses a JSON body. With `optional`, an absent or empty body is `undefined` (and needs
 * no Content-Type); otherwise it is a 400.
 */
export async function readJsonBody(c: Context, options: { optional?: boolean; limit?: number } = {}): Promise<unknown> {
  const limit = options.limit ?? BODY_LIMIT;
  const raw = c.req.raw;
  const lengthHeader = raw.headers.get('content-length');
  let declared: number | null = null;
  if (lengthHeader !== null) {
    if (!/^\d+$/.test(lengthHeader.trim())) throw new ApiError('invalid_request', 'Content-Length is not a number', { details: [{ path: 'Content-Length', message: 'must be a non-negative integer' }] });
    declared = Number(lengthHeader.trim());
    if (declared > limit) throw tooLarge(limit);
  }
  // Under @hono/node-server the body is read from the Node request itself (c.env.incoming):
  // touching the web Request's body stream would build a full web Request per call, the largest
  // cost of a small request. Elsewhere (app.request() in tests) the web stream is read.
  const incoming = nodeIncoming(c);
  const hasBody = incoming ? declared !== null || raw.headers.has('transfer-encoding') : raw.body !== null;
  const empty = !hasBody || declared === 0;
  if (empty && options.optional) return undefined;
  if (!isJsonMediaType(raw.headers.get('content-type'))) {
    throw new ApiError('unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)', {
      details: [{ path: 'Content-Type', message: `expected application/json, got ${JSON.stringify(raw.headers.get('content-type') ?? '')}` }],
    });
  }
  const bytes = empty ? new Uint8Array(0) : incoming ? await readIncoming(incoming, limit) : await readLimited(raw.body!, limit);
  if (bytes.length === 0) {
    if (options.optional) return undefined;
    throw new ApiError('invalid_request', 'the request body is empty', { details: [{ path: '', message: 'expected a JSON object' }] });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError('invalid_request', 'the request body is not valid UTF-8', { details: [{ path: '', message: 'not valid UTF-8' }] });
  }
  try {
    return parseJsonSafe(text);
  } catch (err) {
    throw new ApiError('invalid_request', 'the request body is not valid JSON', { details: [{ path: '', message: (err as Error).message }] });
  }
}

function nodeIncoming(c: Context): IncomingMessage | null {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Only a request nobody has started reading (otherwise its data events are gone).
  return incoming && typeof incoming.on === 'function' && !incoming.readableDidRead && !incoming.readableEnded ? incoming : null;
}

/** Reads a Node request body, refusing it (413) as soon as it passes the limit. */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        incoming.pause();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = () => {
      done();
      reject(new ApiError('invalid_request', 'the request body could not be read', { details: [{ path: '', message: 'the connection failed while sending the body' }] }));
    };
    const onClose = () => {
      if (!incoming.complete) onError();
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

async function readLimited(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const ch of chunks) {
    out.set(ch, offset);
    offset += ch.length;
  }
  return out;
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `the request body is larger than ${limit} bytes`, { details: [{ path: '', message: `at most ${limit} bytes` }] });
}

/** JSON with object keys sorted (recursively), arrays in order: equal for bodies that differ only in key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v === undefined ? null : v)).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}
