/** A tiny element builder: text is always set as text (never parsed as HTML). */
export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, value);
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Text where `backticked` spans become <code> (the style of docs/errors.md). */
export function rich(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  text.split('`').forEach((part, i) => {
    if (part === '') return;
    frag.appendChild(i % 2 === 1 ? el('code', {}, part) : document.createTextNode(part));
  });
  return frag;
}

/** A definition list from label/value pairs (undefined values are left out). */
export function dl(rows: ReadonlyArray<readonly [string, Child | Child[]]>, className?: string): HTMLDListElement {
  const list = el('dl', { class: className });
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === false) continue;
    const dd = el('dd');
    append(dd, ...(Array.isArray(value) ? value : [value]));
    append(list, el('dt', {}, label), dd);
  }
  return list;
}
