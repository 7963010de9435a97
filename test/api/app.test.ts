import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/auditLog.ts';
import { startTestService, type TestService } from '../support/service.ts';

describe('service shell', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService(); });
  afterAll(async () => { await svc?.stop(); });

  it('is healthy once migrations ran and keys are loaded', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with problem+json', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'urn:kexin:problem:not-found', status: 404, code: 'NOT_FOUND', instance: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/) });
  });

  it('records the bootstrap operator token in the audit log, hashed', async () => {
    const rows = (await svc.ctx.db.pool.query("SELECT details FROM audit_log WHERE action = 'operator.token.create'")).rows;
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0])).not.toContain('test-operator-token');
    expect((await verifyAuditChain(svc.ctx.db.pool)).ok).toBe(true);
  });

  it('authenticates operators by token', () => {
    expect(svc.services.operators.authenticate('test-operator-token-0123456789')?.name).toBe('bootstrap');
    expect(svc.services.operators.authenticate('test-operator-token-0123456780')).toBeUndefined();
  });
});
