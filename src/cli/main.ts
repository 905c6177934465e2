// `discounts` command line: thin commands over the library. Each returns its exit code.

import { parseArgs } from 'node:util';
import { compileCommand } from './compile.js';
import { evaluateCommand } from './evaluate.js';
import { fmtCommand } from './fmt.js';
import { posSheetCommand } from './pos-sheet.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { RulesDirError } from '../ruleset/load.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

export const HELP = `Usage: discounts <command> [options]

Commands:
  validate [paths] [--json]                 check rule files (default rules/); exit 1 on any error
  fmt [--check] [paths]                     rewrite rule files in canonical form; --check lists files that would change
  test [paths]                              run rule tests (default rules/tests/)
  evaluate [--rules DIR] [--usage FILE] [CART.json | -]
                                            price a cart (JSON file or stdin) and print the response
  compile [--rules DIR]                     print the compiled ruleset (json-rules-engine rules + pricing actions)
  pos-sheet [--rules DIR] [--format csv|json]
                                            list the discounts to create or check in the store's POS

--rules defaults to rules/. Exit codes: 0 ok, 1 check failed, 2 bad input.
`;

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const COMMANDS: Record<string, { options: Options; run: (args: { values: Record<string, any>; positionals: string[] }, io: CliIO) => Promise<number> }> = {
  validate: { options: { json: { type: 'boolean' } }, run: validateCommand },
  fmt: { options: { check: { type: 'boolean' } }, run: fmtCommand },
  test: { options: {}, run: testCommand },
  evaluate: { options: { rules: { type: 'string' }, usage: { type: 'string' } }, run: evaluateCommand },
  compile: { options: { rules: { type: 'string' } }, run: compileCommand },
  'pos-sheet': { options: { rules: { type: 'string' }, format: { type: 'string' } }, run: posSheetCommand },
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`discounts: unknown command '${name}'\n\n${HELP}`);
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
      io.stderr(`discounts ${name}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
