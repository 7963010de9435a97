/**
 * Before data keys went through the key store, the face-template key was a loose file
 * (`<dataDir>/keys/face-template.key`). A data dir that still has one hands it to the key store once
 * (so templates sealed under it still open) and the file is removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DataKeys } from '../crypto/dataKeys.ts';
import { TEMPLATE_KEY_PURPOSE } from './templateCipher.ts';

export async function adoptLegacyTemplateKey(dataDir: string, dataKeys: DataKeys): Promise<boolean> {
  const file = path.join(dataDir, 'keys', 'face-template.key');
  if (!existsSync(file)) return false;
  const key = readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes (or be removed)`);
  await dataKeys.adopt(TEMPLATE_KEY_PURPOSE, key);
  const stored = await dataKeys.get(TEMPLATE_KEY_PURPOSE);
  // Remove the file only once the store holds this very key (another process may have won the race
  // with a fresh one; then the file's templates were never written under the store's key).
  if (stored.id === createHash('sha256').update(key).digest('hex').slice(0, 16)) rmSync(file);
  return true;
}
