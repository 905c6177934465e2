// The HTTP benchmark's baseline server: a bare Hono app on @hono/node-server that answers every
// POST with a fixed JSON body (read from the file given as argv[2]), the same size as the real
// response. Prints "listening <port>" on stdout. Started and stopped by bench/http.bench.ts.

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = readFileSync(process.argv[2], 'utf8');
const app = new Hono();
app.post('*', (c) => c.body(body, 200, { 'Content-Type': 'application/json' }));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => console.log(`listening ${info.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
