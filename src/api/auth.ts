/** Operator authentication: `Authorization: Bearer <token>` checked against the token registry. */
import type { FastifyRequest } from 'fastify';
import { KexinError } from '../errors.ts';
import type { Operator, OperatorTokenRegistry } from './operatorTokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: Operator;
  }
}

export function requireOperator(registry: OperatorTokenRegistry) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const m = header ? /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/.exec(header) : null;
    if (!m) throw new KexinError('AUTH_REQUIRED', 'an operator bearer token is required', 401);
    const operator = registry.authenticate(m[1]!);
    if (!operator) throw new KexinError('AUTH_INVALID', 'the bearer token is not valid', 401);
    request.operator = operator;
  };
}

export function actorOf(request: FastifyRequest): string {
  return request.operator ? `operator:${request.operator.id}` : 'anonymous';
}
