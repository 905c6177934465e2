import { describe, expect, it } from 'vitest';
import { formatDocument } from '../../src/dsl/format.js';
import { MAX_ALIAS_COUNT, parseSource } from '../../src/dsl/source.js';

describe('parseSource', () => {
  it('maps JSON pointers to the key that holds them', () => {
    const src = parseSource('r.yaml', 'id: a\nbogo:\n  buy: 2\n  get: x\nlist:\n  - one\n  - two\n');
    expect(src.diagnostics).toEqual([]);
    expect(src.locate(['bogo', 'get'])).toEqual({ line: 4, col: 3 });
    expect(src.locate(['list', 1])).toEqual({ line: 7, col: 5 });
    expect(src.locate(['missing', 'deeper'])).toEqual({ line: 1, col: 1 }); // falls back to the nearest known node
    expect(src.locate([])).toEqual({ line: 1, col: 1 });
  });
  it('reads YAML 1.2: yes/no/on are strings, times and dates are strings', () => {
    expect(parseSource('r.yaml', 'a: yes\nb: on\nc: 16:00\nd: 2026-01-01\ne: 010\n').value).toEqual({ a: 'yes', b: 'on', c: '16:00', d: '2026-01-01', e: 10 });
  });
  it('bounds alias expansion', () => {
    const bomb = ['a: &a [x, x]', ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const src = parseSource('r.yaml', bomb);
    expect(src.value).toBeUndefined();
    expect(src.diagnostics[0]).toMatchObject({ code: 'yaml_syntax_error' });
    expect(MAX_ALIAS_COUNT).toBeLessThan(1000);
  });
  it('reports duplicate keys and multiple documents', () => {
    expect(parseSource('r.yaml', 'a: 1\na: 2\n').diagnostics[0]).toMatchObject({ line: 2, col: 1, code: 'yaml_syntax_error' });
    expect(parseSource('r.yaml', 'a: 1\n---\nb: 2\n').diagnostics.length).toBeGreaterThan(0);
  });
});

describe('formatDocument', () => {
  it('orders keys as the schema does, keeps the header comment on top and other comments with their key, and is a fixpoint', () => {
    const text = "# header\nvalue: 10\nzzz: keep me\ntype: 'fixed'\nname: \"X\"  # trailing\nid: x\nschedule: {hours: {to: '18:00', from: '16:00'}, days: [mon, tue]}\n";
    const out = formatDocument('x.yaml', text, 'rule');
    expect(out).toEqual({
      ok: true,
      text: '# header\n\nid: x\nname: X # trailing\ntype: fixed\nvalue: 10\nschedule:\n  days: [mon, tue]\n  hours:\n    from: "16:00"\n    to: "18:00"\nzzz: keep me\n',
    });
    expect(formatDocument('x.yaml', (out as { text: string }).text, 'rule')).toEqual(out);
  });
  it('formats JSON with the same key order', () => {
    expect(formatDocument('x.json', '{"value":1,"id":"x","type":"fixed","name":"X"}', 'rule')).toEqual({
      ok: true,
      text: '{\n  "id": "x",\n  "name": "X",\n  "type": "fixed",\n  "value": 1\n}\n',
    });
  });
  it('orders the store policy by its own schema', () => {
    expect(formatDocument('store.yaml', 'currency: USD\nstore: s\ntimezone: UTC\n', 'store')).toEqual({ ok: true, text: 'store: s\ntimezone: UTC\ncurrency: USD\n' });
  });
  it('refuses what it cannot parse', () => {
    const out = formatDocument('x.yaml', 'id: [', 'rule');
    expect(out.ok).toBe(false);
  });
});

describe('odd inputs', () => {
  it('rejects YAML values that are not JSON data, accepts a byte order mark, and keeps __proto__ keys in fmt', () => {
    expect(parseSource('r.yaml', 'a: !!binary aGVsbG8=\n').diagnostics[0]).toMatchObject({ code: 'yaml_syntax_error', line: 1, col: 1 });
    expect(parseSource('r.json', '\ufeff{"a": 1}').value).toEqual({ a: 1 });
    const out = formatDocument('x.json', '{"id":"x","__proto__":{"polluted":1}}', 'rule');
    expect(out).toEqual({ ok: true, text: '{\n  "id": "x",\n  "__proto__": {\n    "polluted": 1\n  }\n}\n' });
    expect(formatDocument('x.yaml', '', 'rule')).toEqual({ ok: true, text: '' });
    expect(formatDocument('x.yaml', 'id: "0b101"\n', 'rule')).toEqual({ ok: true, text: 'id: "0b101"\n' });
  });
});
