/**
 * The inspector page's browser cases, written against a base URL so that any server of the one
 * Fetch app can run them: the worker in workerd (test/node/inspector-browser.test.ts) and, later,
 * `cardtrust serve`. The caller starts its server with the fixtures' configuration:
 * `TRUST_BUNDLES` = {@link InspectorFixtures.trustBundles}, `DEFAULT_TRUST_DOMAIN` = `example.org`,
 * `FETCH_ALLOWED_ORIGINS` = {@link INSPECTOR_AGENT_ORIGIN}, whose `/.well-known/agent-card.json`
 * must answer {@link InspectorFixtures.valid} (the worker test answers it with Miniflare's
 * outbound service).
 *
 * Headless Chromium is Debian's `chromium` driven by playwright-core (never a downloaded browser).
 * Without it the suite is skipped with a banner, unless CARDTRUST_REQUIRE_CHROMIUM=1 (CI): then it fails.
 *
 * @example
 * describeInspector('cardtrust serve', async (fx) => { const s = await serve(fx); return { baseUrl: s.url, close: s.close } })
 */
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { SAMPLE_CARD } from '../../node-adapter/start.js';
import { TestCA } from './ca.js';
import { noteSkip } from './skip-reasons.js';

export const INSPECTOR_AGENT_ORIGIN = 'https://weather.inspector.test';
export const INSPECTOR_REFUSED_ORIGIN = 'https://not-allowed.inspector.test';
export const INSPECTOR_SIGNER = 'spiffe://example.org/agent/weather';

const DAY = 86_400_000;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/inspector/', import.meta.url));

export interface InspectorFixtures {
  /** `TRUST_BUNDLES` for the server: the example.org test root. */
  readonly trustBundles: string;
  readonly valid: Record<string, unknown>;
  /** The valid card with its description changed after signing. */
  readonly tampered: Record<string, unknown>;
  /** The valid card plus a member outside the schema (the a2a-sdk profile's signature still checks out). */
  readonly unsignedExtra: Record<string, unknown>;
  /** Signed with an SVID that expired three days ago. */
  readonly expired: Record<string, unknown>;
  readonly expiredNotAfter: Date;
}

export async function inspectorFixtures(): Promise<InspectorFixtures> {
  const root = await TestCA.create({ trustDomain: 'example.org' });
  const inter = await root.childCA();
  const svid = await inter.issueSVID(INSPECTOR_SIGNER);
  const valid = await signAgentCard(structuredClone(SAMPLE_CARD), { privateKey: svid.privateKey, certificateChain: svid.pem });
  const expiredNotAfter = new Date(Math.floor((Date.now() - 3 * DAY) / 1000) * 1000);
  const old = await inter.issueSVID(INSPECTOR_SIGNER, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: expiredNotAfter });
  const expired = await signAgentCard(structuredClone(SAMPLE_CARD), { privateKey: old.privateKey, certificateChain: old.pem });
  return {
    trustBundles: JSON.stringify({ 'example.org': root.pem }),
    valid,
    tampered: { ...valid, description: 'Sends your questions to somebody else.' },
    unsignedExtra: { ...valid, 'x-admin-endpoint': 'https://evil.example/admin' },
    expired,
    expiredNotAfter,
  };
}

/** Debian's chromium, or undefined. */
export function chromiumPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface InspectorTarget {
  /** `http://127.0.0.1:PORT` (a secure context: WebCrypto and the clipboard exist there). */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** The suite: one browser for the file, one page per case. */
export function describeInspector(title: string, start: (fixtures: InspectorFixtures) => Promise<InspectorTarget>): void {
  // one folder per server, so suites running side by side never write the same file
  const artifacts = `${ARTIFACTS}${title.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}/`;
  const executable = chromiumPath();
  if (!executable) {
    if (process.env['CARDTRUST_REQUIRE_CHROMIUM'] === '1') {
      it(`${title}: the inspector page in headless Chromium`, () => {
        throw new Error('chromium not found and CARDTRUST_REQUIRE_CHROMIUM=1: apt-get install -y chromium');
      });
      return;
    }
    noteSkip(`the inspector browser tests (${title})`, 'chromium not found', 'apt-get install -y chromium');
    describe.skip(title, () => it('needs chromium', () => {}));
    return;
  }

  describe(title, () => {
    let fx: InspectorFixtures;
    let target: InspectorTarget;
    let browser: Browser;
    let context: BrowserContext;
    /** Every console error, warning and uncaught page error, from all pages. */
    const problems: string[] = [];

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      fx = await inspectorFixtures();
      [target, browser] = await Promise.all([
        start(fx),
        chromium.launch({ executablePath: executable, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      ]);
      context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: target.baseUrl });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await target?.close();
    });

    async function open(): Promise<Page> {
      const page = await context.newPage();
      page.on('console', (m) => {
        // Chromium logs every 4xx answer to fetch(); the API's refusals are answers the page shows
        if (m.text().startsWith('Failed to load resource') && new URL(m.location().url, target.baseUrl).pathname.startsWith('/v1/agent-cards/')) return;
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      const res = await page.goto(`${target.baseUrl}/`);
      expect(res?.status()).toBe(200);
      return page;
    }

    /** The state as a test artifact: the result (what changed), or the whole page. */
    async function shot(page: Page, name: string, whole = false): Promise<void> {
      if (whole) await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true });
      else await page.locator('#result').screenshot({ path: `${artifacts}${name}.png` });
    }

    async function pasteAndInspect(page: Page, card: unknown, text = JSON.stringify(card, null, 2)): Promise<void> {
      await page.fill('#card-json', text);
      await page.click('#inspect-button');
      await page.waitForSelector('#verdict');
    }

    it('the valid sample card: verified, the signer and its chain shown', async () => {
      const page = await open();
      await pasteAndInspect(page, fx.valid);
      expect(await page.textContent('#verdict .verdict-line')).toMatch(/^Verified/);
      expect(await page.textContent('#signer-id')).toBe(INSPECTOR_SIGNER);
      const sig = page.locator('#signature-0');
      expect(await sig.locator('.status').first().textContent()).toBe('valid');
      expect(await sig.textContent()).toContain('spiffe-bundle:example.org');
      // leaf and intermediate as presented, both in the verified path, plus the bundle's root
      expect(await sig.locator('.cert').count()).toBe(2);
      expect(await sig.locator('.cert').first().textContent()).toMatch(/in the verified path[\s\S]*valid, expires in/);
      expect(await sig.locator('.root .hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
      expect(await page.textContent('#payload-hash')).toMatch(/^[0-9a-f]{64}$/);
      expect(await page.textContent('#cli-command-text')).toContain('npx cardtrust card verify agent-card.json --bundle bundle.example.org.json --trust-domain example.org');
      expect(await page.textContent('#curl-command-text')).toBe(`curl -sS -X POST ${target.baseUrl}/v1/agent-cards/verify -H 'content-type: application/json' --data-binary @agent-card.json`);
      // the copy button puts the command on the clipboard
      await page.click('button[data-copy="curl-command-text"]');
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain('/v1/agent-cards/verify');
      await shot(page, 'verified', true);
      // the picture in docs/inspector.md: the verdict, the signer and the chain
      const box = await page.evaluate(() => {
        const r = document.getElementById('result')!.getBoundingClientRect();
        return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
      });
      await page.screenshot({ path: `${artifacts}docs-inspector.png`, fullPage: true, clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 1180) } });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.evaluate(() => window.scrollTo(0, 0));
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
      await page.screenshot({ path: `${artifacts}verified-dark.png` });
      await page.close();
    });

    it('a tampered card: not verified, the failing signature and its code explained', async () => {
      const page = await open();
      await pasteAndInspect(page, fx.tampered);
      const verdict = await page.textContent('#verdict');
      expect(verdict).toContain('Not verified');
      expect(verdict).toContain('ERR_JWS_SIGNATURE_INVALID');
      expect(verdict).toContain('the signature does not verify');
      const sig = page.locator('#signature-0');
      expect(await sig.locator('.status').first().textContent()).toBe('invalid');
      expect(await sig.textContent()).toMatch(/ERR_JWS_SIGNATURE_INVALID — .+\./);
      await shot(page, 'tampered');
      await page.close();
    });

    it('an unsigned extra field (dropped as a .json file): highlighted in the card', async () => {
      const page = await open();
      const text = JSON.stringify(fx.unsignedExtra, null, 2);
      await page.evaluate((json) => {
        const dt = new DataTransfer();
        dt.items.add(new File([json], 'card.json', { type: 'application/json' }));
        document.getElementById('card-json')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, text);
      await page.waitForSelector('#verdict');
      expect(await page.textContent('#verdict')).toContain('ERR_CARD_UNSIGNED_FIELDS');
      expect(await page.inputValue('#card-json')).toBe(text);
      const marks = page.locator('#card-view mark.unsigned');
      expect(await marks.count()).toBe(1);
      expect(await marks.getAttribute('data-pointer')).toBe('/x-admin-endpoint');
      expect(await marks.textContent()).toBe('"x-admin-endpoint": "https://evil.example/admin"');
      expect(await page.textContent('#unsigned-fields')).toContain('/x-admin-endpoint');
      await shot(page, 'unsigned-field');
      await page.close();
    });

    it('an expired chain (opened as a file): "expired" with the date', async () => {
      const page = await open();
      await page.setInputFiles('#card-file', { name: 'expired.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(fx.expired)) });
      await page.waitForSelector('#verdict');
      expect(await page.textContent('#verdict')).toContain('ERR_X509_EXPIRED');
      const leaf = page.locator('#signature-0 .cert').first();
      const date = `${fx.expiredNotAfter.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      expect(await leaf.locator('.validity').textContent()).toBe(`expired 3 days ago (${date})`);
      expect(await page.textContent('#signature-0')).toContain('The chain did not verify');
      await shot(page, 'expired');
      await page.close();
    });

    it('URL mode: fetched from an allowlisted origin; another origin gets the refusal sentence', async () => {
      const page = await open();
      await page.check('input[name="source"][value="url"]');
      expect(await page.isVisible('#card-url')).toBe(true);
      expect(await page.isVisible('#card-json')).toBe(false);
      await page.fill('#card-url', INSPECTOR_AGENT_ORIGIN);
      await page.press('#card-url', 'Enter');
      await page.waitForSelector('#verdict');
      expect(await page.textContent('#verdict .verdict-line')).toMatch(/^Verified/);
      expect(await page.textContent('#result')).toContain(`${INSPECTOR_AGENT_ORIGIN}/.well-known/agent-card.json`);
      expect(await page.textContent('#cli-command-text')).toContain(`curl -sS ${INSPECTOR_AGENT_ORIGIN}/.well-known/agent-card.json -o agent-card.json`);
      await shot(page, 'url-mode');

      await page.fill('#card-url', INSPECTOR_REFUSED_ORIGIN);
      await page.click('#inspect-button');
      await page.waitForFunction(() => document.getElementById('verdict')?.classList.contains('problem'));
      const refusal = await page.textContent('#verdict');
      expect(refusal).toContain('this service may not fetch from that origin');
      expect(refusal).toContain('ERR_FETCH_ORIGIN_NOT_ALLOWED');
      await shot(page, 'url-refused');
      await page.close();
    });

    it('malformed JSON, an array, an empty box, a bad policy: sentences, not crashes', async () => {
      const page = await open();
      for (const [text, sentence] of [
        ['{"name": "A",', 'this is not valid JSON'],
        ['[1, 2]', 'this is JSON, but an array: an AgentCard is a JSON object.'],
        ['   ', 'paste an AgentCard first'],
        // JSON.parse hides duplicate names; the service refuses them (I-JSON), and the page says so
        ['{"name": "A", "name": "B"}', 'twice in one object'],
      ] as const) {
        await page.fill('#card-json', text);
        await page.click('#inspect-button');
        await page.waitForFunction((s) => document.getElementById('verdict')?.textContent?.includes(s), sentence, { timeout: 5000 }).catch(async () => {
          throw new Error(`after ${JSON.stringify(text)}: expected "${sentence}", the verdict says ${JSON.stringify(await page.textContent('#result'))}`);
        });
        expect(await page.textContent('#verdict')).not.toMatch(/at \S+:\d+|Error:|undefined/);
      }
      await shot(page, 'malformed');
      await page.fill('#card-json', JSON.stringify(fx.valid));
      await page.fill('#policy-trust-domain', 'Not A Domain');
      await page.click('#inspect-button');
      await page.waitForFunction(() => document.getElementById('verdict')?.textContent?.includes('ERR_TRUST_DOMAIN_INVALID'));
      expect(await page.textContent('#verdict')).toContain('check the policy fields');
      await page.close();
    });

    it('keyboard only: labels, focus order, visible focus, the form works without a mouse', async () => {
      const page = await open();
      // every form control has a label
      const unlabeled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input, textarea, select')).filter((e) => (e as HTMLInputElement).labels?.length === 0).map((e) => e.id || e.outerHTML),
      );
      expect(unlabeled).toEqual([]);
      const order: string[] = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => {
          const a = document.activeElement as HTMLElement;
          return a.id || `${a.tagName.toLowerCase()}${a.getAttribute('value') ? `[${a.getAttribute('value')}]` : ''}${a.className ? `.${a.className}` : ''}`;
        }));
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
        expect(outline, `focus is visible on ${order.at(-1)}`).not.toBe('none');
      }
      expect(order).toEqual(['a.skip', 'input[paste]', 'card-json', 'card-file', 'policy-trust-domain', 'policy-expected-id', 'policy-mode', 'inspect-button']);
      // back to the card box, type the card, then Tab to the button and press Enter
      await page.focus('#card-json');
      await page.keyboard.insertText(JSON.stringify(fx.valid));
      for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('inspect-button');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#verdict');
      expect(await page.textContent('#verdict .verdict-line')).toMatch(/^Verified/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('result');
      // the source radios switch with the arrow keys
      await page.focus('input[name="source"][value="paste"]');
      await page.keyboard.press('ArrowRight');
      expect(await page.isVisible('#card-url')).toBe(true);
      await page.close();
    });

    it('a phone-sized viewport: nothing wider than the screen', async () => {
      const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const page = await phone.newPage();
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`${target.baseUrl}/`);
      await page.fill('#card-json', JSON.stringify(fx.expired));
      await page.click('#inspect-button');
      await page.waitForSelector('#verdict');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await shot(page, 'phone', true);
      await phone.close();
    });

    it('the page is served with its CSP, and no page logged an error', async () => {
      const res = await fetch(`${target.baseUrl}/`);
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      // a CSP violation, a failed asset or an uncaught error in any case above lands here
      expect(problems).toEqual([]);
    });
  });
}
