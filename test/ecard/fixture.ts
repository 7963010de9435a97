/**
 * One e-card world per test file, on the database this run targets: the real CA hierarchy (memory key
 * store), the person registry, the face service on a scripted engine (real sessions, scripted frames),
 * and the e-card service. Plus a holder device built from the holder library (src/ecard/holder/ecardHolder.js).
 */
import { createCaService } from '../../src/ca/caService.ts';
import { initialiseHierarchy } from '../../src/ca/hierarchy.ts';
import { fixedClock } from '../../src/clock.ts';
import { createDataKeys } from '../../src/crypto/dataKeys.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import type { KeyStore } from '../../src/crypto/keyStore.ts';
import { createStaticChannelDirectory, type Channel } from '../../src/ecard/channels.ts';
import { createEcardService, type EcardService } from '../../src/ecard/ecardService.ts';
import type { IssuerId } from '../../src/ecard/issuerKeys.ts';
import { createFaceService, type FaceService } from '../../src/liveness/faceService.ts';
import { createTemplateCipher, TEMPLATE_KEY_PURPOSE } from '../../src/liveness/templateCipher.ts';
import { createLogger } from '../../src/logger.ts';
import { referenceFacesFrom } from '../../src/persons/faceEnrolment.ts';
import { identifierCipherFrom } from '../../src/persons/identifierCipher.ts';
import { createPersonRegistry, type PersonRegistry } from '../../src/persons/personRegistry.ts';
import * as holder from '../../src/ecard/holder/ecardHolder.js';
import { createScriptedEngine, scriptedFrames } from '../liveness/scriptedEngine.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

export const PUBLIC_URL = 'https://kexin.example.gov.cn';
export const CHANNELS: Channel[] = [
  { id: 'hrss-app', name: '掌上人社', class: 'hrss' },
  { id: 'icbc', name: 'ICBC Mobile', class: 'bank' },
];
export const OPERATOR = { actor: 'operator:test', attests: true };

export interface EcardWorld {
  readonly db: TestDatabase;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly ecard: EcardService;
  readonly persons: PersonRegistry;
  readonly face: FaceService;
  /** Root certificates (DER) of the CA hierarchy: a partner verifier's trust anchors. */
  readonly anchors: Uint8Array[];
  readonly keyStore: KeyStore;
  readonly ca: Awaited<ReturnType<typeof createCaService>>;
  close(): Promise<void>;
}

export async function createEcardWorld(opts: { issuer?: IssuerId; now?: string } = {}): Promise<EcardWorld> {
  const db = await createTestDatabase();
  const clock = fixedClock(opts.now ?? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString());
  const keyStore = createMemoryKeyStore();
  const logger = createLogger('silent');
  await initialiseHierarchy({ pool: db.pool, keyStore, clock, publicUrl: PUBLIC_URL });
  const ca = await createCaService({ pool: db.pool, keyStore, clock, logger, publicUrl: PUBLIC_URL });
  const dataKeys = createDataKeys({ pool: db.pool, keys: keyStore, clock });
  const face = createFaceService({ engine: createScriptedEngine(), pool: db.pool, clock, cipher: createTemplateCipher(await dataKeys.get(TEMPLATE_KEY_PURPOSE)), modelId: 'scripted', testMode: true });
  const persons = createPersonRegistry({ pool: db.pool, cipher: await identifierCipherFrom(dataKeys), clock, faces: referenceFacesFrom(face) });
  const ecard = await createEcardService({
    pool: db.pool, keyStore, clock, ca, persons, channels: createStaticChannelDirectory(CHANNELS), face: face.sessions, publicUrl: PUBLIC_URL, issuer: opts.issuer,
  });
  const anchors = (await ca.listCas()).filter((c) => c.role === 'root').map((c) => new Uint8Array(Buffer.from(c.certificatePem!.replace(/-----[^-]+-----|\s/g, ''), 'base64')));
  return { db, clock, ecard, persons, face, anchors, keyStore, ca, close: async () => { await ca.close(); await db.close(); } };
}

/** A holder's phone: a device key from the holder library, and what it does with it. */
export async function newDevice() {
  const keys = await holder.generateDeviceKey();
  const jwk = await holder.deviceJwk(keys.publicKey);
  return { keys, jwk };
}

export type Device = Awaited<ReturnType<typeof newDevice>>;

/** Nonce → proof → claim, as a channel back-end would. */
export async function claimWith(world: EcardWorld, device: Device, input: { holderId: string; channelId?: string; faceSessionId?: string; managerId?: string }, caller: { actor: string; attests: boolean; clientId?: string } = OPERATOR) {
  const { nonce } = await world.ecard.claimNonce();
  const proof = await holder.signClaimProof({ privateKey: device.keys.privateKey, jwk: device.jwk, audience: world.ecard.iss, nonce, iat: Math.floor(world.clock.now().getTime() / 1000) });
  return world.ecard.claim({ holderId: input.holderId, channelId: input.channelId ?? 'hrss-app', deviceJwk: device.jwk, proof, faceSessionId: input.faceSessionId, managerId: input.managerId }, caller);
}

/** A face session for `subjectId`, passed with scripted frames. */
export async function passedFaceSession(world: EcardWorld, subjectId: string, person = 0): Promise<string> {
  const s = await world.face.sessions.create({ subjectId, testActions: ['blink', 'nod'] }, 'client:hrss-app');
  const r = await world.face.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink', 'nod'], { person }) }, `face-session:${s.id}`);
  if (r.state !== 'passed') throw new Error(`scripted session did not pass: ${JSON.stringify(r.result?.reasons)}`);
  return s.id;
}

export { holder };
