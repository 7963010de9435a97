import { pino, type Logger } from 'pino';

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
