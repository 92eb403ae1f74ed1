/**
 * `cardtrust daemon` speaks AgentCube PicoD's HTTP API: the requests its SDK
 * (CodeInterpreterDataPlaneClient) sends, and the responses it reads, over real HTTP.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../node-adapter/daemon/index.js';
import { goSecondsNoFraction } from '../../node-adapter/daemon/execute.js';
import { mintBootstrap, mintSession, postJson, startDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
  await d.init();
});
afterAll(async () => d?.close());

const exec = async (body: unknown) => {
  const res = await d.api('/api/execute', { ...postJson(body), headers: { 'content-type': 'application/json', 'x-agentcube-session-id': 'sess-1' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /health', () => {
  it('answers without auth in PicoD shape', async () => {
    const res = await fetch(`${d.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', service: expect.any(String), version: expect.any(String) });
    expect(body['uptime']).toMatch(/^[\d.]+(ms|s)$|^\d+m[\d.]+s$|^\d+h\d+m[\d.]+s$/);
  });
});

describe('Go durations (time.ParseDuration)', () => {
  it.each([
    ['500ms', 500], ['2m', 120_000], ['1h30m', 5_400_000], ['1.5s', 1500], ['120s', 120_000], ['1h2m3s4ms', 3_723_004], ['0', 0], ['.5s', 500], ['1500us', 1.5], ['-2s', -2000],
  ])('%s is %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));
  it.each([['10'], [''], ['s'], ['1x'], ['1 s'], ['1d'], ['1.s.5']])('%j is invalid', (text) => {
    expect(() => parseGoDuration(text)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }));
  });
});

describe('POST /api/execute', () => {
  it.each([
    [['true'], 0],
    [['false'], 1],
    [['sh', '-c', 'exit 42'], 42],
  ])('%j exits %i with 200 and the PicoD fields', async (command, code) => {
    const r = await exec({ command, timeout: '120s' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ exit_code: code, stdout: '', timed_out: false, truncated: false });
    expect(typeof r.body['duration']).toBe('number');
    expect(Date.parse(r.body['start_time'] as string)).toBeLessThanOrEqual(Date.parse(r.body['end_time'] as string));
  });

  it('passes argv without a shell', async () => {
    const r = await exec({ command: ['echo', '$HOME', '*', ';', 'ls'] });
    expect(r.body).toMatchObject({ exit_code: 0, stdout: '$HOME * ; ls\n' });
  });

  it('runs in working_dir with the request env', async () => {
    await mkdir(join(d.workspace, 'sub'), { recursive: true });
    const r = await exec({ command: ['sh', '-c', 'pwd; echo "$GREETING"'], working_dir: 'sub', env: { GREETING: 'hi' } });
    expect(r.body['stdout']).toBe(`${join(d.workspace, 'sub')}\nhi\n`);
  });

  it.each([['500ms'], ['2m'], ['1m30s'], ['1.5s'], ['120s']])('accepts the Go duration %s', async (timeout) => {
    expect((await exec({ command: ['true'], timeout })).body['exit_code']).toBe(0);
  });

  it.each([['10', /missing unit/], ['abc', /invalid duration/], ['-1s', /positive/], ['0', /positive/], ['1d', /invalid duration/], ['301s', /exceeds the maximum/]])(
    'refuses the timeout %j with 400 ERR_REQUEST_INVALID',
    async (timeout, message) => {
      const r = await exec({ command: ['true'], timeout });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: { code: 'ERR_REQUEST_INVALID', message: expect.stringMatching(message) } });
    },
  );

  it('answers 124 with a note in stderr on timeout', async () => {
    const r = await exec({ command: ['sleep', '30'], timeout: '300ms' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ exit_code: 124, timed_out: true });
    // Go's %.0f, appended without a separator (pkg/picod/execute.go)
    expect(r.body['stderr']).toBe('Command timed out after 0 seconds');
  });

  it('answers a command that does not exist like PicoD: 200, exit code 1, the reason in stderr', async () => {
    const r = await exec({ command: ['no-such-command-xyz'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ exit_code: 1, stdout: '' });
    expect(r.body['stderr']).toBe('exec: "no-such-command-xyz": executable file not found in $PATH');
  });

  it.each([
    [{}, /command must be/],
    [{ command: [] }, /command must be/],
    [{ command: 'ls -l' }, /command must be/],
    [{ command: ['ls', 1] }, /array of strings/],
    [{ command: ['true'], env: { 'A=B': 'x' } }, /invalid variable name/],
    [{ command: ['true'], timeout: 30 }, /duration string/],
  ])('refuses the body %j with 400', async (body, message) => {
    const r = await exec(body);
    expect(r.status).toBe(400);
    expect((r.body['error'] as { message: string }).message).toMatch(message);
  });
});

describe('files', () => {
  it('uploads JSON base64 with a mode and answers {path,size,mode,modified}', async () => {
    const res = await d.api('/api/files', postJson({ path: 'dir/a.txt', content: Buffer.from('hello').toString('base64'), mode: '0600' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ path: 'dir/a.txt', size: 5, mode: '-rw-------', modified: expect.any(String) });
    expect(await readFile(join(d.workspace, 'dir/a.txt'), 'utf8')).toBe('hello');
    expect((await stat(join(d.workspace, 'dir/a.txt'))).mode & 0o777).toBe(0o600);
  });

  it('uploads multipart path/file/mode as the SDK does', async () => {
    const form = new FormData();
    form.set('path', 'up/data.bin');
    form.set('mode', '0644');
    form.set('file', new Blob([new Uint8Array([0, 1, 2, 255])]), 'data.bin');
    const res = await d.api('/api/files', { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ path: 'up/data.bin', size: 4, mode: '-rw-r--r--' });
    expect([...(await readFile(join(d.workspace, 'up/data.bin')))]).toEqual([0, 1, 2, 255]);
  });

  it('replaces an existing file and defaults the mode to 0644', async () => {
    await d.api('/api/files', postJson({ path: 'r.txt', content: Buffer.from('long content').toString('base64') }));
    const res = await d.api('/api/files', postJson({ path: 'r.txt', content: Buffer.from('x').toString('base64') }));
    expect(await res.json()).toMatchObject({ size: 1, mode: '-rw-r--r--' });
    expect(await readFile(join(d.workspace, 'r.txt'), 'utf8')).toBe('x');
  });

  it.each([
    [{ path: 'm.txt', content: 'aGk=', mode: '999' }, 'ERR_REQUEST_INVALID'],
    [{ path: 'm.txt', content: 'aGk=', mode: '01777' }, 'ERR_REQUEST_INVALID'],
    [{ path: 'm.txt', content: 'not base64!' }, 'ERR_BASE64_MALFORMED'],
    [{ content: 'aGk=' }, 'ERR_REQUEST_INVALID'],
  ])('refuses the upload %j', async (body, code) => {
    const res = await d.api('/api/files', postJson(body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('downloads raw bytes with Content-Disposition, type and length', async () => {
    await writeFile(join(d.workspace, 'report.json'), '{"ok":true}');
    const res = await d.api('/api/files/report.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report.json"');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('{"ok":true}');
  });

  it('downloads a nested path, an empty file, and a non-ASCII name', async () => {
    await mkdir(join(d.workspace, 'n/e'), { recursive: true });
    await writeFile(join(d.workspace, 'n/e/empty'), '');
    await writeFile(join(d.workspace, 'n/e/résumé.txt'), 'é');
    const empty = await d.api('/api/files/n/e/empty');
    expect([empty.status, await empty.text(), empty.headers.get('content-type')]).toEqual([200, '', 'application/octet-stream']);
    const named = await d.api(`/api/files/n/e/${encodeURIComponent('résumé.txt')}`);
    expect(named.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`);
    expect(await named.text()).toBe('é');
  });

  it('answers 404 ERR_FILE_NOT_FOUND for a missing file and 400 for a directory', async () => {
    const missing = await d.api('/api/files/nope.txt');
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'ERR_FILE_NOT_FOUND']);
    await mkdir(join(d.workspace, 'adir'), { recursive: true });
    const dir = await d.api('/api/files/adir');
    expect([dir.status, ((await dir.json()) as { error: { code: string } }).error.code]).toEqual([400, 'ERR_REQUEST_INVALID']);
  });

  it('lists a directory as {files:[{name,size,modified,mode,is_dir}]}', async () => {
    await mkdir(join(d.workspace, 'l/sub'), { recursive: true });
    await writeFile(join(d.workspace, 'l/f.txt'), 'abc');
    const res = await d.api('/api/files?path=l');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      files: [
        { name: 'f.txt', size: 3, modified: expect.any(String), mode: expect.stringMatching(/^-rw/), is_dir: false },
        { name: 'sub', size: expect.any(Number), modified: expect.any(String), mode: expect.stringMatching(/^drwx/), is_dir: true },
      ],
    });
    const root = (await (await d.api('/api/files?path=.')).json()) as { files: { name: string }[] };
    expect(root.files.map((f) => f.name)).toContain('l');
    const empty = await d.api('/api/files?path=l/sub');
    expect(await empty.json()).toEqual({ files: [] });
  });

  it('needs the path query parameter to list', async () => {
    const res = await d.api('/api/files');
    expect(res.status).toBe(400);
  });

  it('deletes a file and an empty directory, refuses a non-empty one', async () => {
    await mkdir(join(d.workspace, 'del/full'), { recursive: true });
    await writeFile(join(d.workspace, 'del/full/x'), 'x');
    expect((await d.api('/api/files/del/full', { method: 'DELETE' })).status).toBe(400);
    const res = await d.api('/api/files/del/full/x', { method: 'DELETE' });
    expect([res.status, await res.json()]).toEqual([200, { path: 'del/full/x', deleted: true }]);
    expect((await d.api('/api/files/del/full', { method: 'DELETE' })).status).toBe(200);
    expect((await d.api('/api/files/del/full/x', { method: 'DELETE' })).status).toBe(404);
  });

  it('caps the upload body (413 ERR_BODY_TOO_LARGE)', async () => {
    const small = await startDaemon({ maxUploadBytes: 1024 });
    try {
      await small.init();
      const res = await small.api('/api/files', postJson({ path: 'big', content: Buffer.alloc(2048).toString('base64') }));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_BODY_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});

describe('routing', () => {
  it('answers unknown routes 404 and wrong methods 405 with the error body', async () => {
    const nf = await fetch(`${d.url}/nope`);
    expect([nf.status, ((await nf.json()) as { error: { code: string } }).error.code]).toEqual([404, 'ERR_ROUTE_NOT_FOUND']);
    const na = await fetch(`${d.url}/health`, { method: 'POST' });
    expect([na.status, na.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

/**
 * Differences from PicoD found by reading its server (volcano-sh/agentcube pkg/picod/execute.go,
 * files.go, auth.go, server.go) and fixed: each case is the wire shape PicoD answers.
 */
describe('PicoD compatibility (audit)', () => {
  it.each([
    [300, '0'], [500, '0'], [1500, '2'], [2500, '2'], [120_000, '120'], [90_400, '90'],
  ])("the timeout note formats %i ms as Go's %%.0f: %s", (ms, text) => expect(goSecondsNoFraction(ms)).toBe(text));

  it.each([
    ['printf err >&2; sleep 30', 'errCommand timed out after 0 seconds'],
    ['echo err >&2; sleep 30', 'err\nCommand timed out after 0 seconds'],
  ])('appends the timeout note to stderr without a separator (%s)', async (script, stderr) => {
    const r = await exec({ command: ['sh', '-c', script], timeout: '300ms' });
    expect([r.status, r.body['exit_code'], r.body['stderr']]).toEqual([200, 124, stderr]);
  });

  it.each([
    [['no-such-command-xyz'], 'exec: "no-such-command-xyz": executable file not found in $PATH'],
    [['./no-such-file'], 'exec: "./no-such-file": stat ./no-such-file: no such file or directory'],
    [[''], 'exec: no command'],
  ])("a command that cannot start %j: 200, exit code 1, Go's error in stderr", async (command, stderr) => {
    const r = await exec({ command });
    expect([r.status, r.body['exit_code'], r.body['stdout'], r.body['stderr']]).toEqual([200, 1, '', stderr]);
  });

  it('a working_dir that does not exist: 200, exit code 1, chdir error in stderr (as os.StartProcess)', async () => {
    const r = await exec({ command: ['pwd'], working_dir: 'no/such/dir' });
    expect([r.status, r.body['exit_code'], r.body['stderr']]).toEqual([200, 1, `chdir ${join(d.workspace, 'no/such/dir')}: no such file or directory`]);
  });

  it.each([
    ['text/plain', 200], [null, 200], ['application/x-www-form-urlencoded', 200], ['application/json; charset=utf-8', 200],
  ])('execute reads JSON whatever the Content-Type (%s), as gin ShouldBindJSON', async (type, status) => {
    const res = await d.api('/api/execute', { method: 'POST', body: JSON.stringify({ command: ['true'] }), headers: type ? { 'content-type': type } : {} });
    expect(res.status).toBe(status);
  });

  it('execute takes a body over 1 MiB (PicoD caps every authenticated body at 32 MiB)', async () => {
    const r = await exec({ command: ['true'], pad: 'x'.repeat(1_500_000) });
    expect([r.status, r.body['exit_code']]).toEqual([200, 0]);
  });

  it.each([
    ['an empty body', '', 400, 'ERR_JSON_MALFORMED'],
    ['not JSON', 'path=a&content=b', 400, 'ERR_JSON_MALFORMED'],
  ])('upload refuses %s with 400', async (_what, body, status, code) => {
    const res = await d.api('/api/files', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
  });

  it.each([['text/plain'], [null]])('upload reads JSON sent as %s', async (type) => {
    const res = await d.api('/api/files', { method: 'POST', body: JSON.stringify({ path: 'ct.txt', content: Buffer.from('ct').toString('base64') }), headers: type ? { 'content-type': type } : {} });
    expect([res.status, await readFile(join(d.workspace, 'ct.txt'), 'utf8')]).toEqual([200, 'ct']);
  });

  it.each([
    ['76-column lines (\\n)', Buffer.alloc(100, 7).toString('base64').replace(/(.{76})/g, '$1\n'), 100],
    ['CRLF lines', Buffer.alloc(60, 9).toString('base64').replace(/(.{40})/g, '$1\r\n'), 60],
  ])("base64 with %s decodes as Go's StdEncoding (\\r and \\n ignored)", async (_what, content, size) => {
    const res = await d.api('/api/files', postJson({ path: 'b64.bin', content }));
    expect([res.status, ((await res.json()) as { size: number }).size]).toEqual([200, size]);
  });

  it.each([
    ['00644', 200, '-rw-r--r--'], ['0000755', 200, '-rwxr-xr-x'], ['7', 200, '-------rwx'], ['1777', 400, undefined], ['0o644', 400, undefined],
  ])('mode %j as strconv.ParseUint(mode, 8, 32) ≤ 0777: %i', async (mode, status, shown) => {
    const res = await d.api('/api/files', postJson({ path: 'mode.txt', content: 'aGk=', mode }));
    const body = (await res.json()) as { mode?: string; error?: { code: string } };
    expect([res.status, status === 200 ? body.mode : body.error?.code]).toEqual([status, shown ?? 'ERR_REQUEST_INVALID']);
  });

  it('lists in os.ReadDir order (by the bytes of the name)', async () => {
    await mkdir(join(d.workspace, 'order'), { recursive: true });
    for (const n of ['😀', '\uFF21', 'b', 'B']) await writeFile(join(d.workspace, 'order', n), '');
    const body = (await (await d.api('/api/files?path=order')).json()) as { files: { name: string }[] };
    expect(body.files.map((f) => f.name)).toEqual(['B', 'b', '\uFF21', '😀']);
  });

  describe('download as http.ServeFile', () => {
    beforeAll(async () => writeFile(join(d.workspace, 'ten.bin'), 'abcdefghij'));
    it.each([
      ['bytes=0-3', 206, 'abcd', 'bytes 0-3/10'],
      ['bytes=-3', 206, 'hij', 'bytes 7-9/10'],
      ['bytes=5-', 206, 'fghij', 'bytes 5-9/10'],
      ['bytes=8-100', 206, 'ij', 'bytes 8-9/10'],
      ['bytes=0-1,4-5', 200, 'abcdefghij', null],
      ['bytes=20-', 416, null, 'bytes */10'],
      ['items=0-1', 416, null, null],
      ['bytes=5-2', 416, null, null],
    ])('Range %s → %i', async (range, status, text, contentRange) => {
      const res = await d.api('/api/files/ten.bin', { headers: { range } });
      // Go sets Accept-Ranges only on the answers that carry the file, Content-Range */size only when no range overlaps
      expect([res.status, res.headers.get('content-range'), res.headers.get('accept-ranges')]).toEqual([status, contentRange, status === 416 ? null : 'bytes']);
      if (status === 416) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_RANGE_NOT_SATISFIABLE');
      else expect([await res.text(), res.headers.get('content-length')]).toEqual([text, String(text!.length)]);
    });

    it.each([
      ['if-modified-since', 1, 304], ['if-modified-since', -3600, 200], ['if-unmodified-since', -3600, 412], ['if-unmodified-since', 3600, 200],
    ])('%s (mtime %+i s) → %i', async (name, offset, status) => {
      const mtime = (await stat(join(d.workspace, 'ten.bin'))).mtime.getTime();
      const res = await d.api('/api/files/ten.bin', { headers: { [name]: new Date(mtime + offset * 1000).toUTCString() } });
      expect(res.status).toBe(status);
      expect(await res.text()).toBe(status === 200 ? 'abcdefghij' : '');
    });
  });

  describe('/init as PicoD sends it', () => {
    it.each([
      ['POST /init with Authorization: Bearer', '/init'],
      ['POST /api/init with Authorization: Bearer', '/api/init'],
    ])('%s registers the key and answers success/message too', async (_what, path) => {
      const fresh = await startDaemon();
      try {
        const res = await fetch(`${fresh.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${await mintBootstrap(fresh.signer, fresh.session)}` } });
        expect([res.status, await res.json()]).toEqual([200, expect.objectContaining({ status: 'initialized', success: true, message: expect.stringContaining('initialized successfully') })]);
        expect(fresh.app.state().initialized).toBe(true);
      } finally {
        await fresh.close();
      }
    });

    it.each([
      [{}, 401, 'ERR_UNAUTHENTICATED'],
      [{ authorization: 'Basic abc' }, 401, 'ERR_UNAUTHENTICATED'],
      [{ authorization: 'Bearer not-a-jwt' }, 401, 'ERR_JWS_MALFORMED'],
    ])('without a usable bootstrap token %j → %i', async (headers, status, code) => {
      const fresh = await startDaemon();
      try {
        const res = await fetch(`${fresh.url}/api/init`, { method: 'POST', headers });
        expect([res.status, ((await res.json()) as { error: { code: string } }).error.code, res.headers.get('www-authenticate')]).toEqual([status, code, 'Bearer']);
      } finally {
        await fresh.close();
      }
    });
  });
});

describe('body_sha256 in the session token (PicoD auth.go AuthMiddleware)', () => {
  const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex');
  const body = JSON.stringify({ command: ['echo', 'bound'] });
  it.each([
    ['the hash of the body', sha256hex(body), 200, undefined],
    ['the hash of another body', sha256hex('{"command":["rm","-rf","."]}'), 401, 'ERR_JWT_CLAIM_INVALID'],
    ['an uppercase hash (PicoD compares lowercase hex)', sha256hex(body).toUpperCase(), 401, 'ERR_JWT_CLAIM_INVALID'],
    ['no claim (cardtrust does not require one)', undefined, 200, undefined],
  ])('a token with %s → %i', async (_what, hash, status, code) => {
    const token = await mintSession(d.session, hash === undefined ? { extra: 1 } : { body_sha256: hash });
    const res = await fetch(`${d.url}/api/execute`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const json = (await res.json()) as { stdout?: string; error?: { code: string } };
    expect([res.status, status === 200 ? json.stdout : json.error?.code]).toEqual([status, code ?? 'bound\n']);
  });
});
