// The docs stand alone: every link in README.md and docs/ points into this repository (a file that
// exists, and an anchor that exists when it names one of our pages) or to the web; nothing points
// beside or above the repository, where a fresh clone has nothing.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} +(.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

/** Markdown link targets outside code blocks and inline code. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('documentation links', () => {
  it.each(pages)('%s links only into the repository or to the web', (page) => {
    const markdown = readFileSync(join(root, page), 'utf8');
    const bad: string[] = [];
    for (const target of links(markdown)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      const inside = !relative(root, file).startsWith('..');
      if (!inside || !existsSync(file)) {
        bad.push(`${target} (${inside ? 'missing' : 'outside the repository'})`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) bad.push(`${target} (no such heading)`);
    }
    expect(bad).toEqual([]);
  });

  it.each(pages)('%s names no design file outside the repository', (page) => {
    expect(readFileSync(join(root, page), 'utf8')).not.toMatch(/\.\.\/shared\/|DESIGN\.md/);
  });
});
