// A webhook receiver for tests, on 127.0.0.1 only: records every request (headers, body exactly as
// received, whether the standardwebhooks package accepts its signature) and answers as the test
// says: a status, a hang (no answer until released), or closed (the port refuses connections).

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  transactionId: string | null;
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
  path: string;
}

export type Answer = number | 'hang';

export class Receiver {
  readonly received: Received[] = [];
  /** Decides each answer (default 204). */
  answer: (r: Received) => Answer = () => 204;
  #server: Server | null = null;
  #hung: ServerResponse[] = [];
  port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => ok());
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening (connections are refused until start(port) again). */
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    if (!s) return;
    for (const r of this.#hung.splice(0)) r.destroy();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Answers the hung requests with `status`. */
  release(status = 204): void {
    for (const r of this.#hung.splice(0)) if (!r.destroyed) r.writeHead(status).end();
  }

  ids(type?: string): string[] {
    return this.received.filter((r) => type === undefined || r.type === type).map((r) => r.id);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      let parsed: { id?: string; type?: string; data?: { transactionId?: string } } = {};
      try {
        parsed = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as typeof parsed;
        verified = true;
      } catch {
        try {
          parsed = JSON.parse(body);
        } catch {
          // not JSON
        }
      }
      const r: Received = {
        id: String(req.headers['webhook-id'] ?? ''),
        type: String(parsed.type ?? ''),
        transactionId: parsed.data?.transactionId ?? null,
        headers: req.headers,
        body,
        verified,
        path: req.url ?? '',
      };
      this.received.push(r);
      const a = this.answer(r);
      if (a === 'hang') this.#hung.push(res);
      else res.writeHead(a).end();
    });
  }
}

/** Waits (polling every 25 ms) until `cond` holds; throws with `what` after `ms`. Bounded, not a timing assertion. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
