// Differential test of the parse stage's two paths (src/dsl/source.ts): the fast subset parser
// with positions built on demand, and the positioned `yaml` document. For every input, real
// (rules/, test/cases/**/rules, generated benchmark texts) and random (fast-check: YAML built
// from tricky fragments, JSON with random spacing, both with random edits that make them
// malformed), both must give the same value (key order, -0 and prototypes included), the same
// diagnostics, the same position for every JSON pointer into the value, and the same compiled
// FileResult. The test also checks that the fast path is actually taken for ordinary files.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { parseDocument, type ScalarTag } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generateRules } from '../../bench/generate.js';
import { compileRuleFile, compileStorePolicy, type RuleSource } from '../../src/dsl/compile.js';
import { fastParseJson, fastParseYaml, PLAIN_SHORTCUT } from '../../src/dsl/fast-parse.js';
import { parsePositioned, parseSource } from '../../src/dsl/source.js';

const repo = join(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (/\.(ya?ml|json)$/i.test(name)) out.push(p);
  }
  return out;
}

/** Every rule-like text in the repository: rules/ (with tests/ and carts/) and the golden cases' rules. */
function repositoryTexts(): RuleSource[] {
  const cases = join(repo, 'test', 'cases');
  const dirs = [join(repo, 'rules'), ...readdirSync(cases).map((c) => join(cases, c, 'rules')).filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())];
  return dirs.flatMap(filesUnder).map((p) => ({ path: relative(repo, p), text: readFileSync(p, 'utf8') }));
}

/** Deep equality that also checks key order, prototypes and -0 (what toEqual lets pass). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.getOwnPropertyNames(a);
  const kb = Object.getOwnPropertyNames(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Every JSON pointer into a value, plus, for each container, one that does not exist. */
function pointers(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) {
    v.forEach((x, i) => pointers(x, [...at, i], out));
    out.push([...at, v.length]);
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) pointers((v as Record<string, unknown>)[k], [...at, k], out);
    out.push([...at, 'no-such-key'], [...at, 'no-such-key', 0]);
  }
  return out;
}

interface Outcome {
  /** The fast path took the text. */
  fast: boolean;
  /** The text parses without a diagnostic. */
  valid: boolean;
}

/** Asserts both paths agree on one text; says whether the fast path took it. */
function agree(path: string, text: string): Outcome {
  const positioned = parsePositioned(path, text);
  const fast = parseSource(path, text);
  const tookFast = (/\.json$/i.test(path) ? fastParseJson : fastParseYaml)(text.replace(/^\ufeff/, '')) !== null;
  const where = `${path}: ${JSON.stringify(text)}`;
  expect(fast.diagnostics, where).toEqual(positioned.diagnostics);
  expect(same(fast.value, positioned.value), `${where}\nfast: ${JSON.stringify(fast.value)}\npositioned: ${JSON.stringify(positioned.value)}`).toBe(true);
  expect(fast.text, where).toBe(positioned.text);
  if (tookFast) expect(positioned.diagnostics, `${where}: the fast path accepted a text the positioned parser rejects`).toEqual([]);
  for (const p of pointers(positioned.value)) expect(fast.locate(p), `${where} at ${JSON.stringify(p)}`).toEqual(positioned.locate(p));
  expect(fast.document === undefined, where).toBe(positioned.document === undefined);
  if (tookFast) expect(same(fast.document!.toJS(), positioned.value), where).toBe(true);
  return { fast: tookFast, valid: positioned.diagnostics.length === 0 };
}

const POLICY = compileStorePolicy({ path: 'rules/store.yaml', text: 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\n' }, 'rules/store.yaml').effective;

function compileAgrees(source: RuleSource): void {
  const fast = compileRuleFile(source, POLICY);
  const positioned = compileRuleFile(source, POLICY, { parser: 'positioned' });
  expect(same(fast, positioned), `${source.path}: ${JSON.stringify(source.text)}`).toBe(true);
}

describe('the fast parser', () => {
  it("skips the core schema's patterns only for texts none of them can match", () => {
    expect(PLAIN_SHORTCUT).toBe(true); // the yaml version's core schema is the one the shortcut was written for
    const tags = parseDocument('', { schema: 'core', version: '1.2' }).schema.tags.filter((t) => t.default === true && (t as ScalarTag).test);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom(...'~nNtTfF.+-0123456789aeEoxXinfINFrulsAL ') }), (s) => {
        if ('~nNtTfF.+-0123456789'.includes(s[0])) return;
        for (const t of tags) expect((t as ScalarTag).test!.test(s), s).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads in linear time: many lines without a colon or a comment', () => {
    // A search running to the end of the text on every line would take minutes here.
    const lines = 200_000;
    const seq = `a:\n${'  - xxxxxxxxxxxxxxxx\n'.repeat(lines)}`;
    const t0 = performance.now();
    const out = fastParseYaml(seq);
    expect((out!.value as { a: string[] }).a).toHaveLength(lines);
    expect(fastParseYaml(`${'- "x"\n'.repeat(lines)}- "unterminated\n`)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('fast and positioned parsers agree', () => {
  it('on every rule, store policy, rule test and cart file of the repository and the golden cases', () => {
    const texts = repositoryTexts();
    expect(texts.length).toBeGreaterThan(100);
    let fast = 0;
    for (const t of texts) {
      if (agree(t.path, t.text).fast) fast++;
      compileAgrees(t);
    }
    // The shipped rules and the ordinary golden rules are inside the subset; the malformed ones are not.
    for (const t of texts.filter((x) => x.path.startsWith('rules/'))) {
      expect(agree(t.path, t.text).fast, t.path).toBe(true);
      // The same file saved with Windows line ends.
      expect(agree(t.path, t.text.replace(/\n/g, '\r\n')).fast, `${t.path} (CRLF)`).toBe(true);
      compileAgrees({ path: t.path, text: t.text.replace(/\n/g, '\r\n') });
    }
    expect(fast).toBeGreaterThan(texts.length * 0.7);
  });

  it('on the benchmark texts, all of them on the fast path', () => {
    const { store, rules } = generateRules(600, 200, 13);
    for (const t of [store, ...rules]) {
      expect(agree(t.path, t.text).fast, t.text).toBe(true);
      compileAgrees(t);
    }
  });

  it('on hand-picked edge cases', () => {
    const cases = [
      'a: yes\nb: on\nc: 16:00\nd: 2026-01-01\ne: 010\nf: 0x1F\ng: 0o17\nh: 1e3\ni: .inf\nj: -.inf\nk: .nan\nl: ~\nm: Null\nn: TRUE\no: 1_000\np: +1\nq: -0\nr: 1.\ns: .5\nt: -0.0\n',
      'toString: 1\nconstructor: 2\nhasOwnProperty: x\n',
      '__proto__: {polluted: 1}\n',
      '<<: {a: 1}\nb: 2\n',
      'a: &x 1\nb: *x\n',
      'a: !!binary aGVsbG8=\n',
      'a: !!set {x, y}\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: >\n  folded\n',
      'a: "esc\\n"\n',
      "a: 'it''s'\n",
      'a: b: c\n',
      'a: 1\na: 2\n',
      'a: {x: 1, x: 2}\n',
      'a: 1\n---\nb: 2\n',
      '---\na: 1\n',
      'a: 1\n...\n',
      '%YAML 1.2\n---\na: 1\n',
      'a:\n\tb: 1\n',
      'a: 1\r\nb: 2\r\n',
      'a: 1\rb: 2\n',
      'a: "x\r\n  y"\r\n',
      'a: x # c\r\nb:\r\n  - 1\r\n',
      '\ufeffa: 1\n',
      'a: x\u2028y\n',
      'a: x\u00a0\n',
      'a: caf\u00e9 \ud83c\udf3f\n',
      'a: \ud83c\n',
      '',
      '# only a comment\n',
      'just a scalar\n',
      '- a\n- b: 1\n  c: [x, "y", \'z\']\n-\n  - nested\n',
      'a:\n- 1\n- 2\nb:\n  - 3\n',
      'a: [x, ]\n',
      'a: [x: y]\n',
      'a: {b: [1, {c: d}], e: "f g"}\n',
      'a: {b: }\n',
      'a: x #c\nb: x#c\nc: "q" #c\nd: "q"#c\n',
      'null: 1\ntrue: 2\n1: 3\n"q": 4\n? a\n: 5\n',
      `${'k'.repeat(200)}: 1\n`,
      'a:\n  b: 1\n c: 2\n',
      'a:\n  b: 1\n# less indented comment\n  c: 2\n',
      'a: multi\n  line\n',
      'a: "unterminated\nb: 1\n',
      'id: x\nname: y\nschedule:\n  start: 2026-01-01\n  hours: {from: "16:00", to: "18:00"}\n',
    ];
    for (const text of cases) {
      agree('r.yaml', text);
      compileAgrees({ path: 'rules/r.yaml', text });
    }
    const json = [
      '{"a": 1}',
      '{"a": 1, "a": 2}',
      '{"__proto__": {"x": 1}, "toString": 2}',
      '{"a": "\\u0000\\ud83d\\ude00\\ud800\\/\\b\\f\\n\\r\\t\\"\\\\"}',
      '{"a": -0, "b": 1.0, "c": 1e2, "d": 12345678901234567890, "e": 0.1, "f": 1E400}',
      '{\n  "a": [1, 2,\n 3],\n"b"\n: 1}',
      '{"a": 1,}',
      "{'a': 1}",
      '{"a": 1} // c',
      '[1, 2]',
      '"s"',
      '1',
      '{"a":\t1}',
      '{"a": 1}\r\n',
      `{"${'k'.repeat(200)}": 1}`,
      '\ufeff{"a": 1}',
      '',
      `${'['.repeat(100)}${']'.repeat(100)}`,
    ];
    for (const text of json) {
      agree('r.json', text);
      compileAgrees({ path: 'rules/r.json', text });
    }
  });
});

// ---------------------------------------------------------------------------
// Random inputs

/** Scalars the subset reads (plain, quoted, flow), including the ones the core schema resolves. */
const GOOD_SCALARS = [
  'x', 'hello world', 'Buy 2, get 1', '$5 off', '25% off cat-3', 'a:b', 'x - y', '-x', '?x', ':x', 'x]', 'x}', 'x[y', 'x#c', 'café', '🌿 deal',
  'yes', 'no', 'on', 'off', 'y', 'n', '2026-01-01', '2026-01-01T10:00:00Z', '16:00', '010', '0x1F', '0o17', '0b11', '1e3', '1E-3', '.inf', '-.Inf',
  '.nan', '~', 'null', 'Null', 'NULL', 'true', 'True', 'FALSE', '1_000', '+1', '-0', '1.', '.5', '-0.0', '12345678901234567890', '0', '100', '12.5',
  "'quoted'", "'it''s'", '"double"', '"a: b"', "''", '""', 'x &y *z', 'x !y', '[a, b]', '[]', '[ ]', '[a, [b, c]]', '[x y, "z", \'w\']', '{a: 1}', '{}',
  '{a: [1, 2], b: "c"}', '[a%b, $x, (y), /z]', '[~, null, true, 0x1F, 1e3]',
];
/** Scalars (or things written where a scalar goes) that the subset leaves to the positioned parser. */
const ODD_SCALARS = [
  'a: b', 'x #c', 'x:', '- x', '-', '"esc\\t"', '&a x', '*a', '!!binary aGVsbG8=', '!!set {a}', '!!str 1', '!x y', '|', '>', '@x', '`x`', '%x',
  '[a,]', '[a: b]', '{a: }', 'x\u00a0', 'tab\there', 'cr\rhere', '#',
];
const GOOD_KEYS = ['id', 'name', 'type', 'value', 'a', 'b', 'code', 'x-y', 'a_b', 'on', 'yes'];
const ODD_KEYS = ['__proto__', 'toString', 'constructor', 'null', 'true', '1', '<<', 'a b', '"q"', "'q'", '? k', 'k '];

const scalarText = fc.oneof(
  { arbitrary: fc.constantFrom(...GOOD_SCALARS), weight: 12 },
  { arbitrary: fc.constantFrom(...ODD_SCALARS), weight: 1 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...'ab1 :-#,[]{}\'"!&*?|>%@.~') }), weight: 1 },
);
const keyText = fc.oneof({ arbitrary: fc.constantFrom(...GOOD_KEYS), weight: 16 }, { arbitrary: fc.constantFrom(...ODD_KEYS), weight: 1 });

type Tree = { kind: 'scalar'; text: string } | { kind: 'map'; entries: [string, Tree][] } | { kind: 'seq'; items: Tree[] };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('scalar' as const), text: scalarText }),
    fc.record({ kind: fc.constant('map' as const), entries: fc.array(fc.tuple(keyText, tie('node')), { maxLength: 4 }) }),
    fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { maxLength: 3 }) }),
  ),
})).node;

/** A document: mostly a mapping at the root, as rule files are; now and then any node. */
const documentTree: fc.Arbitrary<Tree> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('map' as const), entries: fc.array(fc.tuple(keyText, tree), { minLength: 1, maxLength: 5 }) }), weight: 4 },
  { arbitrary: tree, weight: 1 },
);

interface Style {
  crlf: boolean;
  indent: number;
  seqAtKeyIndent: boolean;
  comments: boolean;
  trailingSpaces: boolean;
}

/** Renders a tree as block YAML (scalars are written as given, so they may be anything). */
function render(t: Tree, style: Style, pad = ''): string {
  const sp = style.trailingSpaces ? '  ' : '';
  const note = style.comments ? ' # note' : '';
  if (t.kind === 'scalar') return `${pad}${t.text}${sp}\n`;
  if (t.kind === 'map') {
    if (t.entries.length === 0) return `${pad}{}\n`;
    return t.entries
      .map(([k, v]) => {
        if (v.kind === 'scalar') return `${pad}${k}: ${v.text}${note}\n`;
        if (v.kind === 'seq' && style.seqAtKeyIndent && v.items.length) return `${pad}${k}:\n${render(v, style, pad)}`;
        if ((v.kind === 'map' && !v.entries.length) || (v.kind === 'seq' && !v.items.length)) return `${pad}${k}: ${v.kind === 'map' ? '{}' : '[]'}\n`;
        return `${pad}${k}:${note}\n${render(v, style, pad + ' '.repeat(style.indent))}`;
      })
      .join(style.comments ? `${pad}# between\n\n` : '');
  }
  if (t.items.length === 0) return `${pad}[]\n`;
  return t.items
    .map((v) => {
      if (v.kind === 'scalar') return `${pad}- ${v.text}\n`;
      if (v.kind === 'seq' && v.items.length) return `${pad}-\n${render(v, style, pad + '  ')}`; // (a compact \`- - x\` is outside the subset)
      const inner = render(v, style, pad + '  ');
      return `${pad}- ${inner.slice(pad.length + 2)}`; // compact: the first line after the dash
    })
    .join('');
}

const style = fc.record({ crlf: fc.boolean(), indent: fc.integer({ min: 1, max: 4 }), seqAtKeyIndent: fc.boolean(), comments: fc.boolean(), trailingSpaces: fc.boolean() });

/** Random edits that make a text malformed (or, sometimes, differently formed). */
const edits = fc.array(
  fc.tuple(fc.nat(), fc.constantFrom('', ' ', '  ', '\n', '\t', '\r', ':', ': ', '-', '- ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '&a ', '*a', '!', '|', '---\n', '\ufeff', '\u2028', 'x')),
  { maxLength: 3 },
);

function edit(text: string, changes: [number, string][]): string {
  let out = text;
  for (const [at, insert] of changes) {
    const i = out.length ? at % (out.length + 1) : 0;
    out = insert === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + insert + out.slice(i);
  }
  return out;
}

const jsonKey = fc.oneof({ arbitrary: fc.string({ maxLength: 8 }), weight: 6 }, { arbitrary: fc.constantFrom('__proto__', 'toString', 'a'.repeat(130)), weight: 1 });
/** JSON data as rule files hold it, with now and then a number or string the two parsers could read differently. */
const jsonData: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -1000, max: 100000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(-0, 0.1, 1e21, 12345678901234567890, 2 ** 53 + 2),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 10 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(jsonKey, tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('fast and positioned parsers agree on random inputs', () => {
  it('YAML built from tricky fragments, with and without random edits', () => {
    let fastCount = 0;
    let valid = 0;
    let runs = 0;
    fc.assert(
      fc.property(documentTree, style, edits, fc.boolean(), fc.nat(2), (t, s, changes, header, mutate) => {
        const lf = (header ? '---\n' : '') + render(t, s);
        const text = s.crlf ? lf.replace(/\n/g, '\r\n') : lf;
        const input = mutate === 0 ? edit(text, changes) : text;
        runs++;
        const out = agree('r.yaml', input);
        if (out.valid) valid++;
        if (out.fast) fastCount++;
        compileAgrees({ path: 'rules/r.yaml', text: input });
      }),
      { numRuns: 700 },
    );
    // The generator must exercise both paths: valid documents, many of them on the fast path. (The
    // runs are unseeded; about 22% are valid on average, so the floor leaves room for chance.)
    expect(valid).toBeGreaterThan(runs * 0.1);
    expect(fastCount).toBeGreaterThan(valid * 0.3);
  });

  it('rule-shaped YAML (what the fast path is for), all accepted when nothing odd is written', () => {
    const plainText = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 $%,.()/-]{0,20}[A-Za-z0-9)]$/).filter((s) => !/: |:$| #/.test(s));
    fc.assert(
      fc.property(
        plainText,
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 3 }),
        (name, value, stackable, cats) => {
          const text = `id: r\nname: ${name}\ntype: percentage\nvalue: ${value}\nappliesTo:\n  categories: [${cats.join(', ')}]\nstackable: ${stackable}\n`;
          const out = agree('r.yaml', text);
          compileAgrees({ path: 'rules/r.yaml', text });
          // Names starting with a digit-like or keyword-like word may legitimately resolve; the shape is always accepted.
          expect(out.fast, text).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('JSON with random spacing, with and without random edits', () => {
    let fastCount = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.dictionary(jsonKey, jsonData), fc.array(jsonData, { maxLength: 4 })),
        fc.constantFrom(undefined, 1, 2, '\t'),
        edits,
        fc.nat(2),
        (value, space, changes, mutate) => {
          const text = space === 2 ? JSON.stringify(value, null, space).replace(/\n/g, '\r\n') : JSON.stringify(value, null, space);
          const input = mutate === 0 ? edit(text, changes) : text;
          runs++;
          if (agree('r.json', input).fast) fastCount++;
          compileAgrees({ path: 'rules/r.json', text: input });
        },
      ),
      { numRuns: 500 },
    );
    expect(fastCount).toBeGreaterThan(runs * 0.25);
  });
});
