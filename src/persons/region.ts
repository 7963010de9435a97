/**
 * Administrative division codes, GB/T 2260: six digits — province (2), prefecture (2), county (2).
 * Without the full code table (it changes yearly and is not shipped here), the shape and the
 * province prefix are checked: a code outside the 34 provincial-level divisions is refused.
 */

/** GB/T 2260 provincial-level codes: 31 provinces/municipalities/regions, Taiwan (71), Hong Kong (81), Macao (82). */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

export type RegionCheck = { readonly ok: true; readonly province: string } | { readonly ok: false; readonly problem: 'REGION_FORMAT' | 'REGION_PROVINCE' };

export function checkRegionCode(code: string): RegionCheck {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return { ok: false, problem: 'REGION_FORMAT' };
  const province = code.slice(0, 2);
  if (!PROVINCE_CODES.has(province)) return { ok: false, problem: 'REGION_PROVINCE' };
  return { ok: true, province };
}
