// `discounts fmt [--check] [paths]`: rule files, the store policy and rule test files in canonical
// form. A directory means its rule files and the test files of its tests/ folder.

import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { formatDiagnostic, TEST_FILE } from '../dsl/compile.js';
import { formatDocument, type DocumentKind } from '../dsl/format.js';
import { isDirectory, listFiles, RULE_FILE, STORE_FILE } from '../ruleset/load.js';
import { EXIT, type CliIO } from './io.js';

export async function fmtCommand(args: { values: { check?: boolean }; positionals: string[] }, io: CliIO): Promise<number> {
  const paths = args.positionals.length ? args.positionals : ['rules'];
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (await isDirectory(abs)) {
      const names = await listFiles(abs, p, (name) => RULE_FILE.test(name));
      files.push(...names.map((n) => join(p, n)));
      if (basename(abs) !== 'tests' && (await isDirectory(join(abs, 'tests')))) {
        const tests = await listFiles(join(abs, 'tests'), join(p, 'tests'), (name) => TEST_FILE.test(name));
        files.push(...tests.map((n) => join(p, 'tests', n)));
      }
    } else files.push(p);
  }
  let status: number = EXIT.ok;
  for (const file of files) {
    const abs = resolve(io.cwd, file);
    const text = await readFile(abs, 'utf8').catch((err: NodeJS.ErrnoException) => {
      io.stderr(`discounts fmt: cannot read ${file}: ${err.code ?? err.message}\n`);
      return null;
    });
    if (text === null) {
      status = EXIT.usage;
      continue;
    }
    // By name, wherever the file is: a test file is never formatted as a rule.
    const kind: DocumentKind = basename(file) === STORE_FILE ? 'store' : TEST_FILE.test(file) ? 'test' : 'rule';
    const result = formatDocument(file, text, kind);
    if (!result.ok) {
      for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
      status = EXIT.failed;
      continue;
    }
    if (result.text === text) continue;
    io.stdout(file + '\n');
    if (args.values.check) status = status === EXIT.ok ? EXIT.failed : status;
    else {
      const failed = await writeFile(abs, result.text).then(
        () => null,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      if (failed) {
        io.stderr(`discounts fmt: cannot write ${file}: ${failed}\n`);
        status = EXIT.usage;
      }
    }
  }
  return status;
}
