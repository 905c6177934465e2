// The one place that wires the service together: configuration, the rules directory, the
// database, the clock and the HTTP server (@hono/node-server). Started by `discounts serve`
// (src/cli/serve.ts). Refuses to start (exit 2) on rules with errors, on a non-loopback address
// without API keys, or on a database it cannot open. SIGHUP reloads the rules; SIGTERM and SIGINT
// stop accepting, let in-flight requests finish, then close the database.

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { formatDiagnostic } from './dsl/compile.js';
import { Dispatcher } from './events/dispatcher.js';
import { EMPTY_ALLOW } from './events/guard.js';
import type { WebhookConfig } from './events/config.js';
import type { ApiKey } from './http/auth.js';
import { createService, type Service } from './http/app.js';
import { createLogger, type LogLevel } from './http/logger.js';
import { createMetrics } from './http/metrics.js';
import { loadServedRuleset, RulesetHolder } from './http/ruleset.js';
import { describeStoreLocation, openStore, parseStoreLocation } from './store/open.js';
import type { LedgerStore } from './store/types.js';

export interface ServiceConfig {
  /** The rules directory (absolute) and how messages name it. */
  rulesDir: string;
  rulesDisplay: string;
  /** SQLite file (created with its directory when missing), or a postgres:// URL. */
  dbPath: string;
  /** PostgreSQL: connections in the pool (default 10). */
  dbPoolSize?: number;
  /** How long a write waits for a lock (or a pooled connection) before 503 unavailable (default 5000 ms). */
  dbBusyTimeoutMs?: number;
  port: number;
  host: string;
  keys: ApiKey[];
  logLevel: LogLevel;
  /** How long shutdown waits for in-flight requests before closing connections (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * The environment webhook secrets are read from (`webhooks[].secretEnv`): checked at load and
   * reload, read when signing. Default: none, so a store policy with webhooks fails to load.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The webhook dispatcher (src/events/config.ts; default: sending on, the defaults, no allow list). */
  webhooks?: WebhookConfig;
}

export interface StartIO {
  /** Human-readable lines (start-up problems, the URL): stderr. */
  stderr(text: string): void;
  /** JSON log lines: stdout. */
  log(line: string): void;
  now(): number;
}

export interface RunningService {
  url: string;
  service: Service;
  store: LedgerStore;
  /** The webhook dispatcher (null with DISCOUNTS_WEBHOOKS_DISPATCH=off). */
  dispatcher: Dispatcher | null;
  /** Graceful stop; resolves when the server and the database are closed. */
  close(): Promise<void>;
  /** Resolves after close (by a signal or a call). */
  closed: Promise<void>;
}

export class StartError extends Error {}

export const LOOPBACK = '127.0.0.1';

export async function startService(config: ServiceConfig, io: StartIO, options: { signals?: boolean } = {}): Promise<RunningService> {
  const logger = createLogger({ level: config.logLevel, write: io.log, now: io.now });
  if (config.keys.length === 0 && config.host !== LOOPBACK)
    throw new StartError(`no API keys configured (DISCOUNTS_API_KEYS or DISCOUNTS_API_KEYS_FILE): development mode only binds ${LOOPBACK}, not ${config.host}`);

  const env = config.env ?? {};
  const loaded = await loadServedRuleset(config.rulesDir, config.rulesDisplay, env);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    throw new StartError(`${loaded.message}: not starting`);
  }
  for (const d of loaded.ruleset.diagnostics) logger.warn('rule diagnostic', { diagnostic: formatDiagnostic(d) });

  let store: LedgerStore;
  try {
    if (parseStoreLocation(config.dbPath).dialect === 'sqlite') mkdirSync(dirname(resolve(config.dbPath)), { recursive: true });
    store = await openStore({ url: config.dbPath, poolSize: config.dbPoolSize, busyTimeoutMs: config.dbBusyTimeoutMs });
  } catch (err) {
    throw new StartError(`cannot open the database ${describeStoreLocation(config.dbPath)}: ${(err as Error).message}`);
  }

  const rulesets = new RulesetHolder(loaded.ruleset, { dir: config.rulesDir, displayDir: config.rulesDisplay, env });
  // A redemption or void that wrote events wakes the dispatcher, so a POS reward is triggered at
  // once instead of at the next poll.
  let wake = (): void => undefined;
  const service = createService({ rulesets, store: wakingStore(store, () => wake()), now: io.now, keys: config.keys, logger, metrics: createMetrics({ defaultMetrics: true }), replayDb: config.dbPath });
  if (config.keys.length === 0)
    logger.warn('DEVELOPMENT MODE: no API keys configured, every route is open; bound to 127.0.0.1 only. Set DISCOUNTS_API_KEYS or DISCOUNTS_API_KEYS_FILE for production.', {
      devMode: true,
    });

  let server: Server;
  try {
    server = await new Promise<Server>((ok, fail) => {
      const s = serve({ fetch: service.app.fetch, port: config.port, hostname: config.host }, () => ok(s as Server)) as Server;
      s.once('error', fail);
    });
  } catch (err) {
    await store.close();
    throw new StartError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  server.keepAliveTimeout = 65_000;
  // The daily cleanup (store.yaml cleanup.daily), checked every minute; one instance per day runs it.
  service.cleanup.start();

  // The webhook dispatcher sends what the outbox holds (this instance's writes and every other's on
  // the same database), with no database lock held while sending.
  const hooks = config.webhooks;
  const dispatcher =
    hooks?.dispatch === false
      ? null
      : new Dispatcher({
          outbox: service.outbox,
          env,
          allow: hooks?.allow ?? EMPTY_ALLOW,
          now: io.now,
          leaseMs: hooks?.leaseMs,
          timeoutMs: hooks?.timeoutMs,
          pollMs: hooks?.pollMs,
          concurrency: hooks?.concurrency,
          retry: hooks?.retry,
          logger,
        });
  dispatcher?.start();
  if (dispatcher) wake = () => dispatcher.wake();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info('listening', { url, rulesetVersion: loaded.ruleset.version, rules: config.rulesDisplay, db: describeStoreLocation(config.dbPath), keys: config.keys.length, pid: process.pid });

  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const onHup = () => void service.reload('signal');
  const onStop = (signal: string) => () => {
    logger.info('shutting down', { signal });
    void close();
  };
  const stops = { SIGTERM: onStop('SIGTERM'), SIGINT: onStop('SIGINT') };

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (options.signals) {
        process.off('SIGHUP', onHup);
        process.off('SIGTERM', stops.SIGTERM);
        process.off('SIGINT', stops.SIGINT);
      }
      // Stop accepting; idle keep-alive connections close now, busy ones after their response.
      const done = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const grace = setTimeout(() => {
        logger.warn('shutdown grace period over: closing open connections');
        server.closeAllConnections();
      }, config.shutdownGraceMs ?? 10_000);
      grace.unref();
      await done;
      clearTimeout(grace);
      // No new claims; sends in flight finish (each within its timeout) and are recorded, or their
      // leases lapse and another instance (or the next start) sends them again with the same id.
      await dispatcher?.stop();
      await service.close();
      await store.close();
      logger.info('stopped');
      resolveClosed();
    })());

  if (options.signals) {
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', stops.SIGTERM);
    process.on('SIGINT', stops.SIGINT);
  }
  return { url, service, store, dispatcher, close, closed };
}

/** The store with redeem and voidRedemption calling `after` once they have returned (the same object otherwise). */
export function wakingStore(store: LedgerStore, after: () => void): LedgerStore {
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'redeem' || prop === 'voidRedemption')
        return async (...args: unknown[]) => {
          const result = await fn.apply(target, args);
          after();
          return result;
        };
      return fn.bind(target);
    },
  });
}

/** The lines `discounts serve` prints for a person: where it listens and a first request to try. */
export function welcome(url: string, rulesDisplay: string, keys: readonly ApiKey[], demoCart: string | null): string {
  const auth = keys.length ? ` -H "Authorization: Bearer $DISCOUNTS_KEY"` : '';
  const lines = [`discounts: serving ${rulesDisplay} on ${url}${keys.length ? '' : ' (development mode: no API keys)'}`];
  if (demoCart) lines.push(`try: curl -s -X POST ${url}/v1/evaluate -H 'Content-Type: application/json'${auth} --data @${demoCart}`);
  return lines.join('\n') + '\n';
}
