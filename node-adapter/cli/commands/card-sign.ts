/** `cardtrust card sign`: sign an AgentCard with an X509-SVID. */
import type { Command } from '../command.js';

export const cardSign: Command = {
  path: ['card', 'sign'],
  summary: 'sign an AgentCard with an X509-SVID (x5c chain in the signature)',
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    alg: { type: 'string' },
    jku: { type: 'string' },
    kid: { type: 'string' },
    out: { type: 'string', short: 'o' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust card sign <card.json> --cert <svid.pem> --key <svid_key.pem>
                           [--alg <alg>] [--kid <kid>] [--jku <url>] [-o <out.json>]

Adds a JWS signature (A2A AgentCard signature, detached payload: the card's
canonical form) to the card; existing signatures are kept. The protected header
carries alg (default from the key: ES256 for P-256), kid, typ "JOSE", optional
jku, and x5c: the certificate chain from --cert, leaf first.

Options:
  --cert <file>     the signer's certificate chain, PEM, leaf first (e.g. svid.pem)
  --key <file>      the leaf's private key, PKCS#8 PEM (e.g. svid_key.pem)
  --alg <alg>       the JWS algorithm: ES256, ES384, ES512, RS256, RS384, RS512,
                    PS256, PS384, PS512 or EdDSA (default: from the key: ES256,
                    ES384 or ES512 by curve, RS256 for RSA, EdDSA for Ed25519).
                    It must fit the key (an RSA key signs RS* or PS*), otherwise
                    ERR_JWS_KEY_ALGORITHM_MISMATCH
  --kid <kid>       key id for the header (default: derived from the leaf's key)
  --jku <url>       a JWKS URL to put in the header (https)
  -o, --out <file>  write the signed card here (default: stdout)
  -h, --help        show this help

Example:
  cardtrust card sign card.json --cert svid.pem --key svid_key.pem -o card.signed.json
`,
  run: (args, io) => import('../actions/card-sign.js').then((m) => m.run(args, io)),
};
