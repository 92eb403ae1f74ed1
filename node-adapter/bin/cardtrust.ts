#!/usr/bin/env node
// The `cardtrust` command of the published package, compiled to dist/node-adapter/bin/cardtrust.js
// and run by plain node. Only `main` is loaded here: each command imports its action (and
// @peculiar/x509 with reflect-metadata, for `ca init`/`ca issue` only) when it runs.
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv.slice(2));
