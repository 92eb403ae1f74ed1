/** `cardtrust card sign`: sign an AgentCard with an X509-SVID, or with a private key alone (kid only). */
import type { Command } from '../command.js';

export const cardSign: Command = {
  path: ['card', 'sign'],
  summary: 'sign an AgentCard with an X509-SVID (x5c chain) or a key alone (kid)',
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    alg: { type: 'string' },
    jku: { type: 'string' },
    kid: { type: 'string' },
    jwks: { type: 'string' },
    out: { type: 'string', short: 'o' },
    profile: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust card sign <card.json> [--cert <svid.pem>] --key <key.pem>
                           [--alg <alg>] [--kid <kid>] [--jku <url>]
                           [--jwks <jwks.json>] [--profile <profile>…]
                           [-o <out.json>]

Adds a JWS signature (A2A AgentCard signature, detached payload: the card's
canonical form) to the card; existing signatures are kept. The protected header
carries alg (default from the key: ES256 for P-256), kid, typ "JOSE", optional
jku, and with --cert x5c: the certificate chain, leaf first. Without --cert the
signature names its key by kid only, for verifiers that pin the public key
(card verify --keys: --jwks writes the file they need).

Options:
  --cert <file>     the signer's certificate chain, PEM, leaf first (e.g.
                    svid.pem); --key must be the leaf's key. Without it the
                    signature has no x5c
  --key <file>      the private key, PKCS#8 PEM (e.g. svid_key.pem): EC P-256,
                    P-384 or P-521, RSA (2048..8192 bits) or Ed25519
  --alg <alg>       the JWS algorithm: ES256, ES384, ES512, RS256, RS384, RS512,
                    PS256, PS384, PS512 or EdDSA (default: from the key: ES256,
                    ES384 or ES512 by curve, RS256 for RSA, EdDSA for Ed25519).
                    It must fit the key (an RSA key signs RS* or PS*), otherwise
                    ERR_JWS_KEY_ALGORITHM_MISMATCH
  --kid <kid>       key id for the header (default: the RFC 7638 thumbprint of
                    the public key: the leaf's with --cert)
  --jku <url>       a JWKS URL to put in the header (https)
  --jwks <file>     also write the signer's public key as a JWK Set with the kid
                    and alg of the signature, for card verify --keys (replaced
                    if it exists)
  --profile <p>     the canonical form to sign: jcs-clean, a2a-sdk, spec or
                    python-json (default: a2a-sdk when it covers the whole card,
                    else jcs-clean). Repeat to sign for several verifiers: one
                    signature per profile, same key and header (profiles with
                    the same payload share one); --profile a2a-sdk --profile
                    jcs-clean makes a card @a2a-js/sdk and cardtrust both verify
  -o, --out <file>  write the signed card here (default: stdout)
  -h, --help        show this help

Examples:
  cardtrust card sign card.json --cert svid.pem --key svid_key.pem -o card.signed.json
  cardtrust card sign card.json --key agent_key.pem --jwks agent.jwks.json -o card.signed.json
  cardtrust card sign card.json --cert svid.pem --key svid_key.pem --profile a2a-sdk --profile jcs-clean -o card.signed.json
  cardtrust card verify card.signed.json --keys agent.jwks.json
`,
  run: (args, io) => import('../actions/card-sign.js').then((m) => m.run(args, io)),
};
