// `discounts fmt [--check] [paths]`

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { formatDocument } from '../dsl/format.js';
import { isDirectory, RULE_FILE, STORE_FILE } from '../ruleset/load.js';
import { EXIT, type CliIO } from './io.js';

export async function fmtCommand(args: { values: { check?: boolean }; positionals: string[] }, io: CliIO): Promise<number> {
  const paths = args.positionals.length ? args.positionals : ['rules'];
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (await isDirectory(abs)) {
      const names = (await readdir(abs, { withFileTypes: true })).filter((e) => e.isFile() && RULE_FILE.test(e.name)).map((e) => e.name);
      files.push(...names.sort().map((n) => join(p, n)));
    } else files.push(p);
  }
  let status: number = EXIT.ok;
  for (const file of files) {
    const abs = resolve(io.cwd, file);
    const text = await readFile(abs, 'utf8').catch(() => null);
    if (text === null) {
      io.stderr(`discounts fmt: cannot read ${file}\n`);
      status = EXIT.usage;
      continue;
    }
    const kind = basename(file) === STORE_FILE ? 'store' : 'rule';
    const result = formatDocument(file, text, kind);
    if (!result.ok) {
      for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
      status = EXIT.failed;
      continue;
    }
    if (result.text === text) continue;
    io.stdout(file + '\n');
    if (args.values.check) status = status === EXIT.ok ? EXIT.failed : status;
    else await writeFile(abs, result.text);
  }
  return status;
}
