import { describe, expect, it } from 'vitest';
import { checkIdNumber, idNumberCheckChar, maskIdentifier } from '../../src/persons/idNumber.ts';
import { checkRegionCode } from '../../src/persons/region.ts';

describe('GB 11643-1999 ID numbers', () => {
  it('accepts the standard\'s own example and computes its check character', () => {
    // GB 11643-1999 Annex A example: 11010519491231002X (Beijing Chaoyang, born 1949-12-31, female).
    expect(idNumberCheckChar('11010519491231002')).toBe('X');
    expect(checkIdNumber('11010519491231002X')).toEqual({ ok: true, idNumber: '11010519491231002X', region: '110105', birthDate: '1949-12-31', sex: 'female' });
    expect(checkIdNumber('11010519491231002x')).toMatchObject({ ok: true, idNumber: '11010519491231002X' });
    expect(checkIdNumber('440524188001010014')).toMatchObject({ ok: true, sex: 'male', birthDate: '1880-01-01' });
  });

  it('refuses every single-digit change (the checksum catches it)', () => {
    const good = '11010519491231002X';
    for (let i = 0; i < 17; i++) {
      const d = (Number(good[i]) + 1) % 10;
      const bad = good.slice(0, i) + d + good.slice(i + 1);
      expect(checkIdNumber(bad).ok, bad).toBe(false);
    }
  });

  it('names the problem', () => {
    expect(checkIdNumber('110105194912310021')).toEqual({ ok: false, problem: 'ID_NUMBER_CHECKSUM' });
    expect(checkIdNumber('1101051949123100')).toEqual({ ok: false, problem: 'ID_NUMBER_FORMAT' });
    expect(checkIdNumber('11010519491231002Y')).toEqual({ ok: false, problem: 'ID_NUMBER_FORMAT' });
    expect(checkIdNumber(42 as unknown as string)).toEqual({ ok: false, problem: 'ID_NUMBER_FORMAT' });
    const feb30 = '11010519490230001';
    expect(checkIdNumber(feb30 + idNumberCheckChar(feb30))).toEqual({ ok: false, problem: 'ID_NUMBER_BIRTH_DATE' });
    const future = '11010520990101001';
    expect(checkIdNumber(future + idNumberCheckChar(future), '20261201')).toEqual({ ok: false, problem: 'ID_NUMBER_BIRTH_DATE' });
    const noProvince = '99010519491231002';
    expect(checkIdNumber(noProvince + idNumberCheckChar(noProvince))).toEqual({ ok: false, problem: 'ID_NUMBER_REGION' });
  });

  it('masks to the first four and last four characters', () => {
    expect(maskIdentifier('110105194912310021')).toBe('1101**********0021');
    expect(maskIdentifier('A12345678')).toBe('A123*5678');
    expect(maskIdentifier('12345678')).toBe('********');
  });
});

describe('GB/T 2260 region codes', () => {
  it('checks the shape and the province prefix', () => {
    expect(checkRegionCode('440300')).toEqual({ ok: true, province: '44' });
    expect(checkRegionCode('810000')).toEqual({ ok: true, province: '81' });
    expect(checkRegionCode('4403')).toEqual({ ok: false, problem: 'REGION_FORMAT' });
    expect(checkRegionCode('44030a')).toEqual({ ok: false, problem: 'REGION_FORMAT' });
    expect(checkRegionCode('190000')).toEqual({ ok: false, problem: 'REGION_PROVINCE' });
    expect(checkRegionCode('000000')).toEqual({ ok: false, problem: 'REGION_PROVINCE' });
  });
});
