/**
 * The workspace jail: `..`, absolute paths and symlinks anywhere on the path (including parents of
 * a file that does not exist yet) are refused with 400 ERR_PATH_OUTSIDE_WORKSPACE for every file
 * operation, and a symlink swapped in during requests never lets one read or write outside.
 * Runs with descriptor-relative lookups (Linux /proc/self/fd) and with the path fallback.
 */
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startDaemon, type TestDaemon } from '../support/daemon.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.each([
  ['descriptor-relative', false],
  ['path fallback', true],
])('workspace jail (%s)', (_mode, forcePathMode) => {
  let d: TestDaemon;
  let outside: string;
  beforeAll(async () => {
    d = await startDaemon({ forcePathMode });
    await d.init();
    if (!forcePathMode && process.platform === 'linux') expect(d.app.workspace.fdRelative).toBe(true);
    outside = join(d.dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'TOP SECRET');
    await symlink(join(outside, 'secret'), join(d.workspace, 'link'));
    await symlink(outside, join(d.workspace, 'ldir'));
    await mkdir(join(d.workspace, 'real'));
    await symlink(outside, join(d.workspace, 'real', 'deep'));
  });
  afterAll(async () => d?.close());

  const code = async (res: Response) => [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
  const OUT = [400, 'ERR_PATH_OUTSIDE_WORKSPACE'];

  it.each([['../secret'], ['a/../../secret'], ['../..'], ['/etc/passwd'], ['x\0y'], ['link'], ['ldir/secret'], ['real/deep/secret']])(
    'download %j → 400',
    async (p) => {
      expect(await code(await d.api(`/api/files/${encodeURIComponent(p)}`))).toEqual(OUT);
    },
  );

  it.each([['../new.txt'], ['/tmp/new.txt'], ['link'], ['ldir/new.txt'], ['ldir/sub/new.txt'], ['real/deep/new.txt']])('upload to %j → 400, nothing written outside', async (p) => {
    expect(await code(await d.api('/api/files', postJson({ path: p, content: b64('pwned') })))).toEqual(OUT);
    expect((await readdir(outside)).sort()).toEqual(['secret']);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('TOP SECRET');
  });

  it('multipart upload through a symlinked parent → 400', async () => {
    const form = new FormData();
    form.set('path', 'ldir/m.txt');
    form.set('file', new Blob(['pwned']), 'm.txt');
    expect(await code(await d.api('/api/files', { method: 'POST', body: form }))).toEqual(OUT);
    expect((await readdir(outside)).sort()).toEqual(['secret']);
  });

  it.each([['ldir'], ['real/deep'], ['..'], ['/']])('list %j → 400', async (p) => {
    expect(await code(await d.api(`/api/files?path=${encodeURIComponent(p)}`))).toEqual(OUT);
  });

  it.each([['link'], ['ldir/secret'], ['../x']])('delete %j → 400, target kept', async (p) => {
    expect(await code(await d.api(`/api/files/${encodeURIComponent(p)}`, { method: 'DELETE' }))).toEqual(OUT);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('TOP SECRET');
  });

  it.each([['ldir'], ['..'], ['/tmp']])('execute with working_dir %j → 400', async (wd) => {
    expect(await code(await d.api('/api/execute', postJson({ command: ['pwd'], working_dir: wd })))).toEqual(OUT);
  });

  it('a directory swapped for a symlink during requests never reaches outside', async () => {
    const race = join(d.workspace, 'race');
    await mkdir(race, { recursive: true });
    await writeFile(join(race, 'secret'), 'inside');
    let stop = false;
    const swapper = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        try {
          await rm(race, { recursive: true, force: true });
          if (i % 2 === 0) await symlink(outside, race);
          else {
            await mkdir(race);
            await writeFile(join(race, 'secret'), 'inside');
          }
        } catch {
          // the daemon wrote into the directory meanwhile: swap again
        }
      }
    })();
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 60; i++) {
        const [down, up, list] = await Promise.all([
          d.api('/api/files/race/secret'),
          d.api('/api/files', postJson({ path: 'race/secret', content: b64('overwritten') })),
          d.api('/api/files?path=race'),
        ]);
        seen.add(String(down.status));
        if (down.status === 200) expect(await down.text()).not.toContain('TOP SECRET');
        else await down.body?.cancel();
        await up.body?.cancel();
        if (list.status === 200) {
          const names = ((await list.json()) as { files: { name: string; size: number }[] }).files;
          // the outside directory's listing would show a 10-byte 'secret'
          for (const f of names) if (f.name === 'secret') expect(f.size).not.toBe(10);
        } else await list.body?.cancel();
      }
    } finally {
      stop = true;
      await swapper;
    }
    // the swaps really interleaved with the requests: more than one kind of answer came back
    expect(seen.size).toBeGreaterThan(1);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('TOP SECRET');
    if (!forcePathMode) expect((await readdir(outside)).sort()).toEqual(['secret']);
  });
});
