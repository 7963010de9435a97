/**
 * The `kexin` command: serve, init, ca …, audit verify, face compare, models build.
 * With the embedded database, only one process can open the data dir: when a service is running there,
 * commands go to it over HTTP (serviceClient.ts) instead of failing on the lock.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DataDirInUseError } from './dataDirLock.ts';
import { serviceClientFor, type ServiceClient } from './cli/serviceClient.ts';
import { commands, type CommandContext } from './cli/commands.ts';

const USAGE = `kexin — identity and trust service

  kexin serve                                   run the service (also: npm start)
  kexin init                                    initialise the data dir (database, keys, CA hierarchy) and exit
  kexin ca list                                 list certificate authorities
  kexin ca issue --csr FILE --profile P [--ca ID]   issue a certificate from a PKCS#10 CSR
  kexin ca revoke SERIAL --reason R             revoke (R: RFC 5280 reason; certificateHold to suspend, removeFromCRL to release a hold)
  kexin ca request --id ID --name NAME --algorithm ECDSA-P256|SM2   new issuing CA for an external root: prints its CSR
  kexin ca import --id ID --cert FILE [--chain FILE]   import the external root's certificate for that CA
  kexin clients list | show ID | delete ID      system clients (OAuth 2)
  kexin clients create --metadata FILE          register from RFC 7591 client metadata (JSON), or with flags:
        --name N --class hrss|government|bank|payment|medical|kiosk|other --scope "S …"
        [--auth private_key_jwt|tls_client_auth|client_secret_basic] [--jwks FILE] [--subject-dn DN] [--dpop] [--mtls-bound]
  kexin clients update ID (--metadata FILE | flags)   replace a client's metadata (RFC 7592)
  kexin clients rotate-secret ID                a new client secret (shown once)
  kexin operator rotate                         revoke every operator token, print a new one (once)
  kexin operator disable                        revoke every operator token (the local CLI keeps working)
  kexin oauth rotate-key                        publish the next token signing key now (it signs an hour later; run again then)
  kexin audit verify                            recompute the audit chain, report the first broken link
  kexin face compare A.jpg B.jpg                compare two face photos (same JSON as POST /face/verify)
  kexin models build                            convert the face models into the data dir
  kexin seal create --owner NAME --credit-code CODE --kind K --name N --algorithm ECDSA|SM2 [--holder NAME] [--image FILE]
                                                make a seal (K: legal-name, internal, branch, business, personal)
  kexin seal apply --seal ID --in a.pdf --out b.pdf [--level B-B|B-T|B-LT|B-LTA] [--page P --x MM --y MM] [--qr] [--certify 1|2|3]
                                                seal a PDF (x, y: the seal's centre in mm from the page's lower-left corner)
  kexin seal archive-renew [--all]              add fresh archive time-stamps to kept B-LTA documents that are due (--all: every one)
  kexin verify FILE [--signature SIG] [--html REPORT.html]   verify a sealed PDF, or a file and its detached signature
  kexin ecard demo-claim --holder ID [--channel C] [--url URL --token T]
                                                claim a card with a fresh device key as an operator (test runs):
                                                one JSON line {cardId, credential, cardToken, statusListId, statusListUri, deviceJwk}

Environment: PORT, HOST, KEXIN_DATA_DIR, DATABASE_URL, KEXIN_BOOTSTRAP_TOKEN, KEXIN_KEY_PASSPHRASE (see README).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      csr: { type: 'string' }, profile: { type: 'string' }, ca: { type: 'string' }, reason: { type: 'string' },
      id: { type: 'string' }, name: { type: 'string' }, algorithm: { type: 'string' }, cert: { type: 'string' }, chain: { type: 'string' },
      seal: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, level: { type: 'string' }, page: { type: 'string' },
      x: { type: 'string' }, y: { type: 'string' }, qr: { type: 'boolean' }, certify: { type: 'string' }, owner: { type: 'string' },
      'credit-code': { type: 'string' }, kind: { type: 'string' }, image: { type: 'string' },
      signature: { type: 'string' }, html: { type: 'string' }, all: { type: 'boolean' },
      metadata: { type: 'string' }, class: { type: 'string' }, scope: { type: 'string' }, auth: { type: 'string' }, jwks: { type: 'string' },
      'subject-dn': { type: 'string' }, dpop: { type: 'boolean' }, 'mtls-bound': { type: 'boolean' },
      holder: { type: 'string' }, channel: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const key = positionals.slice(0, 2).join(' ');
  const command = commands[key] ?? commands[positionals[0]!];
  if (!command) {
    process.stderr.write(`kexin: unknown command "${positionals.join(' ')}"\n\n${USAGE}\n`);
    return 2;
  }
  const args = positionals.slice(command.words);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kexin: configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const remote: ServiceClient | undefined = command.remote && !config.databaseUrl ? serviceClientFor(config.dataDir) : undefined;
  const ctx: CommandContext = {
    config, args, options: values as Record<string, string | boolean | undefined>, remote,
    readFile: (path: string) => readFileSync(path),
    out: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
    err: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  };
  return command.run(ctx);
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== undefined) process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof DataDirInUseError) process.stderr.write(`kexin: ${err.message}\n`);
    else if (err instanceof Error && 'code' in err && 'status' in err) process.stderr.write(`kexin: ${(err as Error & { code: string }).code}: ${err.message}\n`);
    else process.stderr.write(`kexin: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
