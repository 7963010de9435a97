/**
 * Citizen identity numbers (公民身份号码), GB 11643-1999: 6-digit address code (GB/T 2260), 8-digit
 * birth date, 3-digit sequence (odd = male), and a check character computed with ISO 7064 MOD 11-2.
 * `checkIdNumber` returns a result, never throws; `maskIdNumber` is the only form that may be shown.
 */
import { checkRegionCode } from './region.ts';

/** Why an ID number was refused; stable codes. */
export type IdNumberProblem = 'ID_NUMBER_FORMAT' | 'ID_NUMBER_CHECKSUM' | 'ID_NUMBER_BIRTH_DATE' | 'ID_NUMBER_REGION';

export type IdNumberCheck =
  | { readonly ok: true; readonly idNumber: string; readonly region: string; readonly birthDate: string; readonly sex: 'male' | 'female' }
  | { readonly ok: false; readonly problem: IdNumberProblem };

/** GB 11643-1999 §6.2: weight of position i (1-based from the left) is 2^(18-i) mod 11. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** The check character for the first 17 digits (ISO 7064 MOD 11-2). */
export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

function validDate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4)), m = Number(yyyymmdd.slice(4, 6)), d = Number(yyyymmdd.slice(6, 8));
  if (y < 1880 || m < 1 || m > 12 || d < 1) return false;
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * Checks an 18-character ID number (a lower-case `x` is read as `X`). The birth date must be a real
 * date not after `today` (UTC, YYYYMMDD) when given.
 */
export function checkIdNumber(raw: string, today?: string): IdNumberCheck {
  if (typeof raw !== 'string' || !/^\d{17}[\dXx]$/.test(raw)) return { ok: false, problem: 'ID_NUMBER_FORMAT' };
  const idNumber = raw.toUpperCase();
  if (idNumberCheckChar(idNumber) !== idNumber[17]) return { ok: false, problem: 'ID_NUMBER_CHECKSUM' };
  const birth = idNumber.slice(6, 14);
  if (!validDate(birth) || (today !== undefined && birth > today)) return { ok: false, problem: 'ID_NUMBER_BIRTH_DATE' };
  const region = idNumber.slice(0, 6);
  if (!checkRegionCode(region).ok) return { ok: false, problem: 'ID_NUMBER_REGION' };
  const sex = Number(idNumber[16]) % 2 === 1 ? 'male' : 'female';
  return { ok: true, idNumber, region, birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`, sex };
}

/** `1101**********1234`: the first four and last four characters, the rest starred. */
export function maskIdentifier(value: string): string {
  if (value.length <= 8) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}${'*'.repeat(value.length - 8)}${value.slice(-4)}`;
}
