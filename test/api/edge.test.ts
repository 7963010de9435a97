/**
 * The HTTP edge on its own (buildApp with a few probe routes, no database): problem documents, 5xx
 * hiding, the OAuth error format, 405s, URL and JSON bounds, and slow clients cut off on a real socket.
 */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type RoutePlugin } from '../../src/api/app.ts';
import { MAX_JSON_DEPTH } from '../../src/api/edge/boundedJson.ts';
import { KexinError } from '../../src/errors.ts';
import { createLogger, logFailure } from '../../src/logger.ts';

const SECRET = 'pg: password authentication failed for user kexin_admin (s3cr3t-Tok3n)';

const probes: RoutePlugin = {
  name: 'probes',
  plugin: async (app) => {
    app.get('/boom', async () => { throw new TypeError(SECRET); });
    app.get('/unavailable', async () => { throw new KexinError('KEY_STORE_UNAVAILABLE', `HSM at /opt/hsm: ${SECRET}`, 503); });
    app.post('/items', { schema: { body: Type.Object({ items: Type.Array(Type.Integer(), { maxItems: 10 }) }, { additionalProperties: false }) } }, async (req) => ({ n: req.body.items.length }));
    app.post('/free', async (req) => ({ kind: typeof req.body }));
    app.put('/items', async () => ({ ok: true }));
    app.post('/oauth/token', { config: { errorFormat: 'oauth' } }, async () => { throw new KexinError('AUTH_INVALID', 'client authentication failed', 401); });
    app.post('/oauth/crash', { config: { errorFormat: 'oauth' } }, async () => { throw new Error(SECRET); });
  },
};

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, logger: createLogger('info', stream) };
}

const problemOf = (res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }) => {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.status).toBe(res.statusCode);
  expect(String(body.instance)).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  return body;
};

describe('problem documents at the edge', () => {
  let app: FastifyInstance;
  const log = logCapture();
  beforeAll(async () => { app = await buildApp({ logger: log.logger, authenticators: [], isReady: () => true, routes: [probes] }); });
  afterAll(async () => { await app?.close(); });

  it('a thrown TypeError is a 500 with nothing of its message, and its id is the log line\'s', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('s3cr3t');
    expect(res.body).not.toContain('TypeError');
    const body = problemOf(res);
    expect(body).toEqual({ type: 'urn:kexin:problem:internal', title: 'Internal error', status: 500, code: 'INTERNAL', instance: body.instance });
    const id = String(body.instance).slice('urn:uuid:'.length);
    const failed = log.lines.filter((l) => l.msg === 'request failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reqId: id, instance: body.instance, level: 50 });
    // The log line has what the client must not see: the real message and stack.
    expect(JSON.stringify(failed[0])).toContain('s3cr3t');
  });

  it('a 503 names its problem type, not its message', async () => {
    const res = await app.inject({ method: 'GET', url: '/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('s3cr3t');
    expect(res.body).not.toContain('/opt/hsm');
    expect(problemOf(res)).toMatchObject({ code: 'KEY_STORE_UNAVAILABLE', title: 'Key store is unavailable' });
  });

  it('client errors are logged on one line, without a stack', async () => {
    const before = log.lines.length;
    const res = await app.inject({ method: 'POST', url: '/items', payload: { items: ['x'] } });
    expect(problemOf(res)).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
    const refused = log.lines.slice(before).filter((l) => l.msg === 'request refused');
    expect(refused).toHaveLength(1);
    expect(JSON.stringify(refused[0])).not.toContain('stack');
  });

  it('logFailure: a client\'s mistake is one info line without a stack; anything else an error with its stack', () => {
    const before = log.lines.length;
    logFailure(log.logger, new KexinError('OCSP_MALFORMED_REQUEST', 'malformed OCSP request: not DER', 400), 'OCSP request failed');
    logFailure(log.logger, new RangeError('offset out of range'), 'OCSP request failed');
    const [client, internal] = log.lines.slice(before);
    expect(client).toMatchObject({ level: 30, code: 'OCSP_MALFORMED_REQUEST', msg: 'OCSP request failed' });
    expect(JSON.stringify(client)).not.toContain('stack');
    expect(internal).toMatchObject({ level: 50, err: { type: 'RangeError', stack: expect.stringContaining('RangeError: offset out of range') } });
  });

  it('OAuth routes answer {error, error_description}, and a crash there leaks nothing either', async () => {
    const res = await app.inject({ method: 'POST', url: '/oauth/token', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'client authentication failed' });
    const crash = await app.inject({ method: 'POST', url: '/oauth/crash', payload: {} });
    expect(crash.statusCode).toBe(500);
    expect(crash.json()).toEqual({ error: 'server_error' });
  });
});

describe('methods, URLs and JSON', () => {
  let app: FastifyInstance;
  beforeAll(async () => { app = await buildApp({ logger: createLogger('silent'), authenticators: [], isReady: () => true, routes: [probes] }); });
  afterAll(async () => { await app?.close(); });

  it('a wrong method on an existing path is a 405 with Allow, without reading the body', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/items', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST, PUT');
    expect(problemOf(res)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const get = await app.inject({ method: 'POST', url: '/boom' });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('GET, HEAD');
    // A path that does not exist at all stays a 404.
    expect(problemOf(await app.inject({ method: 'DELETE', url: '/nothing-here' }))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it.each(['/%E0%A4%A', '/%FF%FE', '/%C0%AF', '/%', '/items/%ZZ'])('a broken URL (%s) is a problem+json 400', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(problemOf(res)).toMatchObject({ code: 'REQUEST_URL_INVALID', status: 400 });
  });

  it('250 KB of [[[[… 100,000 deep is a 400, not a stack overflow', async () => {
    const deep = '['.repeat(125_000) + ']'.repeat(125_000);
    const res = await app.inject({ method: 'POST', url: '/free', headers: { 'content-type': 'application/json' }, payload: deep });
    expect(problemOf(res)).toMatchObject({ code: 'REQUEST_JSON_TOO_DEEP', status: 400 });
    const unbalanced = await app.inject({ method: 'POST', url: '/free', headers: { 'content-type': 'application/json' }, payload: `{"a":${'['.repeat(100_000)}` });
    expect(problemOf(unbalanced)).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
  });

  it('JSON exactly at the depth limit passes; one level more does not', async () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect((await app.inject({ method: 'POST', url: '/free', headers: { 'content-type': 'application/json' }, payload: nest(MAX_JSON_DEPTH) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/free', headers: { 'content-type': 'application/json' }, payload: nest(MAX_JSON_DEPTH + 1) })).statusCode).toBe(400);
  });

  it('100,000 items in a bounded array field are a 400; a body past the limit is a 413', async () => {
    const many = `{"items":[${Array(100_000).fill(1).join(',')}]}`;
    expect(problemOf(await app.inject({ method: 'POST', url: '/items', headers: { 'content-type': 'application/json' }, payload: many }))).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
    const huge = `{"items":[${Array(200_000).fill(1).join(',')}]}`;
    expect(problemOf(await app.inject({ method: 'POST', url: '/items', headers: { 'content-type': 'application/json' }, payload: huge }))).toMatchObject({ code: 'REQUEST_TOO_LARGE', status: 413 });
  });

  it('prototype poisoning in JSON is refused', async () => {
    const res = await app.inject({ method: 'POST', url: '/free', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"admin":true}}' });
    expect(problemOf(res)).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
  });
});

describe('slow and broken clients on a real socket', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await buildApp({
      logger: createLogger('silent'), authenticators: [], isReady: () => true, routes: [probes],
      http: { requestTimeoutMs: 600, headersTimeoutMs: 400, idleTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000, checkIntervalMs: 50 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => { await app?.close(); });

  /** Writes `head`, then one byte of `drip` every `everyMs` until the server answers or closes. */
  function dribble(head: string, drip: string, everyMs: number): Promise<{ response: string; dripped: number }> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect(port, '127.0.0.1');
      let response = '';
      let dripped = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(head);
        timer = setInterval(() => {
          if (dripped < drip.length && socket.writable) socket.write(drip[dripped++]!);
        }, everyMs);
      });
      socket.on('data', (d) => { response += String(d); });
      socket.on('error', () => {});
      socket.on('close', () => { clearInterval(timer); resolve({ response, dripped }); });
      setTimeout(() => { socket.destroy(); reject(new Error(`the server never cut the connection (dripped ${dripped} bytes)`)); }, 30_000).unref();
    });
  }

  it('a body dribbled byte by byte is cut off with a 408 problem', async () => {
    const body = JSON.stringify({ items: Array(200).fill(7) });
    const head = `POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { response, dripped } = await dribble(head, body, 40);
    expect(dripped).toBeLessThan(body.length);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 408 });
  }, 40_000);

  it('headers dribbled byte by byte are cut off too', async () => {
    const headers = `X-Slow: ${'a'.repeat(2000)}\r\n\r\n`;
    const { response, dripped } = await dribble('GET /items HTTP/1.1\r\nHost: x\r\n', headers, 20);
    expect(dripped).toBeLessThan(headers.length);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  }, 40_000);

  it('bytes that are not HTTP get a 400 problem and a closed connection', async () => {
    const { response } = await dribble('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n', '', 1000);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'REQUEST_MALFORMED', status: 400 });
  }, 40_000);
});
