#!/usr/bin/env node
// Launcher for the `cardtrust` command. The package ships TypeScript without a build step, so this
// plain-JS entry registers tsx's ESM loader and then imports the CLI from source.
// reflect-metadata must be loaded before anything imports @peculiar/x509 (tsyringe needs it).
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Pin the package's own tsconfig: by default tsx looks it up from the caller's cwd, which may be
// any project (or none) when cardtrust runs through npx.
register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
