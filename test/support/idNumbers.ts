/** Valid GB 11643 ID numbers for tests (synthetic: region 440305 unless given). */
import { idNumberCheckChar } from '../../src/persons/idNumber.ts';

export function idNumber(seq: number, birth = '19600101', region = '440305'): string {
  const first17 = `${region}${birth}${String(seq % 1000).padStart(3, '0')}`;
  return first17 + idNumberCheckChar(first17);
}
