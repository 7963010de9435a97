/** The CA as a service module: hierarchy on first start, CRL refresh timer, /pki routes. */
import { initialiseHierarchy } from '../../ca/hierarchy.ts';
import { createCaService } from '../../ca/caService.ts';
import type { CaService } from '../../ca/caServiceTypes.ts';
import type { ServiceModule } from '../../service.ts';
import { caRoutes } from './routes.ts';
import { listen, type ChannelHandlers } from '../../db/notifications.ts';

const CRL_CHECK_INTERVAL_MS = 5 * 60_000;

export function createCaModule(): { module: ServiceModule; service: () => CaService } {
  let service: CaService | undefined;
  const module: ServiceModule = {
    name: 'ca',
    async start(ctx) {
      const databaseUrl = ctx.config.databaseUrl;
      const deps = {
        pool: ctx.db.pool, keyStore: ctx.keyStore, clock: ctx.clock, logger: ctx.logger, publicUrl: ctx.config.publicUrl,
        // Other processes may share a PostgreSQL server; the embedded database is this process's alone.
        subscribe: databaseUrl ? (channel: string, handlers: ChannelHandlers) => listen(databaseUrl, channel, handlers, ctx.logger) : undefined,
      };
      await initialiseHierarchy(deps);
      const ca = await createCaService(deps);
      service = ca;
      await ca.refreshCrls();
      const timer = setInterval(() => {
        ca.refreshCrls().catch((err: unknown) => ctx.logger.error({ err }, 'CRL refresh failed'));
      }, CRL_CHECK_INTERVAL_MS);
      timer.unref();
      return {
        routes: [{ name: 'ca', plugin: caRoutes(ca) }],
        stop: async () => {
          clearInterval(timer);
          await ca.close();
        },
      };
    },
  };
  return {
    module,
    service: () => {
      if (!service) throw new TypeError('CA module not started');
      return service;
    },
  };
}
