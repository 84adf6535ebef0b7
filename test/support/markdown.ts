/**
 * Markdown as GitHub renders it, for the tests that check README and docs: the anchors a page
 * offers (heading slugs and `<a id>` tags) and the links it holds (outside code).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The text outside fenced code blocks and inline code spans. */
export function prose(markdown: string): string {
  return markdown
    .split(/^```.*$/m)
    .filter((_, index) => index % 2 === 0)
    .join('\n')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's slug of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a page: `<a id="...">` tags and heading slugs (repeated headings as `-1`, `-2`). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  const seen = new Map<string, number>();
  const outsideCode = markdown.split(/^```.*$/m).filter((_, index) => index % 2 === 0);
  for (const part of outsideCode) {
    for (const match of part.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
      const base = slug(match[1] ?? '');
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
  }
  return anchors;
}

/** The link targets of a page's prose: `[text](target)`. */
export function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
}

/** Every markdown file under `dir`, as paths relative to `root` (node_modules, cdk.out left out). */
export function markdownFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(root, dir, name);
    if (name === 'node_modules' || name === 'cdk.out') return [];
    if (statSync(path).isDirectory()) return markdownFiles(root, relative(root, path));
    return name.endsWith('.md') ? [relative(root, path)] : [];
  });
}

/** The file of the repository a runbook URL names: a path, or a GitHub `blob/<ref>/<path>` URL. */
export function repositoryPath(url: string): string | undefined {
  const github = /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[^/]+\/(.+)$/.exec(url);
  if (github !== null) return github[1];
  return /^[a-z]+:/i.test(url) ? undefined : url;
}

/** Reads a file of the repository. */
export const readRepositoryFile = (root: string, path: string): string =>
  readFileSync(join(root, path), 'utf8');
