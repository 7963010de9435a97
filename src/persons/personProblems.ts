/** The person registry's problem codes: one status and title each. */
import { defineProblems } from '../errors.ts';

export const PERSON_PROBLEMS = defineProblems({
  PERSON_ID_NUMBER_FORMAT: { status: 400, title: 'ID number is not 17 digits and a check character' },
  PERSON_ID_NUMBER_CHECKSUM: { status: 400, title: 'ID number fails the GB 11643 checksum' },
  PERSON_ID_NUMBER_BIRTH_DATE: { status: 400, title: 'ID number holds no valid birth date' },
  PERSON_ID_NUMBER_REGION: { status: 400, title: 'ID number holds no valid region prefix' },
  PERSON_REGION_FORMAT: { status: 400, title: 'Region is not a six-digit GB/T 2260 code' },
  PERSON_REGION_PROVINCE: { status: 400, title: 'Region has no GB/T 2260 province prefix' },
  PERSON_SSN_FORMAT: { status: 400, title: 'Social-security number is malformed' },
  PERSON_NAME_INVALID: { status: 400, title: 'Name is empty, too long or has control characters' },
  PERSON_NOT_FOUND: { status: 404, title: 'No such person' },
  PERSON_RECORD_MISMATCH: { status: 409, title: 'This ID number is registered with other details' },
  PERSON_SSN_TAKEN: { status: 409, title: 'Social-security number belongs to another person' },
  PERSON_FAMILY_FULL: { status: 409, title: 'Family member limit reached' },
  PERSON_FAMILY_SELF: { status: 400, title: 'A person cannot be their own family member' },
  PERSON_FAMILY_NOT_FOUND: { status: 404, title: 'No such family relation' },
  PERSON_DATA_UNDECRYPTABLE: { status: 500, title: 'Stored identifiers cannot be decrypted' },
});
