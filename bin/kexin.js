#!/usr/bin/env node
// The `kexin` command. Node 24 runs the TypeScript sources directly (type stripping); `npm ci` installs a
// pinned Node 24 into node_modules/.bin (the `node-linux-*` optional dependencies), which `npm start`,
// `npm test` and `npx kexin` put first on PATH. Checked here, in plain JavaScript, so an older Node
// explains itself instead of failing on the first `.ts` import.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `kexin: needs Node.js 24 or later, this is ${process.version}.\n` +
    '  On Linux x64/arm64, `npm ci` installs a pinned Node 24 into node_modules/.bin: run kexin through\n' +
    '  `npm start`, `npx kexin …` or `npm test`, which put it first on PATH.\n' +
    '  Elsewhere, install Node.js 24 (see .nvmrc) and run npm ci again.\n',
  );
  process.exit(1);
}
await import('../src/cli.ts');
