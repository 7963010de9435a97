/**
 * Every route of the whole service (audit, CA, face on fake networks, persons and e-card), enumerated from Fastify itself:
 * - walked with broken percent-encoding, invalid UTF-8, hostile path segments, wrong content types,
 *   empty and broken bodies, with and without credentials: never a 5xx, and every error a problem
 *   document with a registered code (the OCSP and TSA routes answer in their own protocol);
 * - described by GET /openapi.json, a valid OpenAPI 3.1 document listing every route, its scopes and
 *   every problem type;
 * - counted in GET /metrics by route pattern, never by raw URL.
 * One service for the whole file (starting the CA is the slow part).
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodsOf } from '../../src/api/edge/routeTable.ts';
import { hasUndocumentedAuth, securityOf } from '../../src/api/edge/openapi.ts';
import { auditModule, caModule, ecardModule, faceModule as createFaceModule, personsModule } from '../../src/modules.ts';
import { metricsRegistry } from '../../src/observability/metrics.ts';
import { startMetricsListener } from '../../src/observability/metricsListener.ts';
import { clientVisibleProblems, PROBLEMS } from '../../src/problems.ts';
import { createFakeFaceModels } from '../support/fakeFaceModels.ts';
import { startTestService, type TestService } from '../support/service.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('../liveness/fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);
const faceModule = () => createFaceModule({ loadModels: async () => createFakeFaceModels({ detections: [{ cx: 64, cy: 64, w: 50, h: 50, score: 0.95 }], mesh: MESH }) });

/** Routes that answer in a binary protocol rather than problem+json once the request reached them. */
const PROTOCOL_ROUTES: Readonly<Record<string, string>> = {
  'POST /pki/ocsp': 'application/ocsp-response',
  'GET /pki/ocsp/*': 'application/ocsp-response',
  'POST /pki/tsa': 'application/timestamp-reply',
};

/** Path-segment values a hostile client sends: broken and overlong UTF-8, NUL, traversal, bidi, double encoding. */
const HOSTILE_SEGMENTS = [
  '%E0%A4%A', '%FF%FE', '%C0%AF', '%ED%A0%80', '%', '%25', '%00', '%25E0%25A4%25A', 'a%2Fb', '..%2F..%2Fetc%2Fpasswd',
  '%E2%80%AE', '%EF%BB%BF', 'x'.repeat(300), '%F0%9F%98%80', '-', '00000000-0000-4000-8000-000000000000',
];
const HOSTILE_QUERIES = ['?x=%E0%A4%A', '?%%%=%', '?a[b][c][d]=1&a=2', `?${'p=1&'.repeat(2000)}`];
/** A value each path parameter accepts in shape, so body variants reach the body. */
const SAMPLE_SEGMENT = '00000000-0000-4000-8000-000000000000';

interface BodyVariant { readonly name: string; readonly headers: Record<string, string>; readonly payload?: string | Buffer }
const BODIES: readonly BodyVariant[] = [
  { name: 'no body', headers: {} },
  { name: 'empty JSON', headers: { 'content-type': 'application/json' }, payload: '' },
  { name: 'not JSON', headers: { 'content-type': 'application/json' }, payload: 'not json' },
  { name: 'truncated JSON', headers: { 'content-type': 'application/json' }, payload: '{"csr":"' },
  { name: 'deep JSON', headers: { 'content-type': 'application/json' }, payload: '['.repeat(20_000) + ']'.repeat(20_000) },
  { name: 'JSON null', headers: { 'content-type': 'application/json' }, payload: 'null' },
  { name: 'JSON array', headers: { 'content-type': 'application/json' }, payload: `[${Array(50_000).fill(0).join(',')}]` },
  { name: 'JSON string', headers: { 'content-type': 'application/json' }, payload: '"x"' },
  { name: 'JSON huge number', headers: { 'content-type': 'application/json' }, payload: '{"a":1e400}' },
  { name: 'proto poisoning', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"allScopes":true}}' },
  { name: 'invalid UTF-8 in JSON', headers: { 'content-type': 'application/json' }, payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]) },
  { name: 'wrong fields', headers: { 'content-type': 'application/json' }, payload: '{"subjectId":"\\u0000\\ud800","csr":[],"frames":{},"nonce":1}' },
  { name: 'UTF-16 charset', headers: { 'content-type': 'application/json; charset=utf-16' }, payload: '{}' },
  { name: 'text/plain', headers: { 'content-type': 'text/plain' }, payload: 'hello' },
  { name: 'xml', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
  { name: 'form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=%FF' },
  { name: 'multipart', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x\r\n\r\n--x--' },
  { name: 'octets', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([0, 1, 2, 255]) },
  { name: 'garbage OCSP', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]) },
  { name: 'garbage TSA', headers: { 'content-type': 'application/timestamp-query' }, payload: Buffer.from([0x30, 0x03, 0x02, 0x01]) },
  { name: 'content type with no type', headers: { 'content-type': ';;;' }, payload: '{}' },
];

const withSegments = (url: string, segment: string) => url.replace(/:[A-Za-z_]\w*/g, segment).replace(/\*$/, segment);
const hasBody = (method: string) => method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';

describe('every route of the service', () => {
  let svc: TestService;
  let routes: RouteOptions[];
  beforeAll(async () => {
    svc = await startTestService({ modules: [auditModule(), caModule(), faceModule(), personsModule(), ecardModule()] });
    routes = [...svc.app.kexinRoutes];
  }, 120_000);
  afterAll(async () => { await svc?.stop(); });

  const AUTHS: readonly Record<string, string>[] = [
    {},
    { authorization: `Bearer ${'test-operator-token-0123456789'}` },
    { authorization: 'Bearer' }, { authorization: 'bearer %%%%%%%%%%%%%%%%%%%%' }, { authorization: `Basic ${'x'.repeat(3000)}` },
    { 'x-face-nonce': '%FF' },
  ];

  it('enumerates the routes every module registered (the walk below cannot miss one)', () => {
    const keys = new Set(routes.flatMap((r) => methodsOf(r).map((m) => `${m} ${r.url}`)));
    for (const k of ['GET /healthz', 'GET /openapi.json', 'GET /metrics', 'GET /audit/verify', 'POST /pki/certificates', 'GET /pki/ocsp/*',
      'POST /face/sessions/:id/frames', 'GET /face/ui/*', 'DELETE /pki/cas']) {
      expect(keys, k).toContain(k);
    }
  });

  it('answers hostile URLs, bodies and credentials on every route without a 5xx, errors as problem documents', async () => {
    const failures: string[] = [];
    let requests = 0;
    const check = async (method: string, url: string, route: RouteOptions, headers: Record<string, string>, payload?: string | Buffer, what = '') => {
      requests++;
      const res = await svc.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
      const label = `${method} ${url.slice(0, 80)} ${what} → ${res.statusCode}`;
      if (res.statusCode >= 500) return void failures.push(`${label}: ${res.body.slice(0, 200)}`);
      const type = String(res.headers['content-type'] ?? '');
      const protocol = PROTOCOL_ROUTES[`${method} ${route.url}`];
      if (res.statusCode < 400) {
        if (protocol && !type.startsWith(protocol)) failures.push(`${label}: answered ${type}, not ${protocol}`);
        return;
      }
      if (!type.startsWith('application/problem+json')) return void failures.push(`${label}: content type ${type}`);
      if (method === 'HEAD') return;
      const body = res.json();
      if (body.status !== res.statusCode || !PROBLEMS.has(body.code) || PROBLEMS.get(body.code)!.status !== res.statusCode || !/^urn:uuid:/.test(body.instance)) {
        failures.push(`${label}: not a registered problem: ${res.body.slice(0, 200)}`);
      }
    };

    for (const route of routes) {
      // The 405 answers run before anything is parsed: one of their methods stands for all.
      const methods = route.config?.methodNotAllowed ? methodsOf(route).filter((m) => m !== 'HEAD').slice(0, 1) : methodsOf(route);
      for (const method of methods) {
        const hasParams = /[:*]/.test(route.url);
        for (const seg of hasParams ? HOSTILE_SEGMENTS : []) {
          for (const headers of [AUTHS[0]!, AUTHS[1]!]) await check(method, withSegments(route.url, seg), route, headers, undefined, `segment ${seg.slice(0, 20)}`);
        }
        const base = withSegments(route.url, SAMPLE_SEGMENT);
        for (const q of HOSTILE_QUERIES) await check(method, base + q, route, AUTHS[1]!, undefined, 'query');
        await check(method, `${base}%FF`, route, AUTHS[1]!, undefined, 'trailing bad byte');
        for (const headers of AUTHS) await check(method, base, route, headers, undefined, `auth ${Object.values(headers)[0]?.slice(0, 12) ?? 'none'}`);
        if (!hasBody(method)) continue;
        for (const b of BODIES) {
          for (const auth of [AUTHS[0]!, AUTHS[1]!]) await check(method, base, route, { ...auth, ...b.headers }, b.payload, b.name);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
  }, 180_000);

  describe('GET /openapi.json', () => {
    let doc: Record<string, any>;
    beforeAll(async () => {
      const res = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      doc = res.json();
    });

    it('is a valid OpenAPI 3.1 document (an independent validator says so)', async () => {
      expect(doc.openapi).toBe('3.1.0');
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc));
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
    });

    it('lists every route (all but HEAD twins, 405 answers and the static face and e-card pages)', () => {
      const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
      const expected = routes.filter((r) => !r.config?.methodNotAllowed && !r.url.startsWith('/face/ui/') && r.url !== '/ecard/ui/*')
        .flatMap((r) => methodsOf(r).filter((m) => m !== 'HEAD').map((m) => `${m} ${r.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')}`));
      expect(expected.length).toBeGreaterThan(15);
      expect([...documented].sort()).toEqual([...new Set(expected)].sort());
    });

    it('gives each route the scopes its hooks demand, and no route guards itself undocumented', () => {
      const op = (path: string, method: string) => doc.paths[path][method];
      expect(op('/pki/certificates/{serial}/revoke', 'post').security).toEqual([{ bearer: ['ca:revoke'] }]);
      expect(op('/pki/certificates', 'post').security).toEqual([{ bearer: ['ca:issue'] }, { bearer: ['ca:issue:{profile}'] }]);
      expect(op('/metrics', 'get').security).toEqual([{ bearer: ['metrics:read'] }]);
      expect(op('/face/sessions/{id}', 'get').security).toEqual([{ faceNonce: [] }, { bearer: ['face:session'] }]);
      expect(op('/pki/cas', 'get').security).toEqual([]);
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      for (const r of routes) {
        expect(hasUndocumentedAuth(r), `${r.method} ${r.url}: document its onRequest hook (describeScopeHook or schema.security)`).toBe(false);
        // Every scope a route demands is in the document under that route.
        for (const alt of securityOf(r)) for (const [scheme] of Object.entries(alt)) expect(doc.components.securitySchemes).toHaveProperty(scheme);
      }
    });

    it('lists every problem type a client can receive, and errors are problem+json against it', () => {
      const listed = (doc.components.schemas.ProblemType.oneOf as { const: string }[]).map((x) => x.const).sort();
      expect(listed).toEqual(clientVisibleProblems().map((p) => p.type).sort());
      expect(listed).toContain('urn:kexin:problem:ca-csr-signature-invalid');
      expect(listed).toContain('urn:kexin:problem:method-not-allowed');
      expect(listed).not.toContain('urn:kexin:problem:ca-signer-mismatch');
      const revoke = doc.paths['/pki/certificates/{serial}/revoke'].post.responses;
      expect(revoke['409'].content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
      expect(revoke.default.content['application/problem+json']).toBeDefined();
    });

    it('describes the binary protocol routes by their media types', () => {
      const ocsp = doc.paths['/pki/ocsp'].post;
      expect(Object.keys(ocsp.requestBody.content)).toEqual(['application/ocsp-request']);
      expect(Object.keys(ocsp.responses['200'].content)).toEqual(['application/ocsp-response']);
    });

    it('bounds every string and array a JSON body accepts', () => {
      const unbounded: string[] = [];
      const walk = (schema: any, path: string) => {
        if (!schema || typeof schema !== 'object') return;
        // An anchored pattern without unbounded repetition bounds the length as well as maxLength does.
        const boundedPattern = typeof schema.pattern === 'string' && /^\^.*\$$/.test(schema.pattern) && !/[*+]|\{\d+,\}/.test(schema.pattern);
        if (schema.type === 'string' && schema.maxLength === undefined && !boundedPattern && schema.enum === undefined && schema.const === undefined && schema.format !== 'uuid') unbounded.push(`${path}: string without maxLength`);
        if (schema.type === 'array' && schema.maxItems === undefined) unbounded.push(`${path}: array without maxItems`);
        for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, `${path}.${k}`);
        walk(schema.items, `${path}[]`);
        for (const s of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) walk(s, path);
      };
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(ops)) {
          const json = op.requestBody?.content?.['application/json']?.schema;
          if (json) walk(json, `${method.toUpperCase()} ${path} body`);
        }
      }
      expect(unbounded).toEqual([]);
    });
  });

  describe('metrics', () => {
    it('GET /metrics needs the metrics:read scope', async () => {
      const res = await svc.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(401);
    });

    it('counts requests by route pattern with bounded labels, signatures by purpose, group-commit batches', async () => {
      const serials = Array.from({ length: 40 }, (_, i) => (i + 1).toString(16).padStart(2, '0'));
      for (const s of serials) await svc.app.inject({ method: 'GET', url: `/pki/certificates/${s}` });
      // RFC 3161 TimeStampReq { version 1, messageImprint { sha256, 32 bytes } }.
      const tsq = Buffer.from(`3036020101303130${'0d0609608648016503040201'}05000420${'ab'.repeat(32)}`, 'hex');
      const stamped = await svc.app.inject({ method: 'POST', url: '/pki/tsa', headers: { 'content-type': 'application/timestamp-query' }, payload: tsq });
      expect(stamped.headers['content-type']).toBe('application/timestamp-reply');
      // TimeStampResp { status PKIStatusInfo { granted (0) }, … } (a 2-byte DER length after the SEQUENCE tag).
      expect(stamped.rawPayload.subarray(4, 9).toString('hex')).toBe('3003020100');
      const res = await svc.app.inject({ method: 'GET', url: '/metrics', headers: svc.auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = res.body;
      // One series for all 40 serials: the pattern, never the URL.
      expect(text).toMatch(/kexin_http_request_duration_seconds_count\{method="GET",route="\/pki\/certificates\/:serial",status="404"\} (\d+)/);
      const count = Number(/kexin_http_request_duration_seconds_count\{method="GET",route="\/pki\/certificates\/:serial",status="404"\} (\d+)/.exec(text)![1]);
      expect(count).toBeGreaterThanOrEqual(40);
      expect(text).not.toMatch(/route="\/pki\/certificates\/0[0-9a-f]"/);
      expect(text).toMatch(/route="unmatched"/);
      // The CA ceremony signed certificates and CRLs; the TSA request was answered with a signed token.
      expect(text).toMatch(/kexin_signatures_total\{key="[^"]+",purpose="ca",scheme="[^"]+",outcome="ok"\} [1-9]/);
      expect(text).toMatch(/kexin_signatures_total\{key="[^"]+",purpose="timestamp",scheme="[^"]+",outcome="ok"\} [1-9]/);
      // Every operator-token use went through the break-glass group commit.
      expect(text).toMatch(/kexin_group_commit_batch_size_count\{name="break-glass"\} [1-9]/);
      expect(text).toMatch(/kexin_queue_depth\{queue="group-commit:break-glass"\} \d+/);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    });

    it('a separate listener serves only /metrics, without credentials', async () => {
      const listener = await startMetricsListener({ host: '127.0.0.1', port: 0 });
      try {
        const ok = await fetch(listener.url);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('content-type')).toBe(metricsRegistry.contentType);
        expect(await ok.text()).toContain('kexin_http_request_duration_seconds_bucket');
        expect((await fetch(listener.url, { method: 'POST' })).status).toBe(405);
        expect((await fetch(listener.url.replace('/metrics', '/pki/cas'))).status).toBe(404);
      } finally {
        await listener.close();
      }
    });
  });
});
