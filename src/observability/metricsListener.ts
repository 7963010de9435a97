/**
 * A second HTTP listener that serves only `GET /metrics`, without credentials: for a Prometheus that
 * scrapes over a private network or localhost (`KEXIN_METRICS_PORT`, default host 127.0.0.1). It shares
 * nothing with the API listener, so it can sit on an address the public never reaches. `collect`
 * returns the exposition text: this process's registry, or in a cluster the primary's aggregation of
 * every worker's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from './metrics.ts';

export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(
  options: { readonly host: string; readonly port: number },
  collect: () => Promise<string> = () => metricsRegistry.metrics(),
  contentType: string = metricsRegistry.contentType,
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, path === '/metrics' ? { allow: 'GET, HEAD' } : {}).end();
      return;
    }
    collect().then((text) => {
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
    }, () => { res.writeHead(503).end(); });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
