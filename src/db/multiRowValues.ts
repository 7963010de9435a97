/** `VALUES ($1, $2), ($3, $4)` and its parameters, for one INSERT of many rows (rows of equal width). */
export function multiRowValues(rows: readonly (readonly unknown[])[]): { readonly sql: string; readonly params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`);
  return { sql: `VALUES ${tuples.join(', ')}`, params };
}
