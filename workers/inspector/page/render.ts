/**
 * The result of a check, rendered for people: the verdict and why, each signature, the signer and
 * the binding, the certificate chain, the card with its unsigned fields marked, the payload hash
 * and the commands that reproduce the check. Everything is built with DOM calls (no innerHTML).
 */
import type { AgentCardCertificate, AgentCardReport, AgentCardSignatureReport, AgentCardSigner } from '../../../shared/agentcard/types.js';
import { ERROR_MEANINGS } from '../../../shared/error-meanings.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { append, dl, el, rich, type Child } from './dom.js';
import { cliCommand, curlCommand, pointerToken, validity, type Checked } from './format.js';

/** The report as the service answers it (`/fetch` adds where the card was read). */
export type ServiceReport = AgentCardReport & { readonly source?: { readonly url: string; readonly path: string } };

export interface RenderContext {
  /** The card as pasted (absent in URL mode: the service does not return it). */
  readonly card?: unknown;
  readonly checked: Checked;
  /** This service's origin, for the commands. */
  readonly service: string;
  readonly now: number;
}

export function meaning(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return Object.hasOwn(ERROR_MEANINGS, code) ? ERROR_MEANINGS[code as ErrorCode] : undefined;
}

/** `ERR_X: what it means` as a line of text, with the code in <code>. */
function codeLine(code: string, message?: string): HTMLElement {
  const m = meaning(code);
  return el(
    'p',
    { class: 'code-line' },
    el('code', { class: 'error-code' }, code),
    m ? ' — ' : '',
    m ? rich(m) : '',
    m ? '.' : '',
    message ? el('span', { class: 'message' }, ' ', message) : '',
  );
}

const KEY_SOURCES: Record<string, string> = {
  x5c: 'x5c — a certificate chain in the protected header',
  kid: 'kid — a key this service pins, selected by its kid',
  jku: 'jku — a key set fetched from an allowlisted URL',
};

function trustRootWords(root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  const [kind, ...rest] = root.split(':');
  const value = rest.join(':');
  switch (kind) {
    case 'spiffe-bundle':
      return `the SPIFFE trust bundle of ${value} (${root})`;
    case 'keyset':
      return `a pinned key set of this service (${root})`;
    case 'symmetric':
      return `a shared secret of this service (${root})`;
    case 'jku':
      return `the key set at an allowlisted URL (${root})`;
    default:
      return root;
  }
}

function isChainSigner(s: AgentCardSignatureReport['signer']): s is AgentCardSigner {
  return s !== undefined && 'chainFingerprints' in s;
}

/** The signature that decided the verdict: the first valid one over the report's profile. */
function decidingSignature(report: AgentCardReport): AgentCardSignatureReport | undefined {
  return report.signatures.find((s) => s.status === 'valid' && s.profile === report.profile) ?? report.signatures.find((s) => s.profile !== undefined);
}

function bindingWords(report: AgentCardReport): string {
  const b = report.binding;
  const policy = [b.trustDomain ? `trust domain ${b.trustDomain}` : '', b.expectedId ? `ID ${b.expectedId}` : ''].filter(Boolean).join(' and ');
  switch (b.status) {
    case 'bound':
      return `bound to ${policy || 'the policy'}`;
    case 'unbound':
      return `not bound${policy ? ` to ${policy}` : ''}`;
    default:
      return 'not checked (no identity policy applies)';
  }
}

function verdict(report: ServiceReport): HTMLElement {
  const box = el('div', { class: `verdict ${report.verified ? 'ok' : 'bad'}`, id: 'verdict', role: 'status' });
  const decider = decidingSignature(report);
  if (report.verified) {
    append(box, el('p', { class: 'verdict-line' }, el('strong', {}, 'Verified'), ' — this card is signed by a signer this service trusts, and the signature covers all of it.'));
    const who = decider?.signer?.spiffeId;
    append(
      box,
      el(
        'p',
        { class: 'why' },
        `Signature ${decider?.index ?? 0} (${decider?.alg ?? '?'}) verified with ${trustRootWords(decider?.trustRoot) ?? 'a configured key'}`,
        who ? `; the signer is ${who}` : '',
        `; ${bindingWords(report)}; mode ${report.mode}.`,
      ),
    );
    return box;
  }
  append(box, el('p', { class: 'verdict-line' }, el('strong', {}, 'Not verified'), ' — do not trust this card as it is.'));
  const err = report.error;
  if (err) {
    const why = el('div', { class: 'why' });
    append(why, codeLine(err.code, err.message));
    box.appendChild(why);
  }
  return box;
}

function summary(report: ServiceReport): HTMLElement {
  return el(
    'section',
    { class: 'block', 'aria-labelledby': 'summary-title' },
    el('h3', { id: 'summary-title' }, 'Summary'),
    dl([
      ['Verified', report.verified ? 'yes' : 'no'],
      ['Mode', report.mode],
      ['Canonical profile', report.profile ?? 'none matched'],
      ['Payload SHA-256', el('code', { class: 'hash', id: 'payload-hash' }, report.payloadSha256)],
      ['Fetched from', report.source ? el('code', {}, report.source.url) : undefined],
      ['Unsigned fields', report.unsignedFields ? `${report.unsignedFields.length} (marked in the card below)` : undefined],
    ]),
  );
}

function bindingBlock(report: ServiceReport): HTMLElement {
  const b = report.binding;
  const decider = decidingSignature(report);
  return el(
    'section',
    { class: 'block', id: 'binding', 'aria-labelledby': 'binding-title' },
    el('h3', { id: 'binding-title' }, 'Signer and binding'),
    dl([
      ['Signer SPIFFE ID', decider?.signer ? el('code', { class: 'spiffe-id', id: 'signer-id' }, decider.signer.spiffeId) : 'no signer identity'],
      ['Trust domain', decider?.signer?.trustDomain],
      ['Binding', el('span', { class: `status ${b.status}` }, b.status)],
      ['Policy trust domain', b.trustDomain],
      ['Policy expected ID', b.expectedId],
      ['Why', b.code ? codeLine(b.code, b.message) : undefined],
    ]),
  );
}

function fingerprint(hex: string): HTMLElement {
  return el('code', { class: 'hash' }, hex);
}

function certificate(cert: AgentCardCertificate, index: number, count: number, verifiedPath: readonly string[] | undefined, now: number): HTMLLIElement {
  const v = validity(cert.notBefore, cert.notAfter, now);
  const role = index === 0 ? 'leaf' : index === count - 1 ? 'last presented' : 'intermediate';
  const inPath = verifiedPath?.includes(cert.sha256);
  return el(
    'li',
    { class: 'cert' },
    el('p', { class: 'cert-title' }, el('strong', {}, cert.subject || '(empty subject)'), ` · ${role}`, verifiedPath ? (inPath ? ' · in the verified path' : ' · not in the verified path') : ''),
    dl([
      ['SPIFFE ID', cert.spiffeId ? el('code', { class: 'spiffe-id' }, cert.spiffeId) : undefined],
      ['Issuer', cert.issuer || '(empty issuer)'],
      ['Validity', el('span', { class: `validity ${v.state}` }, v.text)],
      ['Valid from', cert.notBefore],
      ['Valid until', cert.notAfter],
      ['Key type', cert.keyType],
      ['SHA-256', fingerprint(cert.sha256)],
    ]),
  );
}

function chainBlock(sig: AgentCardSignatureReport, now: number): Child {
  const chain = sig.chain;
  if (!chain || chain.length === 0) return null;
  const path = isChainSigner(sig.signer) ? sig.signer.chainFingerprints : undefined;
  const root = path && path.length > 0 ? path[path.length - 1] : undefined;
  const presentedRoot = root !== undefined && chain.some((c) => c.sha256 === root);
  return el(
    'div',
    { class: 'chain' },
    el('h5', {}, 'Certificate chain (x5c, leaf first)'),
    el('ol', { class: 'certs' }, ...chain.map((c, i) => certificate(c, i, chain.length, path, now))),
    root && !presentedRoot ? el('p', { class: 'root' }, 'Trusted root (from the trust bundle): ', fingerprint(root)) : null,
    path ? null : el('p', { class: 'hint' }, 'The chain did not verify: the certificates are shown as presented, not as trusted.'),
  );
}

function signatureBlock(sig: AgentCardSignatureReport, now: number): HTMLElement {
  return el(
    'article',
    { class: `signature ${sig.status}`, id: `signature-${sig.index}`, 'aria-labelledby': `signature-${sig.index}-title` },
    el('h4', { id: `signature-${sig.index}-title` }, `Signature ${sig.index}: `, el('span', { class: `status ${sig.status}` }, sig.status)),
    dl([
      ['Algorithm', sig.alg],
      ['Key ID (kid)', sig.kid ? el('code', {}, sig.kid) : undefined],
      ['Key source', sig.keySource ? KEY_SOURCES[sig.keySource] ?? sig.keySource : undefined],
      ['Trust root', trustRootWords(sig.trustRoot)],
      ['Signer', sig.signer ? el('code', { class: 'spiffe-id' }, sig.signer.spiffeId) : undefined],
      ['Signer trust domain', sig.signer?.trustDomain],
      ['Covers profile', sig.profile],
      ['Error', sig.code ? codeLine(sig.code, sig.message) : undefined],
    ]),
    chainBlock(sig, now),
  );
}

/** The card as indented JSON, members at `unsigned` pointers wrapped in <mark>. */
export function cardView(card: unknown, unsigned: ReadonlySet<string>): HTMLElement {
  const pre = el('pre', { class: 'card-json', id: 'card-view', tabindex: '0', 'aria-label': 'the card, unsigned fields marked' });
  const pad = (n: number): string => '  '.repeat(n);
  const value = (v: unknown, pointer: string, depth: number, parent: Node): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) return append(parent, '[]');
      append(parent, '[\n');
      v.forEach((item, i) => {
        member(undefined, item, `${pointer}/${i}`, depth + 1, parent);
        append(parent, i < v.length - 1 ? ',\n' : '\n');
      });
      append(parent, `${pad(depth)}]`);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) return append(parent, '{}');
      append(parent, '{\n');
      keys.forEach((k, i) => {
        member(k, (v as Record<string, unknown>)[k], `${pointer}/${pointerToken(k)}`, depth + 1, parent);
        append(parent, i < keys.length - 1 ? ',\n' : '\n');
      });
      append(parent, `${pad(depth)}}`);
    } else {
      append(parent, el('span', { class: `j-${v === null ? 'null' : typeof v}` }, JSON.stringify(v) ?? 'null'));
    }
  };
  const member = (key: string | undefined, v: unknown, pointer: string, depth: number, parent: Node): void => {
    append(parent, pad(depth));
    const marked = unsigned.has(pointer);
    const target: Node = marked ? el('mark', { class: 'unsigned', 'data-pointer': pointer, title: 'not covered by the signature' }) : parent;
    if (marked) parent.appendChild(target);
    if (key !== undefined) append(target, el('span', { class: 'j-key' }, JSON.stringify(key)), ': ');
    value(v, pointer, depth, target);
  };
  value(card, '', 0, pre);
  return pre;
}

function cardBlock(report: ServiceReport, card: unknown): Child {
  const unsigned = report.unsignedFields ?? [];
  const list =
    unsigned.length > 0
      ? el(
          'div',
          { class: 'unsigned-list', id: 'unsigned-fields' },
          el('p', {}, `${unsigned.length} field(s) of this card lie outside what the signature covers (profile ${report.profile ?? '?'}); a card with unsigned data is not verified as a whole:`),
          el('ul', {}, ...unsigned.map((p) => el('li', {}, el('code', {}, p)))),
        )
      : null;
  if (card === undefined) {
    if (!list) return null;
    return el('section', { class: 'block', 'aria-labelledby': 'card-title' }, el('h3', { id: 'card-title' }, 'Unsigned fields'), list);
  }
  return el(
    'section',
    { class: 'block', 'aria-labelledby': 'card-title' },
    el('h3', { id: 'card-title' }, 'The card'),
    list ?? el('p', { class: 'hint' }, report.profile ? 'Every field is covered by the signature.' : 'No signature verified, so no field is known to be signed.'),
    cardView(card, new Set(unsigned)),
  );
}

function commandBlock(id: string, label: string, command: string): HTMLElement {
  const code = el('code', { id: `${id}-text` }, command);
  return el(
    'div',
    { class: 'command' },
    el('p', { class: 'command-label' }, label),
    el('pre', {}, code),
    el('button', { type: 'button', class: 'copy', 'data-copy': `${id}-text`, 'aria-label': `Copy the ${label} command` }, 'Copy'),
  );
}

function commands(report: ServiceReport, ctx: RenderContext): HTMLElement {
  const decider = decidingSignature(report) ?? report.signatures[0];
  const td = decider?.signer?.trustDomain ?? decider?.chain?.[0]?.spiffeId?.replace(/^spiffe:\/\//, '').split('/')[0] ?? (decider?.keySource === 'x5c' ? ctx.checked.policy.trustDomain : undefined);
  const checked: Checked = ctx.checked.kind === 'url' && report.source ? { ...ctx.checked, cardUrl: report.source.url } : ctx.checked;
  return el(
    'section',
    { class: 'block', 'aria-labelledby': 'commands-title' },
    el('h3', { id: 'commands-title' }, 'Reproduce this check'),
    ctx.checked.kind === 'card' ? el('p', { class: 'hint' }, 'Save the card as agent-card.json first.') : null,
    commandBlock('curl-command', 'curl', curlCommand(ctx.service, checked)),
    commandBlock('cli-command', 'cardtrust card verify', cliCommand(ctx.service, checked, td)),
  );
}

/** Replaces `target`'s content with the report. */
export function renderReport(target: HTMLElement, report: ServiceReport, ctx: RenderContext): void {
  target.replaceChildren();
  append(
    target,
    el('h2', { id: 'result-title' }, 'Result'),
    verdict(report),
    summary(report),
    bindingBlock(report),
    el(
      'section',
      { class: 'block', 'aria-labelledby': 'signatures-title' },
      el('h3', { id: 'signatures-title' }, `Signatures (${report.signatures.length})`),
      report.signatures.length === 0 ? el('p', {}, 'The card has no signatures.') : null,
      ...report.signatures.map((s) => signatureBlock(s, ctx.now)),
    ),
    cardBlock(report, ctx.card),
    commands(report, ctx),
  );
}

/** Replaces `target`'s content with one sentence (and the service's code, when there is one). */
export function renderProblem(target: HTMLElement, sentence: string, code?: string, message?: string): void {
  target.replaceChildren(
    el('h2', { id: 'result-title' }, 'Result'),
    el('div', { class: 'verdict problem', id: 'verdict', role: 'alert' }, el('p', { class: 'verdict-line' }, el('strong', {}, 'Could not check the card'), ' — ', sentence), code ? codeLine(code, message) : null),
  );
}
