/**
 * `npm start`: the verification service on this machine, with nothing but `npm ci` before it.
 * No account and no network: a dev trust domain is made locally with the `cardtrust` CLI.
 *
 * 1. creates the dev CA under `.cardtrust/` if missing (`cardtrust ca init`), issues a fresh
 *    X509-SVID for the sample agent (`cardtrust ca issue`; fresh each run, so it never expires),
 * 2. writes a sample A2A AgentCard, signs it (`cardtrust card sign`), and writes a tampered copy,
 * 3. writes `.dev.vars` (the worker's local variables: the trust bundle, default trust domain and mode),
 * 4. starts `wrangler dev` on 127.0.0.1:8787 (`PORT` overrides the port) and, once it answers,
 *    prints the `curl` commands that verify the sample (valid) and the tampered copy (invalid).
 *
 * `.cardtrust/` and `.dev.vars` are git-ignored. Stop with Ctrl-C, or SIGTERM to the npm process
 * (what process managers and `docker stop` send): the whole tree stops, wrangler and workerd
 * included. That needs the signal to reach this process: npm runs the script through `sh -c`, and
 * a shell that forks leaves its child unsignalled when it is killed, which is why the `start`
 * script is `exec tsx …` (the shell becomes tsx, which relays the signal here; this process
 * relays it to wrangler, which stops workerd). test/node/start.test.ts sends one SIGTERM to npm
 * and checks that no process of the tree is left.
 *
 * @example
 * npm start
 * PORT=8788 npm start
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dev trust domain and the sample agent's SPIFFE ID. */
export const DEV_TRUST_DOMAIN = 'example.org';
export const SAMPLE_AGENT_ID = `spiffe://${DEV_TRUST_DOMAIN}/agent/sample`;
const CA_DIR = '.cardtrust';
const SAMPLE_DIR = `${CA_DIR}/sample`;

/** Files `npm start` writes, relative to the project root (the curl commands use these paths). */
export const DEV_FILES = {
  bundle: `${CA_DIR}/bundle.spiffe.json`,
  svidCert: `${CA_DIR}/svids/agent/sample/svid.pem`,
  svidKey: `${CA_DIR}/svids/agent/sample/svid_key.pem`,
  card: `${SAMPLE_DIR}/agent-card.json`,
  signed: `${SAMPLE_DIR}/agent-card.signed.json`,
  tampered: `${SAMPLE_DIR}/agent-card.tampered.json`,
  devVars: '.dev.vars',
} as const;

/** A realistic A2A AgentCard (A2A v1.0 fields, as `@a2a-js/sdk` defines them). */
export const SAMPLE_CARD = {
  name: 'Sample Weather Agent',
  description: 'Answers questions about current weather conditions and short-term forecasts for any city.',
  supportedInterfaces: [{ url: 'https://weather.example.org/a2a/v1', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  provider: { organization: 'Example Org', url: 'https://example.org' },
  version: '1.2.0',
  documentationUrl: 'https://weather.example.org/docs',
  iconUrl: 'https://weather.example.org/icon.png',
  capabilities: { streaming: true, pushNotifications: false },
  defaultInputModes: ['text/plain', 'application/json'],
  defaultOutputModes: ['text/plain', 'application/json'],
  skills: [
    {
      id: 'current-weather',
      name: 'Current weather',
      description: 'Reports temperature, wind, humidity and conditions right now for a named city.',
      tags: ['weather', 'conditions'],
      examples: ['What is the weather in Lisbon right now?', 'Is it windy in Wellington?'],
      inputModes: ['text/plain'],
      outputModes: ['text/plain', 'application/json'],
    },
    {
      id: 'forecast',
      name: 'Forecast',
      description: 'Gives an hourly forecast for the next 48 hours and a daily outlook for the week.',
      tags: ['weather', 'forecast'],
      examples: ['Will it rain in Oslo tomorrow afternoon?'],
      inputModes: ['text/plain'],
      outputModes: ['text/plain', 'application/json'],
    },
  ],
};

function cli(root: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, 'node-adapter/bin/cardtrust.mjs'), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`cardtrust ${args.slice(0, 2).join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** A `.dev.vars` value: single-quoted (literal in dotenv), so JSON needs no escaping. */
function devVar(name: string, value: string): string {
  if (value.includes("'") || /[\r\n]/.test(value)) throw new Error(`${name}: value cannot be written to .dev.vars`);
  return `${name}='${value}'`;
}

/**
 * Steps 1–3: the dev trust domain, the signed and tampered sample cards, `.dev.vars`.
 * Idempotent: an existing CA is kept; the SVID, cards and `.dev.vars` are rewritten.
 */
export async function prepareDevEnvironment(root: string, log: (line: string) => void = console.log): Promise<void> {
  const at = (p: string): string => join(root, p);
  if (!existsSync(at(DEV_FILES.bundle))) {
    log(`cardtrust: creating the dev trust domain ${DEV_TRUST_DOMAIN} in ${CA_DIR}/`);
    cli(root, ['ca', 'init', '--trust-domain', DEV_TRUST_DOMAIN, '--dir', CA_DIR]);
  }
  cli(root, ['ca', 'issue', SAMPLE_AGENT_ID, '--dir', CA_DIR, '--ttl', '24h']);

  await mkdir(at(SAMPLE_DIR), { recursive: true });
  await writeFile(at(DEV_FILES.card), JSON.stringify(SAMPLE_CARD, null, 2) + '\n');
  cli(root, ['card', 'sign', DEV_FILES.card, '--cert', DEV_FILES.svidCert, '--key', DEV_FILES.svidKey, '--profile', 'a2a-sdk', '--profile', 'jcs-clean', '-o', DEV_FILES.signed]);

  // the tampered copy keeps the signature but changes a signed field, as an attacker would
  const signed = JSON.parse(await readFile(at(DEV_FILES.signed), 'utf8')) as Record<string, unknown>;
  const tampered = { ...signed, supportedInterfaces: [{ url: 'https://attacker.example/a2a/v1', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }] };
  await writeFile(at(DEV_FILES.tampered), JSON.stringify(tampered, null, 2) + '\n');

  const bundle = JSON.parse(await readFile(at(DEV_FILES.bundle), 'utf8')) as unknown;
  await writeFile(
    at(DEV_FILES.devVars),
    [
      '# Written by `npm start` (node-adapter/start.ts) for `wrangler dev`; rewritten on every start. See docs/worker.md.',
      devVar('TRUST_BUNDLES', JSON.stringify({ [DEV_TRUST_DOMAIN]: bundle })),
      devVar('DEFAULT_TRUST_DOMAIN', DEV_TRUST_DOMAIN),
      devVar('DEFAULT_MODE', 'strict'),
      '',
    ].join('\n'),
  );
}

/** The curl commands printed once the server answers (the smoke test runs exactly these). */
export function curlCommands(base: string): { valid: string; tampered: string } {
  const verify = (file: string): string =>
    `curl -sS -X POST ${base}/v1/agent-cards/verify -H 'content-type: application/json' --data-binary @${file}`;
  return { valid: verify(DEV_FILES.signed), tampered: verify(DEV_FILES.tampered) };
}

async function waitUntilUp(base: string, child: { exitCode: number | null }, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const port = process.env.PORT ?? '8787';
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new Error(`PORT must be a TCP port number, not ${JSON.stringify(port)}`);
  const base = `http://127.0.0.1:${port}`;

  await prepareDevEnvironment(root);

  const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js');
  if (!existsSync(wrangler)) throw new Error('wrangler is not installed: run `npm ci` first');
  const child = spawn(process.execPath, [wrangler, 'dev', '--ip', '127.0.0.1', '--port', port], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  // the first signal asks wrangler to stop (it stops workerd); a second one does not wait any longer
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (child.exitCode !== null) return;
      child.kill(signalled ? 'SIGKILL' : signal);
      signalled = true;
    });
  }
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

  if (await waitUntilUp(base, child, 60_000)) {
    const curl = curlCommands(base);
    console.log(
      [
        '',
        `cardtrust verification service: ${base}  (Ctrl-C to stop)`,
        '',
        'Verify the signed sample AgentCard (expect "verified": true):',
        `  ${curl.valid}`,
        '',
        'Verify the tampered copy (expect "verified": false):',
        `  ${curl.tampered}`,
        '',
      ].join('\n'),
    );
  } else if (child.exitCode === null) {
    console.error(`cardtrust: the worker did not answer on ${base}/healthz within 60 s`);
  }
  process.exitCode = await exited;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(`cardtrust: npm start failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
