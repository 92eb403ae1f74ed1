// Properties of the session module: any change to a valid token is refused with a TrustError (never
// accepted, never an engine error), and a sealed key opens only with its own secret and session id.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateSessionKeyPair, mintSessionToken, sealSessionKey, unsealSessionKey, verifySessionToken, type SessionKeyPair } from '../../shared/session/index.js';
import { TrustError } from '../../shared/errors.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
const SECRET = 'a-seal-secret-of-at-least-32-bytes!!';
let pair: SessionKeyPair;
let token: string;
let sealed: string;

beforeAll(async () => {
  pair = await generateSessionKeyPair();
  token = await mintSessionToken({ privateKey: pair.privateKey, issuer: 'i', audience: 'a', sessionId: 's', now: () => NOW, jti: 'j' });
  sealed = await sealSessionKey(pair.privateKey, { secret: SECRET, sessionId: 's' });
});

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return err;
  }
}

describe('session properties', () => {
  it('a token with any one character replaced is refused with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 10_000 }), fc.constantFrom(...B64URL), async (at, ch) => {
        const i = at % token.length;
        fc.pre(token[i] !== ch);
        const mutated = token.slice(0, i) + ch + token.slice(i + 1);
        const r = await refusal(verifySessionToken(mutated, { key: pair.publicKey, issuer: 'i', audience: 'a', now: () => NOW }));
        expect(r).toBeInstanceOf(TrustError);
      }),
      { numRuns: 60 },
    );
  });

  it('a sealed key opens only with its secret and session id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 32, maxLength: 48 }), fc.string({ minLength: 1, maxLength: 12 }), async (secret, sessionId) => {
        fc.pre(secret !== SECRET || sessionId !== 's');
        fc.pre(new TextEncoder().encode(secret).length >= 32);
        const r = await refusal(unsealSessionKey(sealed, { secret, sessionId }));
        expect((r as TrustError).code).toBe('ERR_SEALED_KEY_INVALID');
      }),
      { numRuns: 30 },
    );
  });
});
