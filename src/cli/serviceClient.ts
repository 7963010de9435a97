/**
 * When a running service holds the embedded database, CLI commands go to it over HTTP, authenticated
 * by the process-local token it wrote 0600 in the data dir.
 */
import { readFileSync } from 'node:fs';
import { cliTokenPath, runningService } from '../dataDirLock.ts';

export interface ServiceClient {
  readonly url: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

export function serviceClientFor(dataDir: string): ServiceClient | undefined {
  const info = runningService(dataDir);
  if (!info?.url) return undefined;
  return httpServiceClient(info.url, readFileSync(cliTokenPath(dataDir), 'utf8').trim());
}

/** A client for the service at `url`, authenticated with the bearer `token`. */
export function httpServiceClient(url: string, token: string): ServiceClient {
  return {
    url,
    async request(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let json: unknown;
      try { json = JSON.parse(text); } catch { json = { text }; }
      return { status: res.status, json };
    },
  };
}
