/** Test support for mTLS: SVID files on disk (atomic and Kubernetes-style), sources, waiting. */
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import type { X509MaterialInput } from '../../node-adapter/spiffe/index.js';
import type { SVID, TestCA } from './ca.js';

export const FILES = { cert: 'svid.pem', key: 'svid_key.pem', bundle: 'svid_bundle.pem' } as const;

/** The three spiffe-helper files of an SVID and a bundle. */
export function material(svid: SVID, bundlePem: string): X509MaterialInput {
  return { certificates: svid.pem, privateKey: svid.keyPem, bundle: bundlePem };
}

let tmpCounter = 0;

/** Writes one file by write-to-temp then rename (what sidecars do). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** Writes the three files of `m` into `dir`, each atomically (cert, then key, then bundle). */
export async function writeAtomic(dir: string, m: X509MaterialInput): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, FILES.cert), m.certificates);
  await writeFileAtomic(join(dir, FILES.key), m.privateKey);
  await writeFileAtomic(join(dir, FILES.bundle), m.bundle);
}

let generation = 0;

/**
 * The Kubernetes projected-volume layout: files live in a timestamped directory, `..data` points
 * at it, and each top-level name is a symlink through `..data`. A swap writes a new directory,
 * points `..data_tmp` at it and renames it over `..data` (one atomic step), then removes the old one.
 */
export async function writeKubernetes(dir: string, m: X509MaterialInput): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = `..2026_12_03_${process.pid}_${++generation}`;
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, FILES.cert), m.certificates);
  await writeFile(join(dir, name, FILES.key), m.privateKey);
  await writeFile(join(dir, name, FILES.bundle), m.bundle);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(name, join(dir, '..data_tmp'));
  let old: string | undefined;
  try {
    const { readlink } = await import('node:fs/promises');
    old = await readlink(join(dir, '..data'));
  } catch {
    old = undefined;
  }
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const f of Object.values(FILES)) {
    try {
      await symlink(join('..data', f), join(dir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (old) await rm(join(dir, old), { recursive: true, force: true });
}

/** A static source for an SVID of `ca`. */
export async function staticSource(ca: TestCA, id: string, bundlePem = ca.rootPem): Promise<StaticX509Source> {
  const svid = await ca.issueSVID(id);
  return StaticX509Source.create(material(svid, bundlePem));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
