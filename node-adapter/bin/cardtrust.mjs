#!/usr/bin/env node
// The dev launcher: the `cardtrust` CLI from source, through tsx's ESM loader, with no build step.
// The repository's tests, docs tests and `npm start` run this one, so they always see the current
// source; the published package runs the compiled node-adapter/bin/cardtrust.ts with plain node.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Pin the repository's own tsconfig: by default tsx looks it up from the caller's cwd, which may be
// any project (or none).
register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
