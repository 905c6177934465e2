// The fast path of the parse stage: a strict, deliberately small subset of YAML 1.2 (block
// mappings and sequences of one-line scalars and one-line flow collections, the way rule files are
// written) and of JSON, read without building a document. It never reports an error: anything
// outside the subset, and anything the positioned parser (source.ts) would reject, warn about or
// read differently, makes it return null, and the caller parses the text with the positioned
// parser. So it bails on tags, anchors, aliases, block scalars, multi-line scalars, escapes in
// double quotes, quoted or unusual keys (`<<`, `__proto__`, keys the core schema reads as null,
// booleans or numbers), duplicate keys, tabs, carriage returns other than CRLF line ends, control
// and special characters, and on multiple documents. Plain scalars are resolved by the core
// schema's own tag list (taken from the `yaml` library), so `yes`, dates and times stay strings
// exactly as there.
// test/dsl/fast-parse.test.ts checks that both paths give the same values.

import { parseDocument, type ScalarTag } from 'yaml';

export interface Position {
  line: number;
  col: number;
}

export interface FastParse {
  /** The value: plain JSON data (objects, arrays, strings, finite and non-finite numbers, booleans, null). */
  value: unknown;
  /** Where each key of a top-level mapping is written (line and column of the key), or null when the root is not a mapping. */
  rootKeys: Map<string, Position> | null;
}

const OPTIONS = { schema: 'core', version: '1.2' } as const;
const CORE = parseDocument('', OPTIONS);
/** The scalar tags a plain scalar is tested against, in the order the `yaml` composer tries them. */
const PLAIN_TAGS = CORE.schema.tags.filter((t): t is ScalarTag => t.default === true && !('collection' in t && t.collection) && !!(t as ScalarTag).test);

/** Bail-out signal: the text is outside the subset. */
class Outside {}
const OUTSIDE = new Outside();
function outside(): never {
  throw OUTSIDE;
}

/**
 * Characters the subset accepts anywhere: newline, printable ASCII and printable non-ASCII (paired
 * surrogates only), without U+2028/U+2029 and U+FEFF. Everything else goes to the positioned parser.
 */
const ODD_CHAR = /[^\n\x20-\x7e\u{a0}-\u{2027}\u{202a}-\u{d7ff}\u{e000}-\u{fefe}\u{ff00}-\u{fffd}\u{10000}-\u{10ffff}]/u;
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const MAX_DEPTH = 64;

/**
 * A text with Windows line ends, read as if they were newlines: in the subset a carriage return
 * can only end a line (one-line scalars and flow collections), where YAML and JSON read CRLF as
 * LF, and line and column numbers stay the same. A carriage return anywhere else: null.
 */
function crlfToLf(text: string): string | null {
  if (!text.includes('\r')) return text;
  if (/\r(?!\n)/.test(text)) return null;
  return text.replace(/\r\n/g, '\n');
}

/**
 * The core schema's patterns in yaml 2.x (null, bool, int in octal, decimal and hex, and three
 * float forms) match only the empty string or a text starting with one of `~ n N t T f F . + -`
 * or a digit, so any other text is a string without trying them. Should a later yaml change the
 * list, the shortcut is off and every tag is tried.
 */
const CORE_PATTERNS = [
  '^(?:~|[Nn]ull|NULL)?$',
  '^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$',
  '^0o[0-7]+$',
  '^[-+]?[0-9]+$',
  '^0x[0-9a-fA-F]+$',
  '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)[eE][-+]?[0-9]+$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+\\.[0-9]*)$',
];
const SHORTCUT = PLAIN_TAGS.length === CORE_PATTERNS.length && PLAIN_TAGS.every((t, i) => t.test!.source === CORE_PATTERNS[i]);
/** Whether plain scalars skip the tag patterns that cannot match (for the test). */
export const PLAIN_SHORTCUT: boolean = SHORTCUT;

/** Resolves a plain scalar as the core schema does; anything but a string, number, boolean or null bails. */
function plainScalar(s: string): unknown {
  const c = s.charCodeAt(0);
  if (SHORTCUT && s.length > 0 && !(c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70 || c === 46 || c === 43 || c === 45 || (c >= 48 && c <= 57)))
    return s;
  for (const tag of PLAIN_TAGS) {
    if (!tag.test!.test(s)) continue;
    let failed = false;
    const res = tag.resolve(s, () => (failed = true), CORE.options) as unknown;
    if (failed) outside();
    const v = res !== null && typeof res === 'object' && 'value' in res ? (res as { value: unknown }).value : res;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    return outside();
  }
  return s;
}

/**
 * Sets a key the way yaml's toJS does: a name that `{}` inherits (`toString`, `constructor`)
 * becomes an own property all the same. Values are never undefined here, so an own key is one
 * whose value is defined.
 */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (!INHERITED.has(key)) {
    if (obj[key] !== undefined) outside(); // a duplicate key: the positioned parser reports it
    obj[key] = value;
  } else {
    if (Object.prototype.hasOwnProperty.call(obj, key)) outside();
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  }
}

/** Names a plain object inherits (`key in {}`), read once. */
const INHERITED = new Set<string>();
for (let o: object | null = Object.prototype; o; o = Object.getPrototypeOf(o)) for (const k of Object.getOwnPropertyNames(o)) INHERITED.add(k);

/** Keys already accepted (rule files repeat the same few dozen); bounded so odd inputs cannot grow it. */
const GOOD_KEYS = new Set<string>();

function checkKey(key: string): string {
  if (GOOD_KEYS.has(key)) return key;
  if (!KEY.test(key) || key === '__proto__' || plainScalar(key) !== key) outside();
  if (GOOD_KEYS.size < 1000) GOOD_KEYS.add(key);
  return key;
}

// ---------------------------------------------------------------------------
// YAML

interface Line {
  /** Offset of the line's first character. */
  start: number;
  /** Offset just past its last character (before the newline; a trailing comment is still part of the line). */
  end: number;
  /** Number of leading spaces. */
  indent: number;
  /** 1-based line number. */
  no: number;
}

/** Parses rule-file YAML of the subset; null when the text is outside it. */
export function fastParseYaml(input: string): FastParse | null {
  const text = crlfToLf(input);
  if (text === null || ODD_CHAR.test(text)) return null;
  try {
    return new YamlSubset(text).parse();
  } catch (err) {
    if (err === OUTSIDE) return null;
    if (err instanceof RangeError) return null; // too deep for the stack: the positioned parser decides
    throw err;
  }
}

class YamlSubset {
  private readonly lines: Line[] = [];
  private k = 0;
  private rootKeys: Map<string, Position> | null = null;

  constructor(private readonly text: string) {
    let start = 0;
    let no = 0;
    let seenContent = false;
    let seenMarker = false;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      no++;
      let i = start;
      while (i < end && text.charCodeAt(i) === 32) i++;
      if (i < end && text.charCodeAt(i) !== 35 /* # */) {
        if (i === start && text.startsWith('---', start)) {
          // One document start marker, with nothing after it, before any content; anything else
          // (a second marker or document, content on the marker line) is the positioned parser's.
          if (seenContent || seenMarker || text.slice(start + 3, end).trim() !== '') outside();
          seenMarker = true;
        } else if (i === start && text.startsWith('...', start)) {
          outside();
        } else {
          this.lines.push({ start, end, indent: i - start, no });
          seenContent = true;
        }
      }
      start = end + 1;
    }
  }

  parse(): FastParse {
    if (this.lines.length === 0) outside(); // an empty document
    const first = this.lines[0];
    const value = this.block(first.indent, first.indent, 0, true);
    if (this.k !== this.lines.length) outside();
    return { value, rootKeys: this.rootKeys };
  }

  private charAt(line: Line, col: number): number {
    const at = line.start + col;
    return at < line.end ? this.text.charCodeAt(at) : -1;
  }

  /** True when the line holds a sequence entry (`-` then a space or the end) at column `col`. */
  private isSeqEntry(line: Line, col: number): boolean {
    if (this.charAt(line, col) !== 45 /* - */) return false;
    const next = this.charAt(line, col + 1);
    return next === -1 || next === 32;
  }

  /** A block node whose first line's content starts at column `col` (`indent` for the lines after it). */
  private block(col: number, indent: number, depth: number, root = false): unknown {
    if (depth > MAX_DEPTH) outside();
    const line = this.lines[this.k];
    if (this.isSeqEntry(line, col)) {
      if (col !== indent) outside(); // a compact nested sequence (`- - x`)
      return this.sequence(indent, depth);
    }
    return this.mapping(col, line, depth, root);
  }

  /** The key at column `col` of a line: [key, offset after the colon], or null when the line holds no `key:`. */
  private keyAt(line: Line, col: number): [string, number] | null {
    const from = line.start + col;
    // Keys are at most 128 characters: the search stays within the line and that bound, so a
    // text of many colon-free lines is read in linear time.
    const stop = Math.min(line.end, from + 130);
    let colon = from;
    while (colon < stop && this.text.charCodeAt(colon) !== 58 /* : */) colon++;
    if (colon >= stop) return null;
    const after = colon + 1 < line.end ? this.text.charCodeAt(colon + 1) : -1;
    if (after !== -1 && after !== 32) return null;
    return [checkKey(this.text.slice(from, colon)), colon + 1];
  }

  private mapping(col: number, firstLine: Line, depth: number, root: boolean): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    if (root) this.rootKeys = new Map();
    let line = firstLine;
    let keyCol = col;
    for (;;) {
      const kv = this.keyAt(line, keyCol);
      if (!kv) outside();
      const [key, rest] = kv;
      if (root) this.rootKeys!.set(key, { line: line.no, col: keyCol + 1 });
      let value: unknown;
      const valueStart = skipSpaces(this.text, rest, line.end);
      if (valueStart < line.end && this.text.charCodeAt(valueStart) !== 35 /* # */) {
        value = this.inline(valueStart, line.end, depth + 1);
        this.k++;
      } else {
        this.k++;
        const next = this.lines[this.k];
        if (next && next.indent > col) value = this.block(next.indent, next.indent, depth + 1);
        else if (next && next.indent === col && this.isSeqEntry(next, col)) value = this.sequence(col, depth + 1);
        else value = null;
      }
      setKey(obj, key, value);
      const next = this.lines[this.k];
      if (!next || next.indent < col) return obj;
      if (next.indent > col || this.isSeqEntry(next, col)) outside();
      line = next;
      keyCol = col;
    }
  }

  private sequence(col: number, depth: number): unknown[] {
    const arr: unknown[] = [];
    for (;;) {
      const line = this.lines[this.k];
      const contentStart = skipSpaces(this.text, line.start + col + 1, line.end);
      let value: unknown;
      if (contentStart >= line.end) {
        this.k++;
        const next = this.lines[this.k];
        value = next && next.indent > col ? this.block(next.indent, next.indent, depth + 1) : null;
      } else {
        const c = contentStart - line.start;
        const ch = this.text.charCodeAt(contentStart);
        if (ch === 35 /* # */) outside(); // `- # comment`
        if (this.isSeqEntry(line, c)) outside();
        if (ch !== 91 && ch !== 123 && ch !== 34 && ch !== 39 /* [ { " ' */ && this.keyAt(line, c)) value = this.mapping(c, line, depth + 1, false);
        else {
          value = this.inline(contentStart, line.end, depth + 1);
          this.k++;
        }
      }
      arr.push(value);
      const next = this.lines[this.k];
      if (!next || next.indent < col) return arr;
      if (next.indent > col) outside();
      if (!this.isSeqEntry(next, col)) return arr; // the mapping that holds this sequence goes on
    }
  }

  /** A one-line value from `from` to the end of the line: a scalar or a flow collection, then an optional comment. */
  private inline(from: number, end: number, depth: number): unknown {
    const t = this.text;
    const ch = t.charCodeAt(from);
    if (ch === 91 /* [ */ || ch === 123 /* { */ || ch === 34 /* " */ || ch === 39 /* ' */) {
      const r = new FlowReader(t, from, end);
      const value = r.node(depth);
      r.end();
      return value;
    }
    checkPlainStart(t, from, end, false);
    let s = t.slice(from, end); // searched within the line only: linear time over the text
    const hash = s.indexOf(' #');
    if (hash !== -1) s = s.slice(0, hash);
    s = s.replace(/ +$/, ''); // YAML trims spaces only, never other white space
    if (s.endsWith(':') || s.includes(': ')) outside();
    return plainScalar(s);
  }
}

function skipSpaces(t: string, i: number, end: number): number {
  while (i < end && t.charCodeAt(i) === 32) i++;
  return i;
}

/**
 * The first character of a plain scalar: not an indicator (`-`, `?` and `:` only when a
 * non-space follows and, in flow context, not a flow indicator either).
 */
function checkPlainStart(t: string, at: number, end: number, flow: boolean): void {
  const ch = t[at];
  if ('[]{},#&*!|>\'"%@`'.includes(ch)) outside();
  if (ch === '-' || ch === '?' || ch === ':') {
    const next = at + 1 < end ? t[at + 1] : ' ';
    if (next === ' ' || (flow && ',[]{}'.includes(next))) outside();
  }
}

/** One-line flow collections and quoted scalars (no escapes), as found after `key: ` or `- `. */
class FlowReader {
  constructor(
    private readonly t: string,
    private i: number,
    private readonly stop: number,
  ) {}

  private peek(): string {
    return this.i < this.stop ? this.t[this.i] : '';
  }

  private spaces(): void {
    this.i = skipSpaces(this.t, this.i, this.stop);
  }

  /** After the value: only spaces, then nothing or a comment after at least one space. */
  end(): void {
    const before = this.i;
    this.spaces();
    if (this.i < this.stop && (this.t[this.i] !== '#' || this.i === before)) outside();
  }

  node(depth: number): unknown {
    if (depth > MAX_DEPTH) outside();
    const ch = this.peek();
    if (ch === '[') return this.seq(depth);
    if (ch === '{') return this.map(depth);
    if (ch === '"' || ch === "'") return this.quoted();
    return this.plain();
  }

  private quoted(): string {
    const q = this.t[this.i];
    let j = this.i + 1;
    let out = '';
    for (;;) {
      const close = this.t.indexOf(q, j);
      if (close === -1 || close >= this.stop) outside(); // unterminated on this line
      const part = this.t.slice(j, close);
      if (q === '"' && part.includes('\\')) outside(); // escapes: the positioned parser's
      out += part;
      if (q === "'" && this.t[close + 1] === "'") {
        out += "'";
        j = close + 2;
        continue;
      }
      this.i = close + 1;
      // A quoted scalar is followed by the end, a space, a separator or (as a key) a colon.
      const next = this.peek();
      if (next !== '' && next !== ' ' && next !== ',' && next !== ']' && next !== '}') outside();
      return out;
    }
  }

  private plain(): unknown {
    const from = this.i;
    checkPlainStart(this.t, from, this.stop, true);
    let j = from;
    while (j < this.stop) {
      const c = this.t[j];
      if (c === ',' || c === ']' || c === '}') break;
      if (c === '[' || c === '{' || c === '#' || c === ':') outside();
      j++;
    }
    if (j >= this.stop) outside(); // a flow collection closes on the same line
    this.i = j;
    const s = this.t.slice(from, j).replace(/ +$/, '');
    return plainScalar(s);
  }

  private seq(depth: number): unknown[] {
    this.i++; // [
    const arr: unknown[] = [];
    this.spaces();
    if (this.peek() === ']') {
      this.i++;
      return arr;
    }
    for (;;) {
      this.spaces();
      const ch = this.peek();
      if (ch === '' || ch === ',' || ch === ']') outside(); // an empty entry
      arr.push(this.node(depth + 1));
      this.spaces();
      const sep = this.peek();
      this.i++;
      if (sep === ']') return arr;
      if (sep !== ',') outside();
    }
  }

  private map(depth: number): Record<string, unknown> {
    this.i++; // {
    const obj: Record<string, unknown> = {};
    this.spaces();
    if (this.peek() === '}') {
      this.i++;
      return obj;
    }
    for (;;) {
      this.spaces();
      const colon = this.t.indexOf(':', this.i);
      if (colon === -1 || colon >= this.stop || this.t[colon + 1] !== ' ') outside();
      const key = checkKey(this.t.slice(this.i, colon));
      this.i = colon + 2;
      this.spaces();
      const ch = this.peek();
      if (ch === '' || ch === ',' || ch === '}') outside(); // a key without a value
      setKey(obj, key, this.node(depth + 1));
      this.spaces();
      const sep = this.peek();
      this.i++;
      if (sep === '}') return obj;
      if (sep !== ',') outside();
    }
  }
}

// ---------------------------------------------------------------------------
// JSON

/**
 * Parses a .json file that is strict JSON and that the YAML reading agrees with: an object or
 * array at the root, no duplicate keys (JSON.parse keeps the last silently; YAML rejects them), no
 * key longer than 128 characters, no number the two could round differently, nesting at most 64
 * deep, only the characters the YAML subset accepts (plus tab and carriage return between tokens
 * are not accepted either). Null otherwise, or when it is not valid JSON.
 */
export function fastParseJson(input: string): FastParse | null {
  const text = crlfToLf(input);
  if (text === null || ODD_CHAR.test(text)) return null;
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const keys = scanJson(text);
  if (keys === null || keys !== countKeys(value)) return null;
  return { value, rootKeys: null };
}

/** Counts the keys written in a JSON text; null when a key, a number or the nesting is outside the subset. */
function scanJson(t: string): number | null {
  let keys = 0;
  let depth = 0;
  let i = 0;
  const n = t.length;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = t.charCodeAt(j);
        if (d === 92 /* \ */) j += 2;
        else if (d === 34) break;
        else j++;
      }
      const len = j - i - 1;
      let k = j + 1;
      let newline = false;
      for (; k < n && (t.charCodeAt(k) === 32 || t.charCodeAt(k) === 10); k++) newline ||= t.charCodeAt(k) === 10;
      if (t.charCodeAt(k) === 58 /* : */) {
        if (len > 128 || newline) return null; // YAML: an implicit key is on one line, at most 1024 characters
        keys++;
      }
      i = j + 1;
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) return null;
      i++;
    } else if (c === 125 || c === 93) {
      depth--;
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i;
      while (j < n && /[-+.eE0-9]/.test(t[j])) j++;
      if (j - i > 15) return null;
      i = j;
    } else i++;
  }
  return keys;
}

function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += countKeys(x);
    return n;
  }
  for (const k of Object.keys(v)) n += 1 + countKeys((v as Record<string, unknown>)[k]);
  return n;
}
