/**
 * AgentCube's Python SDK against the daemon: test/fixtures/picod-sdk/sdk_calls.py sends the
 * requests CodeInterpreterDataPlaneClient builds (volcano-sh/agentcube
 * sdk-python/agentcube/clients/code_interpreter_data_plane.py), with `requests`, and reads the
 * answers the way it does. Runs when python3 with `requests` is present.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSession, startDaemon, type TestDaemon } from '../support/daemon.js';
import { noteSkip } from '../support/skip-reasons.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/picod-sdk/sdk_calls.py', import.meta.url));
const hasRequests = spawnSync('python3', ['-c', 'import requests'], { encoding: 'utf8' }).status === 0;
if (!hasRequests) noteSkip('the PicoD Python SDK calls against the daemon', 'python3 with requests not found', 'apt-get install -y python3-requests');

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', [SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!hasRequests)('the Python SDK (CodeInterpreterDataPlaneClient) against cardtrust daemon', () => {
  let d: TestDaemon;
  let work: string;
  let out: Record<string, any>;
  beforeAll(async () => {
    d = await startDaemon();
    await d.init();
    work = await mkdtemp(join(tmpdir(), 'cardtrust-sdk-'));
    const r = await run({ BASE_URL: d.url, TOKEN: await mintSession(d.session), WORK: work });
    if (r.code !== 0) throw new Error(`sdk_calls.py exited ${r.code}: ${r.stderr}`);
    out = JSON.parse(r.stdout) as Record<string, any>;
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each([
    ['run_python', { stdout: 'hi from python\n', stderr: '', exit_code: 0, sent: { command: ['python3', 'script_1.py'] } }],
    ['shell_string', { stdout: 'a b c\n', stderr: '', exit_code: 0, sent: { command: ['echo', 'a b', 'c'], timeout: '5s' } }],
    ['float_timeout', { stdout: '', stderr: '', exit_code: 0, sent: { command: ['true'], timeout: '1.5s' } }],
    ['exit_code', { stdout: '', stderr: 'oops\n', exit_code: 3, sent: { command: ['sh', '-c', 'echo oops >&2; exit 3'] } }],
    ['timed_out', { stdout: '', stderr: 'Command timed out after 0 seconds', exit_code: 124, sent: { command: ['sleep', '10'], timeout: '0.2s' } }],
  ])('execute_command_result %s: the request is accepted and the answer reads as the SDK reads it', (name, expected) => {
    expect(out[name]).toEqual(expected);
  });

  it('write_file (JSON base64) and upload_file (multipart) are accepted; download_file gets the bytes back', () => {
    expect(out['write_file']).toBe(200);
    expect(out['upload_file']).toEqual({ status: 200, request_content_type: 'multipart/form-data', body: { path: 'up/data.bin', size: 1024, mode: '-rw-r--r--', modified: expect.any(String) } });
    expect([out['download_file'], out['download_equal']]).toEqual([200, true]);
  });

  it('list_files reads .get("files") with the PicoD entry fields; a missing file raises HTTPError 404', () => {
    expect(out['list_root']).toEqual(['script_1.py', 'up']);
    expect(out['list_up']).toEqual([{ name: 'data.bin', size: 1024, modified: expect.any(String), mode: '-rw-r--r--', is_dir: false }]);
    expect(out['missing']).toBe(404);
  });
});
