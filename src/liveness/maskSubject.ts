/**
 * Subject ids as they may appear in audit rows, logs and public responses. Ids that look like
 * identity numbers (GB 11643 resident ID: 15 or 18 characters; any run of ≥ 8 digits) show only the
 * first 3 and last 4 characters; opaque ids (UUIDs, internal keys) pass through.
 */
export function maskSubject(id: string): string {
  const looksLikeIdNumber = /^\d{15}$/.test(id) || /^\d{17}[\dXx]$/.test(id) || /\d{8,}/.test(id);
  if (!looksLikeIdNumber || id.length <= 7) return looksLikeIdNumber ? '*'.repeat(id.length) : id;
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}
