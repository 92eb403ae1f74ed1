/**
 * The inspector page's script: reads the form, asks this service (`POST /v1/agent-cards/verify`
 * or `/fetch`, same origin) and renders the report. No framework, no third-party code; the
 * service's answer is the only source of truth (the page never judges a card itself).
 */
import type { PolicyInput, Checked } from './format.js';
import { meaning, renderProblem, renderReport, type ServiceReport } from './render.js';

/** Largest file read from a drop or the file picker (the service refuses larger cards anyway). */
const MAX_FILE_BYTES = 1024 * 1024;

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`inspector: #${id} is missing`);
  return node;
}

function start(): void {
  const form = byId('inspect-form', HTMLFormElement);
  const cardText = byId('card-json', HTMLTextAreaElement);
  const cardFile = byId('card-file', HTMLInputElement);
  const cardUrl = byId('card-url', HTMLInputElement);
  const pasteFields = byId('paste-fields', HTMLDivElement);
  const urlFields = byId('url-fields', HTMLDivElement);
  const trustDomain = byId('policy-trust-domain', HTMLInputElement);
  const expectedId = byId('policy-expected-id', HTMLInputElement);
  const mode = byId('policy-mode', HTMLSelectElement);
  const button = byId('inspect-button', HTMLButtonElement);
  const result = byId('result', HTMLElement);

  const source = (): 'paste' | 'url' => ((form.elements.namedItem('source') as RadioNodeList | null)?.value === 'url' ? 'url' : 'paste');
  const showSource = (): void => {
    const url = source() === 'url';
    pasteFields.hidden = url;
    urlFields.hidden = !url;
  };
  form.addEventListener('change', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.name === 'source') showSource();
  });
  showSource();

  const policy = (): PolicyInput => {
    const td = trustDomain.value.trim();
    const id = expectedId.value.trim();
    const m = mode.value;
    return {
      ...(td ? { trustDomain: td } : {}),
      ...(id ? { expectedId: id } : {}),
      ...(m === 'strict' || m === 'audit' ? { mode: m } : {}),
    };
  };

  const show = (focus: boolean): void => {
    if (focus) result.focus();
  };

  const ask = async (path: string, body: string, render: (report: ServiceReport) => void): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch {
      renderProblem(result, 'the service did not answer (a network error). Is it still running?');
      return;
    }
    let answer: unknown;
    try {
      answer = await res.json();
    } catch {
      renderProblem(result, `the service answered HTTP ${res.status} with something that is not JSON.`);
      return;
    }
    const error = (answer as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (!res.ok || (error && !('verified' in (answer as object)))) {
      const code = typeof error?.code === 'string' ? error.code : undefined;
      const message = typeof error?.message === 'string' ? error.message : undefined;
      renderProblem(result, refusal(path, res.status, code), code, message);
      return;
    }
    render(answer as ServiceReport);
  };

  const inspect = async (): Promise<void> => {
    const p = policy();
    const policyJson = Object.keys(p).length > 0 ? JSON.stringify(p) : undefined;
    if (source() === 'url') {
      const url = cardUrl.value.trim();
      if (!url) return renderProblem(result, 'enter the https origin of an agent first, such as https://agent.example.com.');
      const checked: Checked = { kind: 'url', url, policy: p };
      await ask('/v1/agent-cards/fetch', JSON.stringify({ url, ...(policyJson ? { policy: p } : {}) }), (report) =>
        renderReport(result, report, { checked, service: location.origin, now: Date.now() }),
      );
      return;
    }
    const text = cardText.value.trim();
    if (!text) return renderProblem(result, 'paste an AgentCard first, drop a .json file onto the box, or open one.');
    let card: unknown;
    try {
      card = JSON.parse(text);
    } catch {
      return renderProblem(result, 'this is not valid JSON. An AgentCard is one JSON object, such as {"name": "…", "signatures": […]}: look for a missing comma, quote or brace.');
    }
    if (card === null || typeof card !== 'object' || Array.isArray(card)) {
      return renderProblem(result, `this is JSON, but ${Array.isArray(card) ? 'an array' : card === null ? 'null' : `a ${typeof card}`}: an AgentCard is a JSON object.`);
    }
    // the text as given (the service checks it for duplicate member names, which JSON.parse hides)
    const body = policyJson ? `{"card":${text},"policy":${policyJson}}` : text;
    const checked: Checked = { kind: 'card', policy: p };
    await ask('/v1/agent-cards/verify', body, (report) => renderReport(result, report, { card, checked, service: location.origin, now: Date.now() }));
  };

  let busy = false;
  const run = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    result.setAttribute('aria-busy', 'true');
    try {
      await inspect();
    } catch {
      renderProblem(result, 'something went wrong in this page, so the check did not finish. Reload the page and try again.');
    } finally {
      busy = false;
      button.disabled = false;
      result.removeAttribute('aria-busy');
      show(true);
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });

  const load = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      renderProblem(result, `${file.name} is larger than 1 MiB, more than this service accepts for a card.`);
      show(true);
      return;
    }
    cardText.value = await file.text();
    const paste = form.querySelector<HTMLInputElement>('input[name="source"][value="paste"]');
    if (paste) paste.checked = true;
    showSource();
    await run();
  };
  cardFile.addEventListener('change', () => void load(cardFile.files?.[0]));
  cardText.addEventListener('dragover', (e) => {
    e.preventDefault();
    cardText.classList.add('dropping');
  });
  cardText.addEventListener('dragleave', () => cardText.classList.remove('dropping'));
  cardText.addEventListener('drop', (e) => {
    const file = e.dataTransfer?.files[0];
    cardText.classList.remove('dropping');
    if (!file) return; // dropped text: the textarea's own behaviour
    e.preventDefault();
    void load(file);
  });

  result.addEventListener('click', (e) => {
    const target = e.target;
    if (!(target instanceof HTMLButtonElement) || !target.dataset['copy']) return;
    const text = document.getElementById(target.dataset['copy'])?.textContent ?? '';
    const done = (label: string): void => {
      target.textContent = label;
      setTimeout(() => (target.textContent = 'Copy'), 2000);
    };
    navigator.clipboard.writeText(text).then(
      () => done('Copied'),
      () => done('Select and copy'),
    );
  });
}

/** The sentence for a refused request. */
function refusal(path: string, status: number, code: string | undefined): string {
  if (code === 'ERR_FETCH_ORIGIN_NOT_ALLOWED') return 'this service may not fetch from that origin: only https origins in its allowlist (FETCH_ALLOWED_ORIGINS) are read.';
  if (code === 'ERR_JSON_MALFORMED') return 'the service does not accept this as JSON.';
  if (code === 'ERR_RATE_LIMITED') return 'too many checks in a short time; wait a little and try again.';
  if (code?.startsWith('ERR_FETCH_')) return `the card could not be fetched: ${meaning(code) ?? 'the fetch failed'}.`.replaceAll('`', '');
  if (code === 'ERR_REQUEST_INVALID' || code === 'ERR_TRUST_DOMAIN_INVALID' || code === 'ERR_SPIFFE_ID_INVALID') return 'the service refused the request: check the policy fields.';
  if (code) return `the service could not evaluate this ${path.endsWith('/fetch') ? 'fetched card' : 'card'} (HTTP ${status}).`;
  return `the service answered HTTP ${status}.`;
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
