/**
 * The seal code (esID, 赋码): region code (6 digits, GB/T 2260) ‖ year (4) ‖ serial (8, from a database
 * sequence) ‖ one ISO 7064 MOD 11-2 check character (the scheme of the resident ID number), so a
 * mistyped code is caught before any lookup.
 */
export function iso7064Mod112(digits: string): string {
  let sum = 0;
  for (const d of digits) sum = ((sum + Number(d)) * 2) % 11;
  const c = (12 - sum) % 11;
  return c === 10 ? 'X' : String(c);
}

export function formatEsId(region: string, year: number, serial: number): string {
  if (!/^\d{6}$/.test(region)) throw new TypeError('region code is 6 digits');
  const body = `${region}${String(year).padStart(4, '0')}${String(serial).padStart(8, '0')}`;
  if (body.length !== 18) throw new RangeError('esID serial out of range');
  return body + iso7064Mod112(body);
}

export function isValidEsId(esId: string): boolean {
  return /^\d{18}[\dX]$/.test(esId) && iso7064Mod112(esId.slice(0, 18)) === esId[18];
}
