// `discounts evaluate --rules DIR [--usage FILE] [CART.json | -]`

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { evaluate } from '../engine/evaluate.js';
import { checkRequest, checkUsage, checkUsageIds, type InputError } from '../engine/request.js';
import { loadRuleset } from '../ruleset/load.js';
import { EXIT, UsageError, type CliIO } from './io.js';

export async function evaluateCommand(args: { values: { rules?: string; usage?: string }; positionals: string[] }, io: CliIO): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument '${args.positionals[1]}' (expects at most one cart file)`);
  const cartArg = args.positionals[0] ?? '-';
  const cartText = cartArg === '-' ? await io.readStdin() : await readText(io, cartArg);
  const body = parseJson(cartText, cartArg === '-' ? 'stdin' : cartArg);
  const req = checkRequest(body);
  if (!req.ok) return inputErrors(io, cartArg === '-' ? 'stdin' : cartArg, req.errors);
  let usage = {};
  if (args.values.usage) {
    const u = checkUsage(parseJson(await readText(io, args.values.usage), args.values.usage));
    if (!u.ok) return inputErrors(io, args.values.usage, u.errors);
    usage = u.value;
  }
  const dir = args.values.rules ?? 'rules';
  const loaded = await loadRuleset(resolve(io.cwd, dir), dir);
  if (!loaded.prepared) {
    for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    io.stderr('discounts evaluate: the rules have errors\n');
    return EXIT.usage;
  }
  // Counts for an id the rules do not have would leave a limit silently unenforced.
  const unknown = checkUsageIds(usage, loaded.ruleset!.discounts.map((d) => d.id));
  if (unknown.length) {
    for (const e of unknown) io.stderr(`${e.code}: ${args.values.usage}: ${e.message}\n`);
    return EXIT.usage;
  }
  const response = evaluate(loaded.prepared, req.value, { now: io.now(), usage });
  io.stdout(JSON.stringify(response, null, 2) + '\n');
  return EXIT.ok;
}

async function readText(io: CliIO, path: string): Promise<string> {
  return readFile(resolve(io.cwd, path), 'utf8').catch(() => {
    throw new UsageError(`cannot read ${path}`);
  });
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function inputErrors(io: CliIO, what: string, errors: InputError[]): number {
  for (const e of errors) io.stderr(`${what}: ${e.code} at ${e.path || '/'}: ${e.message}\n`);
  return EXIT.usage;
}
