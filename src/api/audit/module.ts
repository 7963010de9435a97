import { auditRoutes } from './routes.ts';
import type { ServiceModule } from '../../service.ts';

export const auditModule: ServiceModule = {
  name: 'audit',
  async start(ctx) {
    return { routes: [{ name: 'audit', plugin: auditRoutes(ctx.db.pool) }] };
  },
};
