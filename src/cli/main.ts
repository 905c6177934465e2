// `discounts` command line: thin commands over the library. Each returns its exit code.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { suggest } from '../dsl/schemas.js';
import { cleanupCommand } from './cleanup.js';
import { compileCommand } from './compile.js';
import { diffCommand } from './diff.js';
import { evaluateCommand } from './evaluate.js';
import { fmtCommand } from './fmt.js';
import { posSheetCommand } from './pos-sheet.js';
import { replayCommand } from './replay.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { RulesDirError } from '../ruleset/load.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

export const HELP = `Usage: discounts <command> [options]

Commands:
  validate [paths] [--json]                 check a rules directory (default rules/, with its tests/), a rule file
                                            in place against its siblings, a store.yaml or a *.test.yaml file
  fmt [--check] [paths]                     rewrite rule, store and test files in canonical form (default rules/,
                                            with its tests/); --check lists files that would change
  test [paths]                              run rule tests (default rules/tests/)
  evaluate [--rules DIR] [--usage FILE] [CART.json | -]
                                            price a cart (JSON file or stdin) and print the response
  compile [DIR | --rules DIR]               print the compiled ruleset (json-rules-engine rules + pricing actions)
  pos-sheet [DIR | --rules DIR] [--format csv|json]
                                            list the discounts to create or check in the store's POS
  serve [--rules DIR] [--db PATH|URL] [--port N] [--host H]
                                            run the HTTP service (see docs/operations.md)
  cleanup [--rules DIR] [--db PATH|URL] [--dry-run]
                                            move finished discounts' files to DIR/archive/ (see docs/cleanup.md)
  replay --rules DRAFT_DIR [--db PATH|URL] --from DATE --to DATE [--format text|json]
                                            re-price the ledger's redemptions of [from, to) with the rules
                                            of DRAFT_DIR (what-if; reads only, see docs/replay.md)
  report [--rules DIR] [--db PATH|URL] [--from DATE] [--to DATE] [--format table|csv|json] [--section S]
                                            discounts used, given, sales, per day and vendor funding from the
                                            ledger over [from, to) (store-local dates; default the last 30 days)
  diff [--base REV] [--rules DIR] [--carts DIR] [--db PATH|URL --days N] [--format text|markdown|json]
       [--fail-on errors|pos|money:<percent>]...
                                            review the rules against git revision REV (default HEAD):
                                            what changed, diagnostics, POS sheet, money on carts
                                            (see docs/review.md)

  --version                                 print the version
  --help                                    print this help

The rules directory defaults to rules/. Exit codes: 0 ok, 1 check failed, 2 bad input or usage.
`;

type Options = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const COMMANDS: Record<string, { options: Options; run: (args: { values: Record<string, any>; positionals: string[] }, io: CliIO) => Promise<number> }> = {
  validate: { options: { json: { type: 'boolean' } }, run: validateCommand },
  fmt: { options: { check: { type: 'boolean' } }, run: fmtCommand },
  test: { options: {}, run: testCommand },
  evaluate: { options: { rules: { type: 'string' }, usage: { type: 'string' } }, run: evaluateCommand },
  compile: { options: { rules: { type: 'string' } }, run: compileCommand },
  'pos-sheet': { options: { rules: { type: 'string' }, format: { type: 'string' } }, run: posSheetCommand },
  diff: {
    options: {
      base: { type: 'string' },
      rules: { type: 'string' },
      carts: { type: 'string' },
      db: { type: 'string' },
      days: { type: 'string' },
      format: { type: 'string' },
      'fail-on': { type: 'string', multiple: true },
    },
    run: diffCommand,
  },
  serve: { options: { rules: { type: 'string' }, db: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } }, run: serveCommand },
  cleanup: { options: { rules: { type: 'string' }, db: { type: 'string' }, 'dry-run': { type: 'boolean' } }, run: cleanupCommand },
  replay: { options: { rules: { type: 'string' }, db: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } }, run: (args, io) => replayCommand(args, io) },
  report: {
    options: { rules: { type: 'string' }, db: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, section: { type: 'string' } },
    run: (args, io) => reportCommand(args, io),
  },
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    if (rest.length) {
      io.stderr(`discounts: unexpected argument '${rest[0]}' after --version\n`);
      return EXIT.usage;
    }
    io.stdout(`discounts ${await packageVersion()}\n`);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const guess = name.startsWith('-') ? null : suggest(name, Object.keys(COMMANDS));
    io.stderr(`discounts: unknown command '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    const args = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (args.values.help) {
      io.stdout(HELP);
      return EXIT.ok;
    }
    return await command.run(args as { values: Record<string, any>; positionals: string[] }, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof RulesDirError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`discounts ${name}: ${usageMessage(err as Error & { code?: string }, Object.keys(command.options))}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

/** parseArgs' messages, shortened, with the closest option for a misspelt one. */
function usageMessage(err: Error & { code?: string }, options: string[]): string {
  const unknown = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /option '(-{1,2})([^']*)'/.exec(err.message) : null;
  if (unknown) {
    const guess = suggest(unknown[2], options);
    return `unknown option '${unknown[1]}${unknown[2]}'${guess ? ` (did you mean '--${guess}'?)` : ''}`;
  }
  return err.message;
}

/** The version in the package's package.json, found from this module (src/cli or dist/src/cli). */
async function packageVersion(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
    if (text !== null) {
      const pkg = JSON.parse(text) as { name?: string; version?: string };
      if (pkg.name === 'discount-rules' && typeof pkg.version === 'string') return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
