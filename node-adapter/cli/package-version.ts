/**
 * The version in cardtrust's own package.json, for `--version` and the daemon's `/health`. The CLI
 * runs from source in the repository (node-adapter/cli/) and compiled in the package
 * (dist/node-adapter/cli/), so package.json is two or three folders up; the first one found whose
 * name is `cardtrust` is ours.
 */
import { readFile } from 'node:fs/promises';

const CANDIDATES = ['../../package.json', '../../../package.json'];

let cached: Promise<string> | undefined;

/** @example `cardtrust ${await packageVersion()}` */
export function packageVersion(): Promise<string> {
  return (cached ??= find());
}

async function find(): Promise<string> {
  for (const candidate of CANDIDATES) {
    let text: string;
    try {
      text = await readFile(new URL(candidate, import.meta.url), 'utf8');
    } catch {
      continue; // not this folder
    }
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (pkg.name === 'cardtrust' && typeof pkg.version === 'string') return pkg.version;
  }
  throw new Error("cardtrust's package.json was not found next to the CLI");
}
