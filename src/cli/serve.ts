// `discounts serve [--rules DIR] [--db PATH|URL] [--port N] [--host H]`: runs the HTTP service until
// SIGTERM or SIGINT. Flags win over the environment (DISCOUNTS_RULES, DISCOUNTS_DB then DATABASE_URL,
// DISCOUNTS_DB_POOL, DISCOUNTS_DB_BUSY_TIMEOUT_MS, DISCOUNTS_PORT, DISCOUNTS_HOST, DISCOUNTS_API_KEYS,
// DISCOUNTS_API_KEYS_FILE, DISCOUNTS_LOG_LEVEL, and the webhook dispatcher's DISCOUNTS_WEBHOOKS_*:
// src/events/config.ts). Exit 0 after a
// graceful stop, 2 when it cannot start.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KeyConfigError, parseKeyFile, parseKeyList, type ApiKey } from '../http/auth.js';
import { resolveWebhookConfig, WebhookConfigError, type WebhookConfig } from '../events/config.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../http/logger.js';
import { startService, StartError, welcome, type ServiceConfig } from '../main.js';
import { parseStoreLocation } from '../store/open.js';
import { EXIT, UsageError, type CliIO, storeSettingOrUsage } from './io.js';

export const SERVE_DEFAULTS = { rules: 'rules', db: 'data/discounts.db', port: 8080, host: '127.0.0.1', logLevel: 'info' as LogLevel };

type Env = Record<string, string | undefined>;

/** Flags, then environment, then defaults. Throws UsageError (exit 2) for a bad value. */
export function resolveServeConfig(values: { rules?: string; db?: string; port?: string; host?: string }, env: Env, cwd: string): ServiceConfig {
  const pick = (flag: string | undefined, name: string, fallback: string) => flag ?? (env[name] !== undefined && env[name] !== '' ? env[name]! : fallback);
  const rules = pick(values.rules, 'DISCOUNTS_RULES', SERVE_DEFAULTS.rules);
  const store = storeSettingOrUsage(values.db, env);
  const db = store.value ?? SERVE_DEFAULTS.db;
  // A PostgreSQL URL is passed as is; a file path is resolved against the working directory.
  const dbPath = parseStoreLocation(db).dialect === 'postgres' ? db : resolve(cwd, db);
  const portText = pick(values.port, 'DISCOUNTS_PORT', String(SERVE_DEFAULTS.port));
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`port must be an integer from 0 to 65535, not '${portText}'`);
  const host = pick(values.host, 'DISCOUNTS_HOST', SERVE_DEFAULTS.host);
  const level = pick(undefined, 'DISCOUNTS_LOG_LEVEL', SERVE_DEFAULTS.logLevel);
  if (!isLogLevel(level)) throw new UsageError(`DISCOUNTS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not '${level}'`);
  const keys: ApiKey[] = [];
  try {
    if (env.DISCOUNTS_API_KEYS) keys.push(...parseKeyList(env.DISCOUNTS_API_KEYS));
    if (env.DISCOUNTS_API_KEYS_FILE) {
      let text: string;
      try {
        text = readFileSync(resolve(cwd, env.DISCOUNTS_API_KEYS_FILE), 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read DISCOUNTS_API_KEYS_FILE ${env.DISCOUNTS_API_KEYS_FILE}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      keys.push(...parseKeyFile(text, `DISCOUNTS_API_KEYS_FILE ${env.DISCOUNTS_API_KEYS_FILE}`));
    }
  } catch (err) {
    if (err instanceof KeyConfigError) throw new UsageError(err.message);
    throw err;
  }
  let webhooks: WebhookConfig;
  try {
    webhooks = resolveWebhookConfig(env);
  } catch (err) {
    if (err instanceof WebhookConfigError) throw new UsageError(err.message);
    throw err;
  }
  return { rulesDir: resolve(cwd, rules), rulesDisplay: rules, dbPath, dbPoolSize: store.poolSize, dbBusyTimeoutMs: store.busyTimeoutMs, port: Number(portText), host, keys, logLevel: level, env, webhooks };
}

export async function serveCommand(args: { values: { rules?: string; db?: string; port?: string; host?: string }; positionals: string[] }, io: CliIO): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const config = resolveServeConfig(args.values, process.env, io.cwd);
  try {
    const running = await startService(config, { stderr: io.stderr, log: (line) => io.stdout(line), now: io.now }, { signals: true });
    const demo = join(config.rulesDisplay, 'carts', 'demo.json');
    io.stderr(welcome(running.url, config.rulesDisplay, config.keys, existsSync(resolve(io.cwd, demo)) ? demo : null));
    await running.closed;
    return EXIT.ok;
  } catch (err) {
    if (err instanceof StartError) {
      io.stderr(`discounts serve: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
