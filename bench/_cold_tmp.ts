import 'reflect-metadata';
import { chainFixture } from './lib/fixtures.js';
import { signedCard } from './agentcard.js';
import { verifyAgentCard } from '../shared/agentcard/index.js';
import { clearCaches } from '../shared/lib/cache.js';
const f = await chainFixture();
const s = await signedCard(f);
for (let i = 0; i < 8000; i++) { clearCaches(); await verifyAgentCard(s.card, s.options); }
