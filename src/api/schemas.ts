/** Schema pieces every route plugin shares. */
import { Type, type TSchema } from '@fastify/type-provider-typebox';

/** An RFC 9457 problem document as Kexin writes it (`type` is `urn:kexin:problem:<code>`). */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
}, { additionalProperties: true });

/** `{ 400: Problem, 401: Problem, … }` for a route's response schemas. */
export function problemResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Problem]));
}
