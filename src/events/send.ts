// One delivery attempt: a POST of the body exactly as stored, signed for this attempt
// (src/events/sign.ts), through the address guard (src/events/guard.ts: the URL's literal IP
// before connecting, every resolved address at connect time). A 2xx within the timeout is success;
// redirects are never followed (a 3xx is a failure like any other status); the response body is
// read (up to 64 KiB, for the attempt's error text) and discarded. Never throws: every failure is a
// SendResult the retry schedule (src/events/retry.ts) decides on.

import * as http from 'node:http';
import * as https from 'node:https';
import { guardedLookup, urlProblem, type AllowList, type Resolver } from './guard.js';
import { parseRetryAfter, type SendResult } from './retry.js';
import { signHeaders } from './sign.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;
const USER_AGENT = 'discount-rules-webhooks/1';

export interface SendOptions {
  /** The whole attempt (connect, request, response headers and body) must fit in this (default 10 s). */
  timeoutMs?: number;
  allow: AllowList;
  /** Resolves host names at connect time (default the system's; tests inject one). */
  resolver?: Resolver;
  /** The clock (ms): the signature's timestamp and the duration. */
  now: () => number;
}

export interface Outgoing {
  url: string;
  eventId: string;
  bodyText: string;
  /** The current secret, then the previous one during a rotation. */
  secrets: readonly string[];
}

export async function send(out: Outgoing, options: SendOptions): Promise<SendResult> {
  const started = options.now();
  const result = (statusCode: number | null, error: string | null, retryAfterMs: number | null = null): SendResult => ({
    statusCode,
    durationMs: Math.max(0, options.now() - started),
    error,
    retryAfterMs,
  });
  let url: URL;
  try {
    url = new URL(out.url);
  } catch {
    return result(null, `'${out.url}' is not a URL`);
  }
  const problem = urlProblem(url, options.allow);
  if (problem) return result(null, `refused: ${problem}`);
  let headers: Record<string, string>;
  try {
    headers = { ...signHeaders(out.secrets, out.eventId, started, out.bodyText) };
  } catch (err) {
    return result(null, (err as Error).message);
  }
  const body = Buffer.from(out.bodyText, 'utf8');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const request = url.protocol === 'https:' ? https.request : http.request;

  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.allow, options.resolver),
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
      },
    });
    const timer = setTimeout(() => {
      finish(result(null, `no complete response within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish(result(null, describeError(err))));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLong = false;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
        size += c.length;
        if (size > MAX_BODY) {
          tooLong = true;
          res.destroy();
        }
      });
      const done = () => {
        // A response cut off by the receiver is no answer (a 2xx that never finished is not a delivery).
        if (!res.complete && !tooLong) return finish(result(null, `HTTP ${status}: the connection closed before the response was complete`));
        const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
        if (status >= 200 && status < 300) return finish(result(status, null));
        const retryAfter = parseRetryAfter(res.headers['retry-after'], options.now());
        const where = status >= 300 && status < 400 ? ` (redirects are not followed${res.headers.location ? `; Location: ${String(res.headers.location).slice(0, 200)}` : ''})` : '';
        finish(result(status, `HTTP ${status}${where}${text ? `: ${text}` : ''}`, retryAfter));
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => done());
    });
    req.end(body);
  });
}

function describeError(err: Error): string {
  const e = err as NodeJS.ErrnoException;
  if (e.name === 'GuardError' || (e as { code?: string }).code === 'webhook_address_refused') return e.message;
  return e.message || e.code || String(err);
}
