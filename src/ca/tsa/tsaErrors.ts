import { KexinError } from '../../errors.ts';

/** RFC 3161 §2.4.2 PKIFailureInfo bit numbers (the ones a TSA uses). */
export const PKI_FAILURE_INFO = Object.freeze({
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
});
export type PkiFailureInfo = keyof typeof PKI_FAILURE_INFO;

/** A request the TSA rejects: answered with a TimeStampResp of status rejection and this failInfo. */
export class TsaRejection extends KexinError {
  readonly failInfo: PkiFailureInfo;
  constructor(failInfo: PkiFailureInfo, message: string, cause?: unknown) {
    super('TSA_REQUEST_REJECTED', message, 400, { failInfo }, cause === undefined ? undefined : { cause });
    this.name = 'TsaRejection';
    this.failInfo = failInfo;
  }
}
