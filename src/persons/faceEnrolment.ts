/** The face service as the registry's `ReferenceFaceEnrolment` port (persons may use liveness). */
import type { FaceService, PreparedTemplate } from '../liveness/faceService.ts';
import type { ReferenceFaceEnrolment } from './personRegistry.ts';

export function referenceFacesFrom(face: Pick<FaceService, 'prepareTemplate' | 'storeTemplate'>): ReferenceFaceEnrolment {
  return {
    prepare: (image) => face.prepareTemplate(image),
    store: async (tx, subjectId, prepared, actor) => {
      await face.storeTemplate(tx, subjectId, prepared as PreparedTemplate, actor);
    },
  };
}
