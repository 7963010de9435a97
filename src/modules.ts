/**
 * The service's composition: which key store the configuration names, and the modules in start order,
 * each pairing its start-up (domain, `src/<module>`) with its routes (`src/api/<module>`). `serve`,
 * `init`, the local CLI and the tests all assemble Kexin here, so they never drift apart.
 */
import type { Logger } from 'pino';
import { auditRoutes } from './api/audit/routes.ts';
import { caRoutes } from './api/ca/routes.ts';
import { ecardRoutes } from './api/ecard/routes.ts';
import { faceRoutes } from './api/face/routes.ts';
import { accessTokenAuthenticator } from './api/identity/accessTokenAuthenticator.ts';
import { clientRoutes } from './api/identity/clientRoutes.ts';
import { oauthRoutes } from './api/identity/oauthRoutes.ts';
import { operatorRoutes } from './api/identity/operatorRoutes.ts';
import { whoamiRoutes } from './api/identity/whoamiRoutes.ts';
import { createAuditService } from './audit/auditService.ts';
import { startCa } from './ca/caModule.ts';
import type { Config } from './config.ts';
import { createKeyStore } from './crypto/createKeyStore.ts';
import { registeredClientChannels, type ChannelDirectory } from './ecard/channels.ts';
import { startEcard } from './ecard/ecardModule.ts';
import { startPersons } from './persons/personsModule.ts';
import { resolveFilePassphrase } from './crypto/fileKeyStore.ts';
import type { KeyStore } from './crypto/keyStore.ts';
import { startIdentity } from './identity/identityModule.ts';
import { startFace, type FaceModuleOptions } from './liveness/faceModule.ts';
import { createTemplateCipher, TEMPLATE_KEY_PURPOSE } from './liveness/templateCipher.ts';
import { adoptLegacyTemplateKey } from './liveness/templateKeyMigration.ts';
import type { ServiceModule } from './service/serviceModule.ts';
import { need } from './service/services.ts';
import { startSigning } from './signing/signingModule.ts';
import { signingRoutes } from './api/signing/routes.ts';

export async function openConfiguredKeyStore(config: Config, logger: Logger): Promise<KeyStore> {
  const keys = config.keys;
  if (keys.backend === 'pkcs11') return createKeyStore(keys);
  const log = { warn: (message: string) => logger.warn(message) };
  const passphrase = await resolveFilePassphrase({ dir: keys.dir, configured: keys.passphrase, logger: log });
  return createKeyStore({ backend: 'file', dir: keys.dir, passphrase, logger: log });
}

export function auditModule(): ServiceModule {
  return {
    name: 'audit',
    async start(ctx, services) {
      const audit = createAuditService({ pool: ctx.db.pool });
      services.audit = audit;
      return { routes: [auditRoutes(audit)] };
    },
  };
}

export function caModule(): ServiceModule {
  return {
    name: 'ca',
    async start(ctx, services) {
      const ca = await startCa({
        pool: ctx.db.pool, keyStore: ctx.keyStore, clock: ctx.clock, logger: ctx.logger,
        publicUrl: ctx.config.publicUrl, databaseUrl: ctx.config.databaseUrl,
      });
      services.ca = ca.service;
      return { routes: [caRoutes(ca.service)], stop: ca.stop };
    },
  };
}

/** System clients, the OAuth 2 authorization server, and access tokens on every Kexin API. */
export function identityModule(): ServiceModule {
  return {
    name: 'identity',
    async start(ctx, services) {
      const ca = need(services, 'ca');
      const urls = { publicUrl: ctx.config.publicUrl, tlsPublicUrl: ctx.config.tls?.publicUrl };
      const identity = await startIdentity({
        pool: ctx.db.pool, clock: ctx.clock, logger: ctx.logger, keyStore: ctx.keyStore, dataKeys: ctx.dataKeys,
        ...urls, databaseUrl: ctx.config.databaseUrl,
        certify: (csr) => ca.issue({ csr, profile: 'token-signer' }, 'system'),
        checkCertificate: async (der) => (await ca.validateCertificate({ certificate: der })).valid,
        onOperatorsChanged: () => { services.operators.reload().catch((err: unknown) => ctx.logger.error({ err }, 'reloading operator tokens failed')); },
      });
      services.identity = identity.service;
      return {
        routes: [
          oauthRoutes(identity.service, urls), clientRoutes(identity.service.clients),
          operatorRoutes({ pool: ctx.db.pool, clock: ctx.clock, operators: services.operators, identity: identity.service }), whoamiRoutes(),
        ],
        authenticators: [accessTokenAuthenticator(identity.service.resourceServer, urls)],
        stop: identity.stop,
      };
    },
  };
}

export function faceModule(options: FaceModuleOptions = {}): ServiceModule {
  return {
    name: 'face',
    async start(ctx, services) {
      await adoptLegacyTemplateKey(ctx.config.dataDir, ctx.dataKeys);
      const cipher = createTemplateCipher(await ctx.dataKeys.get(TEMPLATE_KEY_PURPOSE));
      const face = await startFace({
        pool: ctx.db.pool, clock: ctx.clock, logger: ctx.logger, dataDir: ctx.config.dataDir, testMode: ctx.config.testMode, cipher,
      }, options);
      services.face = face.service;
      return { routes: [faceRoutes(face.service)], stop: face.stop };
    },
  };
}

export function signingModule(): ServiceModule {
  return {
    name: 'signing',
    async start(ctx, services) {
      const signing = await startSigning({
        pool: ctx.db.pool, keyStore: ctx.keyStore, ca: need(services, 'ca'), clock: ctx.clock, logger: ctx.logger,
        publicUrl: ctx.config.publicUrl, seals: ctx.config.seals,
      });
      services.signing = signing.service;
      return { routes: [signingRoutes(signing.service)], stop: signing.stop };
    },
  };
}

/** The person registry (after face: reference photos become templates through it). */
export function personsModule(): ServiceModule {
  return {
    name: 'persons',
    async start(ctx, services) {
      services.persons = await startPersons({ pool: ctx.db.pool, dataKeys: ctx.dataKeys, clock: ctx.clock, face: services.face });
      return {};
    },
  };
}

export interface EcardModuleOptions {
  /** The system-client registry as the channel directory (default: the configured channel list). */
  readonly channels?: ChannelDirectory;
}

export function ecardModule(options: EcardModuleOptions = {}): ServiceModule {
  return {
    name: 'ecard',
    async start(ctx, services) {
      const ca = need(services, 'ca');
      const ecard = await startEcard({
        pool: ctx.db.pool, keyStore: ctx.keyStore, clock: ctx.clock, logger: ctx.logger, publicUrl: ctx.config.publicUrl,
        ca, persons: need(services, 'persons'), face: services.face,
        // Channels are the registered system clients when the identity module runs.
        channels: options.channels ?? (services.identity ? registeredClientChannels((id) => services.identity!.clients.channel(id)) : undefined),
        configuredChannels: ctx.config.ecard.channels, issuer: ctx.config.ecard.issuer, statusListTtlSeconds: ctx.config.ecard.statusListTtlSeconds,
      });
      services.ecard = ecard.service;
      return { routes: [ecardRoutes(ecard.service, ca)], stop: ecard.stop };
    },
  };
}

/** What `kexin serve` runs, in start order. */
export function serviceModules(): ServiceModule[] {
  return [auditModule(), caModule(), identityModule(), faceModule(), personsModule(), ecardModule(), signingModule()];
}
