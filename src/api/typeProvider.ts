/**
 * Kexin's Fastify type provider: TypeBox schemas are the handlers' types. Bodies, params and queries
 * are the schema's static type; replies may be deeply readonly, because domain results are frozen
 * objects with readonly arrays (STYLE: verification returns frozen results).
 */
import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { Static, TSchema } from '@fastify/type-provider-typebox';

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

export interface KexinTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? DeepReadonly<Static<this['schema']>> : unknown;
}

/** A route plugin typed by its TypeBox schemas. */
export type KexinPlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, KexinTypeProvider>;
