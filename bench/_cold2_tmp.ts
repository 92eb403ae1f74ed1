import 'reflect-metadata';
import { chainFixture } from './lib/fixtures.js';
import { signedCard } from './agentcard.js';
import { verifyAgentCard } from '../shared/agentcard/index.js';
import { verifyX509Svid } from '../shared/svid/verify-x509-svid.js';
import { parseProtectedHeader } from '../shared/agentcard/lib/header.js';
import { CardPayloads } from '../shared/agentcard/lib/payloads.js';
import { clearCaches } from '../shared/lib/cache.js';
const f = await chainFixture();
const s = await signedCard(f);
const sig = (s.card as any).signatures[0];
async function b(name: string, fn: () => unknown, N = 3000) {
  for (let i = 0; i < 300; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  console.log(name.padEnd(34), ((performance.now() - t) / N * 1000).toFixed(1), 'us');
}
for (let r = 0; r < 2; r++) {
  await b('clearCaches', () => clearCaches());
  await b('card cold', () => { clearCaches(); return verifyAgentCard(s.card, s.options); });
  await b('svid cold', () => { clearCaches(); return verifyX509Svid(f.presented, f.bundle); });
  await b('header cold', () => { clearCaches(); return parseProtectedHeader(sig.protected, 16384, 5); });
  await b('payloads cold', () => { clearCaches(); return new CardPayloads(s.card as any).base.digest(); });
  const h = parseProtectedHeader(sig.protected, 16384, 5);
  await b('fingerprints cold', () => { clearCaches(); return Promise.all(h.x5c!.map((c) => c.fingerprint())); });
  await b('svid cold (parsed x5c)', () => { clearCaches(); return verifyX509Svid(h.x5c!, s.bundles); });
}
