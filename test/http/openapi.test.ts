// GET /openapi.json: built from the files in schemas/, snapshot-tested so any API change shows up
// in review; every $ref resolves and every route of the app is documented.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SCHEMAS, PATTERNS } from '../../src/http/schemas.js';
import { harness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => h.close());

describe('GET /openapi.json', () => {
  it('matches the snapshot', async () => {
    const res = await h.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    await expect(JSON.stringify(doc, null, 2) + '\n').toMatchFileSnapshot('./openapi.snapshot.json');
  });

  it('the patterns the error messages describe are the schemas` patterns', () => {
    expect(PATTERNS.transactionId.test.source).toBe(API_SCHEMAS.RedemptionRequest.properties.transactionId.pattern);
    expect(PATTERNS.transactionId.test.source).toBe(API_SCHEMAS.RedemptionRecord.properties.transactionId.pattern);
    expect(PATTERNS.path.test.source).toBe(API_SCHEMAS.RulesValidateRequest.properties.path.pattern);
  });

  it('every $ref resolves inside the document', async () => {
    const doc = await (await h.request('/openapi.json')).json();
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref') refs.push(x as string);
          else walk(x);
        }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref.startsWith('#/')).toBe(true);
      let node: unknown = doc;
      for (const seg of ref.slice(2).split('/')) node = (node as Record<string, unknown>)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
      expect(node, ref).toBeTypeOf('object');
    }
  });

  it('documents exactly the routes the app serves', async () => {
    const doc = await (await h.request('/openapi.json')).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    const served = [...new Set(h.service.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();
    expect(documented).toEqual(served);
  });
});
