/** The person registry's start-up: its identifier cipher over the service's data keys, and the face port. */
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import type { DataKeys } from '../crypto/dataKeys.ts';
import type { FaceService } from '../liveness/faceService.ts';
import { referenceFacesFrom } from './faceEnrolment.ts';
import { identifierCipherFrom } from './identifierCipher.ts';
import { createPersonRegistry, type PersonRegistry } from './personRegistry.ts';

export async function startPersons(deps: { readonly pool: pg.Pool; readonly dataKeys: DataKeys; readonly clock: Clock; readonly face: FaceService | undefined }): Promise<PersonRegistry> {
  return createPersonRegistry({
    pool: deps.pool, clock: deps.clock, cipher: await identifierCipherFrom(deps.dataKeys),
    faces: deps.face ? referenceFacesFrom(deps.face) : undefined,
  });
}
