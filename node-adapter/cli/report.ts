/** The readable form of an AgentCard verification report (`cardtrust card verify` without --json). */
import type { AgentCardReport, AgentCardSignatureReport } from './core.js';

/**
 * Renders a report for people: each signature with its status, alg, kid, key source and trust
 * root, and for x5c signers the SPIFFE ID, trust domain, leaf notAfter and chain fingerprints;
 * then the identity binding, the payload hash and the overall result. Only what the report says
 * is shown: nothing from an unverified signature is presented as the signer. Each failure message
 * is printed once, where it first arises (a binding failure makes its signature invalid, fails the
 * binding and the result: the message is on the signature's line, the other two give its code).
 *
 * @example
 * io.stdout(formatReport(report, 'signed.json'))
 */
export function formatReport(report: AgentCardReport, source: string): string {
  const lines: string[] = [];
  const row = (label: string, value: string, indent = '') => lines.push(`${indent}${label.padEnd(16 - indent.length)}${value}`);
  const said = new Set<string>();
  const why = (code: string | undefined, message: string | undefined): string => {
    if (!code) return '';
    if (!message || said.has(message)) return `: ${code}`;
    said.add(message);
    return `: ${code}: ${message}`;
  };
  row('card', source);
  row('payload', `sha256:${report.payloadSha256}${report.profile ? ` (profile ${report.profile})` : ''}`);
  if (report.signatures.length === 0) row('signatures', 'none');
  for (const sig of report.signatures) formatSignature(sig, row, why);
  const b = report.binding;
  const policy = [b.trustDomain && `trust domain ${b.trustDomain}`, b.expectedId && `id ${b.expectedId}`].filter(Boolean).join(', ');
  row('binding', `${b.status}${policy ? ` (${policy})` : ''}${why(b.code, b.message)}`);
  if (report.unsignedFields?.length) row('unsigned', report.unsignedFields.join(', '));
  const result = report.verified ? 'VERIFIED' : 'NOT VERIFIED';
  row('result', `${result} (${report.mode} mode)${report.verified ? '' : why(report.error?.code, report.error?.message)}`);
  return `${lines.join('\n')}\n`;
}

function formatSignature(
  sig: AgentCardSignatureReport,
  row: (label: string, value: string, indent?: string) => void,
  why: (code: string | undefined, message: string | undefined) => string,
): void {
  const status = sig.status === 'valid' ? 'valid' : `INVALID${why(sig.code, sig.message)}`;
  row(`signature ${sig.index}`, status);
  const i = '  ';
  if (sig.alg !== undefined) row('alg', sig.alg, i);
  if (sig.typ !== undefined && sig.typ !== 'JOSE') row('typ', sig.typ, i);
  if (sig.kid !== undefined) row('kid', sig.kid, i);
  if (sig.keySource !== undefined) row('key from', sig.keySource, i);
  if (sig.trustRoot !== undefined) row('trust root', sig.trustRoot, i);
  if (sig.profile !== undefined) row('profile', sig.profile, i);
  const s = sig.signer;
  if (s) {
    row('signer', s.spiffeId, i);
    row('trust domain', s.trustDomain, i);
    // x5c signers carry their verified chain; a scoped key set's signer is its scope alone
    if ('chainFingerprints' in s) {
      row('not after', s.notAfter, i);
      s.chainFingerprints.forEach((fp, n) => {
        const role = n === 0 ? ' (leaf)' : n === s.chainFingerprints.length - 1 ? ' (root)' : '';
        row(n === 0 ? 'chain' : '', `sha256:${fp}${role}`, i);
      });
    }
  }
}
