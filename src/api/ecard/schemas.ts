/** TypeBox schemas of the e-card and person routes: the request shapes are also the handlers' types. */
import { Type } from '@fastify/type-provider-typebox';
import { REASONS } from '../../ecard/verifier/reasons.ts';

export const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
export const IdParams = Type.Object({ id: Uuid });
export const ChannelId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

/** A reference photo, base64 (≤ 6 MiB of image). */
export const PHOTO_B64_MAX = 8 * 1024 * 1024;
export const HOLDER_BODY_LIMIT = PHOTO_B64_MAX + 16 * 1024;

export const HolderBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  idNumber: Type.String({ minLength: 18, maxLength: 18 }),
  ssn: Type.Optional(Type.String({ minLength: 9, maxLength: 20 })),
  cardNumber: Type.String({ minLength: 9, maxLength: 20 }),
  region: Type.String({ minLength: 6, maxLength: 6 }),
  photo: Type.Optional(Type.String({ minLength: 4, maxLength: PHOTO_B64_MAX })),
  validUntil: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
}, { additionalProperties: false });

export const CardView = Type.Object({
  id: Type.String(), holderId: Type.String(), cardNumberMasked: Type.String(),
  state: Type.Enum(['active', 'suspended', 'revoked', 'expired']), stateReason: Type.Union([Type.String(), Type.Null()]),
  validFrom: Type.String(), validUntil: Type.String(), replaces: Type.Union([Type.String(), Type.Null()]),
});

export const HolderCreated = Type.Object({ holderId: Type.String(), card: CardView, personCreated: Type.Boolean() });

export const PersonView = Type.Object({
  id: Type.String(), name: Type.String(), idNumberMasked: Type.String(), ssnMasked: Type.Union([Type.String(), Type.Null()]),
  region: Type.String(), birthDate: Type.String(), templateEnrolled: Type.Boolean(), photoSha256: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(),
});

export const HolderView = Type.Object({ holder: PersonView, cards: Type.Array(CardView) });

export const Jwk = Type.Object({
  kty: Type.String({ maxLength: 8 }), crv: Type.Optional(Type.String({ maxLength: 16 })),
  x: Type.Optional(Type.String({ maxLength: 128 })), y: Type.Optional(Type.String({ maxLength: 128 })),
}, { additionalProperties: Type.String({ maxLength: 1024 }), maxProperties: 16 });

export const ClaimBody = Type.Object({
  holderId: Uuid,
  channelId: ChannelId,
  deviceJwk: Jwk,
  proof: Type.String({ minLength: 1, maxLength: 4096 }),
  faceSessionId: Type.Optional(Uuid),
  managerId: Type.Optional(Uuid),
}, { additionalProperties: false });

export const ClaimResult = Type.Object({
  credentialId: Type.String(), cardId: Type.String(), credential: Type.String(), cardToken: Type.String(),
  statusList: Type.Object({ id: Type.Integer(), idx: Type.Integer(), uri: Type.String() }),
  channel: Type.Object({ id: Type.String(), name: Type.String(), class: Type.String() }),
  expiresAt: Type.String(), evidence: Type.Enum(['face_session', 'operator']),
});

export const NonceResult = Type.Object({ nonce: Type.String(), expiresAt: Type.String() });

export const Purpose = Type.Enum(['identity', 'medical', 'payment']);
export const VerifyBody = Type.Union([
  Type.Object({ qr: Type.String({ minLength: 1, maxLength: 2048 }), purpose: Type.Optional(Purpose) }, { additionalProperties: false }),
  Type.Object({
    presentation: Type.String({ minLength: 1, maxLength: 32 * 1024 }),
    audience: Type.String({ minLength: 1, maxLength: 512 }),
    nonce: Type.String({ minLength: 1, maxLength: 256 }),
    requiredClaims: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
  }, { additionalProperties: false }),
]);

export const VerificationResult = Type.Object({
  valid: Type.Boolean(),
  format: Type.Enum(['qr', 'sd-jwt']),
  reasons: Type.Array(Type.Enum(Object.keys(REASONS) as (keyof typeof REASONS)[])),
  warnings: Type.Array(Type.String()),
  disclosed: Type.Record(Type.String(), Type.Unknown()),
  purpose: Type.Union([Purpose, Type.Null()]),
  issuer: Type.Union([Type.Object({ kid: Type.String(), subject: Type.String() }), Type.Null()]),
  holder: Type.Union([Type.Object({ jkt: Type.String() }), Type.Null()]),
  card: Type.Object({
    ref: Type.Union([Type.String(), Type.Null()]),
    state: Type.Enum(['valid', 'suspended', 'revoked', 'unknown']),
    asOf: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Object({ uri: Type.String(), idx: Type.Integer() }), Type.Null()]),
  }),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  checkedAt: Type.String(),
});

export const SuspendBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
export const RevokeBody = Type.Object({ reason: Type.Enum(['cancelled', 'deceased', 'other']) }, { additionalProperties: false });
export const ReissueBody = Type.Object({ cardNumber: Type.String({ minLength: 9, maxLength: 20 }), validUntil: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })) }, { additionalProperties: false });

export const ChannelHolding = Type.Object({
  channelId: Type.String(), name: Type.Union([Type.String(), Type.Null()]), class: Type.Union([Type.String(), Type.Null()]),
  cardId: Type.String(), claimedAt: Type.String(), expiresAt: Type.String(),
});
export const ChannelParams = Type.Object({ id: Uuid, channelId: ChannelId });

export const FamilyBody = Type.Object({
  memberId: Uuid,
  relation: Type.Enum(['spouse', 'parent', 'child', 'grandparent', 'grandchild', 'sibling', 'guardian', 'other']),
  consent: Type.Object({
    method: Type.Enum(['face_session', 'signed_form', 'counter', 'guardian']),
    reference: Type.String({ minLength: 1, maxLength: 128 }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export const FamilyMember = Type.Object({
  member: PersonView, relation: Type.String(), since: Type.String(),
  consent: Type.Object({ method: Type.String(), reference: Type.String(), recordedBy: Type.String(), recordedAt: Type.String() }),
});
export const FamilyParams = Type.Object({ id: Uuid, memberId: Uuid });

export const StatusParams = Type.Object({ listId: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) });

export const TrustBundle = Type.Object({
  issuer: Type.String(),
  issuers: Type.Array(Type.Object({ kid: Type.String(), alg: Type.String(), certificatePem: Type.String(), chainPem: Type.String() })),
  anchorsPem: Type.String(),
  statusListTtl: Type.Integer(),
});
