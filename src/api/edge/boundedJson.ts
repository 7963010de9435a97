/**
 * JSON bodies with a depth limit. V8 parses even 100,000 nested arrays without trouble, but whatever
 * walks the value afterwards (canonicalisation of sealed JSON records, serialisers, validators of
 * free-form fields) recurses: a bound at the door keeps every later walk shallow.
 */
import type { FastifyInstance } from 'fastify';
import { KexinError } from '../../errors.ts';

/** Deepest nesting of arrays and objects a JSON body may have (Kexin's own documents stay below 10). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays/objects deeper than `max` (iterative: a deep value cannot overflow the stack). */
export function jsonDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Replaces Fastify's `application/json` parser by the same parser (prototype-poisoning checks included) plus the depth limit. */
export function useBoundedJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      if (jsonDeeperThan(value, MAX_JSON_DEPTH)) {
        return done(new KexinError('REQUEST_JSON_TOO_DEEP', `JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, 400), undefined);
      }
      done(null, value);
    });
  });
}
