/** PEM armour (RFC 7468), strict on input. */
import { TrustError } from '../errors.js';
import { b64Decode, b64Encode } from '../lib/encoding.js';

/**
 * Wraps DER in a PEM block with 64-character lines.
 *
 * @example
 * const text = encodePem('CERTIFICATE', der)
 */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = b64Encode(der);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const MARKER = /-----(BEGIN|END) ([A-Z0-9 ]*)-----/g;

/**
 * Every PEM block in `text`, in order. Text between blocks is ignored unless it holds a stray
 * BEGIN/END marker; a block's body must be strict base64 (whitespace only at line ends).
 *
 * @example
 * for (const { label, der } of decodePemBlocks(text)) console.log(label, der.length)
 */
export function decodePemBlocks(text: string): Array<{ label: string; der: Uint8Array }> {
  const out: Array<{ label: string; der: Uint8Array }> = [];
  let open: { label: string; end: number } | undefined;
  for (const m of text.matchAll(MARKER)) {
    const [whole, kind, label] = m as unknown as [string, string, string];
    const at = m.index ?? 0;
    if (kind === 'BEGIN') {
      if (open) throw new TrustError('ERR_PEM_MALFORMED', 'PEM BEGIN marker inside another block');
      open = { label, end: at + whole.length };
      continue;
    }
    if (!open) throw new TrustError('ERR_PEM_MALFORMED', 'PEM END marker without BEGIN');
    if (label !== open.label) throw new TrustError('ERR_PEM_MALFORMED', `PEM END ${label} does not match BEGIN ${open.label}`);
    out.push({ label, der: decodeBody(text.slice(open.end, at)) });
    open = undefined;
  }
  if (open) throw new TrustError('ERR_PEM_MALFORMED', `PEM block ${open.label} has no END marker`);
  // a marker-like line that the strict pattern did not match (e.g. lowercase label) is not ignorable
  const stripped = text.replace(MARKER, '');
  if (/-----\s*(BEGIN|END)/i.test(stripped)) throw new TrustError('ERR_PEM_MALFORMED', 'malformed PEM marker');
  return out;
}

function decodeBody(body: string): Uint8Array {
  // RFC 7468 strict form: base64 lines separated by line breaks; no headers, no inner spaces
  const lines = body.split(/\r?\n/);
  if (lines[0] !== '' || lines[lines.length - 1] !== '') throw new TrustError('ERR_PEM_MALFORMED', 'PEM markers must be on their own lines');
  const data = lines.slice(1, -1).map((l) => l.replace(/[ \t]+$/, ''));
  if (data.length === 0 || data.some((l) => l.length === 0)) throw new TrustError('ERR_PEM_MALFORMED', 'PEM block has an empty line or body');
  try {
    return b64Decode(data.join(''), 'ERR_PEM_MALFORMED');
  } catch (err) {
    throw new TrustError('ERR_PEM_MALFORMED', 'PEM body is not valid base64', { cause: err });
  }
}
