import { describe, expect, it } from 'vitest';
import { isValidUscc, usccCheckCharacter } from '../../src/ca/uscc.ts';

describe('unified social credit code (GB 32100-2015)', () => {
  // 91350100M000100Y43 is the worked example of GB 32100-2015; the others are published codes whose
  // check characters this algorithm reproduces (checked one by one when writing the test).
  const valid = ['91350100M000100Y43', '91110000600037341L', '91110108551385082Q', '91330100716105852F', '911100001000079554', '91110000100017643K'];
  for (const code of valid) it(`accepts ${code}`, () => expect(isValidUscc(code)).toBe(true));

  it('computes the check character (31 − sum mod 31, 31 → 0)', () => {
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(usccCheckCharacter('91110000600037341')).toBe('L');
  });

  it('rejects wrong check characters', () => {
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91110000600037341K')).toBe(false);
    expect(isValidUscc('91440300192203821Y')).toBe(false);
    expect(isValidUscc('91310000MA1FL2XG8Q')).toBe(false);
  });

  it('rejects bad length, lower case, and the letters I O Z S V', () => {
    for (const c of ['', '91350100M000100Y4', '91350100M000100Y433', '91350100m000100y43', '91350100I000100Y43', '9135010OM000100Y43', 'Z1350100M000100Y43', '91350100S000100Y43', '91350100V000100Y43']) {
      expect(isValidUscc(c)).toBe(false);
    }
    expect(isValidUscc(undefined as unknown as string)).toBe(false);
  });
});
