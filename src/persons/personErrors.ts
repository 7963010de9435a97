/** The person registry's errors: stable codes, statuses, client-safe messages (never an ID number). */
import { KexinError } from '../errors.ts';
import type { IdNumberProblem } from './idNumber.ts';

const ID_NUMBER_ERRORS: Record<IdNumberProblem, () => KexinError> = {
  ID_NUMBER_FORMAT: () => new KexinError('PERSON_ID_NUMBER_FORMAT', 'idNumber must be 17 digits and a check character (digit or X)', 400),
  ID_NUMBER_CHECKSUM: () => new KexinError('PERSON_ID_NUMBER_CHECKSUM', 'idNumber check character does not match (GB 11643-1999)', 400),
  ID_NUMBER_BIRTH_DATE: () => new KexinError('PERSON_ID_NUMBER_BIRTH_DATE', 'idNumber holds no valid birth date', 400),
  ID_NUMBER_REGION: () => new KexinError('PERSON_ID_NUMBER_REGION', 'idNumber holds no valid GB/T 2260 region prefix', 400),
};

export const personErrors = {
  idNumber: (problem: IdNumberProblem) => ID_NUMBER_ERRORS[problem](),
  region: (problem: 'REGION_FORMAT' | 'REGION_PROVINCE') => (problem === 'REGION_FORMAT'
    ? new KexinError('PERSON_REGION_FORMAT', 'region must be a six-digit GB/T 2260 code', 400)
    : new KexinError('PERSON_REGION_PROVINCE', 'region does not start with a GB/T 2260 province code', 400)),
  ssn: () => new KexinError('PERSON_SSN_FORMAT', 'ssn must be 9 to 20 upper-case letters or digits', 400),
  name: () => new KexinError('PERSON_NAME_INVALID', 'name must be 1 to 64 characters without control characters', 400),
  notFound: () => new KexinError('PERSON_NOT_FOUND', 'no such person', 404),
  mismatch: () => new KexinError('PERSON_RECORD_MISMATCH', 'a person with this ID number is registered with other details', 409),
  ssnTaken: () => new KexinError('PERSON_SSN_TAKEN', 'this social-security number belongs to another person', 409),
  familyFull: (max: number) => new KexinError('PERSON_FAMILY_FULL', `a person may manage at most ${max} family members`, 409, { max }),
  familySelf: () => new KexinError('PERSON_FAMILY_SELF', 'a person cannot manage themselves as a family member', 400),
  familyNotFound: () => new KexinError('PERSON_FAMILY_NOT_FOUND', 'no such family relation', 404),
  undecryptable: () => new KexinError('PERSON_DATA_UNDECRYPTABLE', 'stored identifiers cannot be decrypted with the current data key', 500),
};
