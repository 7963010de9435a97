/** The services modules register as they start, for the modules (and CLI commands) that use them. */
import type { AuditService } from '../audit/auditService.ts';
import type { RunningCaService } from '../ca/caService.ts';
import type { FaceService } from '../liveness/faceService.ts';
import type { SigningService } from '../signing/signingService.ts';
import type { IdentityService } from '../identity/identityService.ts';
import type { OperatorTokenRegistry } from '../identity/operatorTokens.ts';
import type { PersonRegistry } from '../persons/personRegistry.ts';
import type { EcardService } from '../ecard/ecardService.ts';

export interface Services {
  /** Always present: the break-glass operator tokens. */
  operators: OperatorTokenRegistry;
  audit?: AuditService;
  ca?: RunningCaService;
  /** System clients, the authorization server, access-token checks; the e-card's channel directory. */
  identity?: IdentityService;
  /** Undefined also when the face models could not be loaded. */
  face?: FaceService;
  signing?: SigningService;
  persons?: PersonRegistry;
  ecard?: EcardService;
}

/** The service `name`, which a module started earlier must have registered. */
export function need<K extends keyof Services>(services: Services, name: K): NonNullable<Services[K]> {
  const s = services[name];
  if (s === undefined) throw new TypeError(`module "${String(name)}" must be started before this one`);
  return s as NonNullable<Services[K]>;
}
