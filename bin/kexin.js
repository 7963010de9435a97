#!/usr/bin/env node
// The `kexin` command. Node 24 runs the TypeScript sources directly (type stripping).
import '../src/cli.ts';
