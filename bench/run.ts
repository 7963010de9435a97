/**
 * `npm run bench`: every capability's figure next to a reference measured in the same run.
 * `npm run bench -- ca`, `-- face` or `-- ecard` runs one group. A group is `bench/<name>.ts` exporting `main()`.
 */
import { existsSync } from 'node:fs';

const GROUPS = ['ca', 'identity', 'face', 'seal', 'ecard'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of GROUPS) {
  if (wanted.length && !wanted.includes(name)) continue;
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  process.stdout.write(`\n== ${name} ==\n`);
  try {
    const mod = (await import(file.href)) as { main: () => Promise<void> };
    await mod.main();
  } catch (err) {
    process.stdout.write(`${name}: failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}
