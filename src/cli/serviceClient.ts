/**
 * When a running service holds the embedded database, CLI commands go to it over HTTP, authenticated
 * by the process-local token it wrote 0600 in the data dir.
 */
import { readFileSync } from 'node:fs';
import { cliTokenPath, runningService } from '../dataDirLock.ts';

export interface ServiceClient {
  readonly url: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** A request with a raw body (a PDF to seal), answering raw bytes. */
  requestRaw?(method: string, path: string, body: Uint8Array, contentType: string): Promise<{ status: number; body: Buffer; headers: Headers }>;
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
    async requestRaw(method, path, body, contentType) {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: Buffer.from(body) });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
    },
  };
}
