import { pino, type Logger } from 'pino';
import { KexinError } from './errors.ts';

/**
 * JSON logs. Redaction is a second line of defence: code never logs secrets, tokens, private keys,
 * face images or unmasked ID numbers in the first place.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.password', '*.passphrase', '*.image', '*.probe', '*.reference', '*.frames', '*.idNumber'],
      censor: '[redacted]',
    },
  }, destination as never);
}

/**
 * Logs a failure as its kind deserves: a client's mistake (a KexinError with a 4xx status, e.g. a
 * malformed OCSP request) is one info line with its code and no stack — hostile traffic must not fill
 * the disk with traces; anything else is an error with its stack.
 */
export function logFailure(logger: Logger, err: unknown, message: string): void {
  if (err instanceof KexinError && err.status < 500) logger.info({ code: err.code, reason: err.message }, message);
  else logger.error({ err }, message);
}
