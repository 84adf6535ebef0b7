/** One step of a JSON path: an object member or an array index. */
export type JsonPathSegment = string | number;

/** A parsed JSON path: the original text (for messages) and its steps. */
export interface JsonPath {
  readonly text: string;
  readonly segments: readonly JsonPathSegment[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const INDEX = /^\[(0|[1-9][0-9]{0,8})\]/;
const QUOTED = /^\[(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/;

/**
 * Parses the small JSON path subset the generic HTTP provider uses to find fields in a response:
 * an optional `$`, then members (`.name`, `["name with dots"]`, `['name']`) and array indexes
 * (`[0]`). A bare leading member needs no dot: `data.key.id` equals `$.data.key.id`. No wildcards,
 * filters or recursion: a path names exactly one value.
 *
 * @throws Error naming the position of the first problem.
 *
 * @example
 * ```ts
 * parseJsonPath('$.data.keys[0]["key-id"]').segments; // ['data', 'keys', 0, 'key-id']
 * ```
 */
export function parseJsonPath(text: string): JsonPath {
  const segments: JsonPathSegment[] = [];
  let rest = text.trim();
  if (rest === '') throw new Error('is empty');
  if (rest.startsWith('$')) rest = rest.slice(1);
  else {
    const first = IDENTIFIER.exec(rest);
    if (first === null) throw new Error(`must start with "$" or a member name, got "${text}"`);
    segments.push(first[0]);
    rest = rest.slice(first[0].length);
  }
  while (rest !== '') {
    const position = text.length - rest.length;
    if (rest.startsWith('.')) {
      const member = IDENTIFIER.exec(rest.slice(1));
      if (member === null) throw new Error(`expected a member name after "." at position ${position + 1}`);
      segments.push(member[0]);
      rest = rest.slice(1 + member[0].length);
      continue;
    }
    const index = INDEX.exec(rest);
    if (index !== null) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    const quoted = QUOTED.exec(rest);
    if (quoted !== null) {
      const name = quoted[1] ?? quoted[2] ?? '';
      segments.push(name.replace(/\\(.)/g, '$1'));
      rest = rest.slice(quoted[0].length);
      continue;
    }
    throw new Error(`unexpected "${rest[0]}" at position ${position}`);
  }
  if (segments.length === 0) throw new Error('must name a value inside the document, not "$" itself');
  return { text, segments };
}

/**
 * The value at `path` in `document`, or `undefined` when any step is missing (a member of a
 * non-object, an index of a non-array, an index out of range). Own properties only.
 *
 * @example
 * ```ts
 * extractJsonPath({ data: { id: 'k1' } }, parseJsonPath('data.id')); // 'k1'
 * ```
 */
export function extractJsonPath(document: unknown, path: JsonPath): unknown {
  let node: unknown = document;
  for (const segment of path.segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) return undefined;
      node = node[segment];
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
      if (!Object.hasOwn(node, segment)) return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
  }
  return node;
}
