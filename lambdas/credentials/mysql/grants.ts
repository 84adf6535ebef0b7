import { TargetError } from '../../shared/errors';
import type { ServerVariant } from './server';
import type { Account, SqlMode } from './sql';

/**
 * Reading `SHOW GRANTS FOR <account>` and planning the statements that give another account exactly
 * the same privileges.
 *
 * A grant line is not replayed as text: MariaDB's first line carries the account's password hash
 * (`GRANT USAGE ON *.* TO … IDENTIFIED BY PASSWORD '*…'`), and lines name the grantee. Each line is
 * tokenised (quotes, doubled quotes and backslash escapes as the session's SQL mode reads them),
 * split into privileges, object and options, and the grantee is checked to be the account asked
 * for. Privilege names, objects and role names are then re-emitted exactly as the server quoted
 * them; the only new text is the grantee, which the caller escapes. A line of any other shape is an
 * error, never guessed at. Error messages name the kind of line, never its text (it may hold a
 * password hash).
 */

/** One privilege (or role) the account holds. Keys are stable across `SHOW GRANTS` calls. */
export type GrantEntry =
  | { readonly kind: 'privilege'; readonly object: string; readonly privilege: string }
  | { readonly kind: 'grant-option'; readonly object: string }
  | { readonly kind: 'role'; readonly role: string; readonly admin: boolean }
  | { readonly kind: 'default-role'; readonly role: string };

/** Everything an account holds, keyed by {@link entryKey}. */
export type GrantSet = ReadonlyMap<string, GrantEntry>;

export function entryKey(entry: GrantEntry): string {
  switch (entry.kind) {
    case 'privilege':
      return `privilege\u0000${entry.object}\u0000${entry.privilege}`;
    case 'grant-option':
      return `grant-option\u0000${entry.object}`;
    case 'role':
      return `role\u0000${entry.role}`;
    case 'default-role':
      return `default-role\u0000${entry.role}`;
  }
}

interface Token {
  readonly kind: 'word' | 'quoted' | 'punct';
  readonly text: string;
  /** Parenthesis depth the token is at (a `(` is at the outer depth). */
  readonly depth: number;
}

/** A grant line that cannot be read. The message names the problem, never the line. */
export class GrantParseError extends TargetError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GrantParseError';
  }
}

const WORD = /[A-Za-z0-9_$]/;

/** Splits a statement into words, quoted strings / identifiers and punctuation. */
export function tokenize(line: string, mode: SqlMode): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '`' || c === "'" || c === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= line.length) throw new GrantParseError('a grant line has an unterminated quoted name');
        const d = line[i];
        if (d === '\\' && c !== '`' && !mode.noBackslashEscapes) {
          i += 2;
          continue;
        }
        if (d === c) {
          if (line[i + 1] === c) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      tokens.push({ kind: 'quoted', text: line.slice(start, i), depth });
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < line.length && WORD.test(line[i] as string)) i++;
      tokens.push({ kind: 'word', text: line.slice(start, i), depth });
      continue;
    }
    if (c === ')') depth--;
    if (depth < 0) throw new GrantParseError('a grant line has unbalanced parentheses');
    tokens.push({ kind: 'punct', text: c, depth });
    if (c === '(') depth++;
    i++;
  }
  if (depth !== 0) throw new GrantParseError('a grant line has unbalanced parentheses');
  return tokens;
}

/** The value of a quoted name or string token, or a bare word as is. */
export function unquote(token: Token, mode: SqlMode): string {
  if (token.kind !== 'quoted') return token.text;
  const q = token.text[0] as string;
  const body = token.text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\' && q !== '`' && !mode.noBackslashEscapes) {
      const next = body[i + 1] ?? '';
      out += { n: '\n', r: '\r', t: '\t', '0': '\0', b: '\b', Z: '\x1a' }[next] ?? next;
      i++;
    } else if (c === q && body[i + 1] === q) {
      out += q;
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Tokens joined back canonically: no space around `.` and `@`, none inside parentheses' edges,
 * one after a comma, one between other tokens. Quoted tokens are kept byte for byte.
 */
function render(tokens: readonly Token[]): string {
  let out = '';
  tokens.forEach((token, i) => {
    const previous = tokens[i - 1];
    const glueAfter = previous?.kind === 'punct' && ['.', '@', '('].includes(previous.text);
    const glueBefore = token.kind === 'punct' && ['.', '@', ',', ')'].includes(token.text);
    out += previous === undefined || glueAfter || glueBefore ? token.text : ` ${token.text}`;
  });
  return out;
}

const isWord = (token: Token | undefined, word: string) =>
  token?.kind === 'word' && token.text.toUpperCase() === word;

/** Splits tokens at commas of the given depth. */
function splitAt(tokens: readonly Token[], depth: number): Token[][] {
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'punct' && token.text === ',' && token.depth === depth) parts.push([]);
    else parts.at(-1)?.push(token);
  }
  return parts.filter((part) => part.length > 0);
}

/** Reads `user@host` at `tokens[at]` and checks it is `expected`; returns the index after it. */
function readGrantee(tokens: readonly Token[], at: number, expected: Account, mode: SqlMode): number {
  const user = tokens[at];
  const sign = tokens[at + 1];
  const host = tokens[at + 2];
  if (user === undefined || sign?.text !== '@' || host === undefined || user.kind === 'punct') {
    throw new GrantParseError('a grant line does not name its grantee as user@host');
  }
  if (unquote(user, mode) !== expected.user || unquote(host, mode) !== expected.host) {
    throw new GrantParseError(
      `SHOW GRANTS FOR '${expected.user}'@'${expected.host}' returned a line for another grantee`,
    );
  }
  return at + 3;
}

/** Whether `words` appear consecutively (as bare words) anywhere in `tokens`. */
function hasWords(tokens: readonly Token[], ...words: string[]): boolean {
  return tokens.some((_, i) => words.every((word, j) => isWord(tokens[i + j], word)));
}

/**
 * Parses one `SHOW GRANTS` line of `grantee` into entries. Handles `GRANT <privileges> ON <object>
 * TO …`, `GRANT <roles> TO …` (with `WITH GRANT OPTION` / `WITH ADMIN OPTION`) and MariaDB's
 * `SET DEFAULT ROLE <role> FOR …`; anything else (e.g. MySQL's partial-revoke `REVOKE` lines) is
 * refused with a {@link GrantParseError}.
 */
export function parseGrantLine(line: string, grantee: Account, mode: SqlMode): GrantEntry[] {
  const tokens = tokenize(line, mode);
  if (isWord(tokens[0], 'SET') && isWord(tokens[1], 'DEFAULT') && isWord(tokens[2], 'ROLE')) {
    const forAt = tokens.findIndex((token, i) => i > 2 && isWord(token, 'FOR'));
    if (forAt < 0) throw new GrantParseError('a SET DEFAULT ROLE line has no FOR clause');
    readGrantee(tokens, forAt + 1, grantee, mode);
    const role = tokens.slice(3, forAt);
    if (role.length === 1 && isWord(role[0], 'NONE')) return [];
    return [{ kind: 'default-role', role: render(role) }];
  }
  if (!isWord(tokens[0], 'GRANT')) {
    const kind = tokens[0]?.text.toUpperCase() ?? 'an empty line';
    throw new GrantParseError(
      `SHOW GRANTS returned a ${kind} line, which Handover cannot copy to another user ` +
        '(MySQL partial revokes are not supported)',
    );
  }
  const toAt = tokens.findIndex((token) => token.depth === 0 && isWord(token, 'TO'));
  if (toAt < 0) throw new GrantParseError('a GRANT line has no TO clause');
  const onAt = tokens.findIndex((token, i) => i < toAt && token.depth === 0 && isWord(token, 'ON'));
  const rest = tokens.slice(readGrantee(tokens, toAt + 1, grantee, mode));
  if (onAt < 0) {
    const admin = hasWords(rest, 'ADMIN', 'OPTION');
    return splitAt(tokens.slice(1, toAt), 0).map((role) => ({ kind: 'role', role: render(role), admin }));
  }
  const object = render(tokens.slice(onAt + 1, toAt));
  if (object === '') throw new GrantParseError('a GRANT line has no object after ON');
  const entries: GrantEntry[] = [];
  for (const item of splitAt(tokens.slice(1, onAt), 0)) {
    const open = item.findIndex((token) => token.text === '(');
    const words = open < 0 ? item : item.slice(0, open);
    if (words.length === 0 || words.some((token) => token.kind !== 'word')) {
      throw new GrantParseError('a GRANT line has a privilege that is not a keyword');
    }
    const name = words.map((token) => token.text.toUpperCase()).join(' ');
    if (open < 0) {
      if (name !== 'USAGE') entries.push({ kind: 'privilege', object, privilege: name });
      continue;
    }
    if (item.at(-1)?.text !== ')') throw new GrantParseError('a GRANT line has a malformed column list');
    for (const column of splitAt(item.slice(open + 1, -1), 1)) {
      entries.push({ kind: 'privilege', object, privilege: `${name} (${render(column)})` });
    }
  }
  if (hasWords(rest, 'GRANT', 'OPTION')) entries.push({ kind: 'grant-option', object });
  return entries;
}

/** Parses every `SHOW GRANTS` line of an account into one set. */
export function parseGrants(
  lines: readonly string[],
  grantee: Account,
  mode: SqlMode,
): Map<string, GrantEntry> {
  const set = new Map<string, GrantEntry>();
  for (const line of lines) {
    for (const entry of parseGrantLine(line, grantee, mode)) {
      const key = entryKey(entry);
      const seen = set.get(key);
      // A role listed both with and without ADMIN OPTION keeps the option.
      if (seen?.kind === 'role' && entry.kind === 'role' && seen.admin) continue;
      set.set(key, entry);
    }
  }
  return set;
}

function groupByObject(entries: readonly GrantEntry[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.kind !== 'privilege') continue;
    const group = groups.get(entry.object) ?? [];
    group.push(entry.privilege);
    groups.set(entry.object, group);
  }
  return groups;
}

/** How default roles are set on this server. */
export interface DefaultRoleDialect {
  readonly variant: ServerVariant;
}

/**
 * The statements that make `grantee` (an escaped account, `'app_clone'@'%'`) hold exactly
 * `desired`, given that it holds `actual` now: revokes first (so `ALL PRIVILEGES` replacing single
 * privileges ends right), then grants, then default roles. Pure, so unit tests can read them; the
 * empty list when the sets are equal.
 *
 * @example
 * ```ts
 * planGrantSync(parseGrants(currentLines, current, mode), parseGrants(cloneLines, clone, mode),
 *   "'app_clone'@'%'", { variant: 'mariadb' });
 * // ['REVOKE INSERT ON `shop`.* FROM \'app_clone\'@\'%\'', 'GRANT SELECT ON `crm`.* TO \'app_clone\'@\'%\'']
 * ```
 */
export function planGrantSync(
  desired: GrantSet,
  actual: GrantSet,
  grantee: string,
  dialect: DefaultRoleDialect,
): string[] {
  const missing = [...desired].filter(([key]) => !actual.has(key)).map(([, entry]) => entry);
  const extra = [...actual].filter(([key]) => !desired.has(key)).map(([, entry]) => entry);
  const statements: string[] = [];

  // Revokes.
  for (const [object, privileges] of groupByObject(extra)) {
    statements.push(`REVOKE ${privileges.join(', ')} ON ${object} FROM ${grantee}`);
  }
  for (const entry of extra) {
    if (entry.kind === 'grant-option')
      statements.push(`REVOKE GRANT OPTION ON ${entry.object} FROM ${grantee}`);
    if (entry.kind === 'role') statements.push(`REVOKE ${entry.role} FROM ${grantee}`);
  }
  // A role held with ADMIN OPTION that should be held without it (or the other way round).
  const regrant: GrantEntry[] = [];
  for (const [key, entry] of desired) {
    const held = actual.get(key);
    if (entry.kind !== 'role' || held?.kind !== 'role' || held.admin === entry.admin) continue;
    if (entry.admin) {
      regrant.push(entry);
    } else if (dialect.variant === 'mariadb') {
      statements.push(`REVOKE ADMIN OPTION FOR ${entry.role} FROM ${grantee}`);
    } else {
      // MySQL has no REVOKE ADMIN OPTION FOR: revoke the role and grant it again without.
      statements.push(`REVOKE ${entry.role} FROM ${grantee}`);
      regrant.push(entry);
    }
  }

  // Grants.
  const grantOption = new Set(missing.flatMap((e) => (e.kind === 'grant-option' ? [e.object] : [])));
  for (const [object, privileges] of groupByObject(missing)) {
    const option = grantOption.delete(object) ? ' WITH GRANT OPTION' : '';
    statements.push(`GRANT ${privileges.join(', ')} ON ${object} TO ${grantee}${option}`);
  }
  for (const object of grantOption) {
    statements.push(`GRANT USAGE ON ${object} TO ${grantee} WITH GRANT OPTION`);
  }
  for (const entry of [...missing, ...regrant]) {
    if (entry.kind !== 'role') continue;
    statements.push(`GRANT ${entry.role} TO ${grantee}${entry.admin ? ' WITH ADMIN OPTION' : ''}`);
  }

  // Default roles, once the roles are held.
  const defaults = (set: GrantSet) =>
    [...set.values()].flatMap((e) => (e.kind === 'default-role' ? [e.role] : [])).sort();
  const want = defaults(desired);
  const have = defaults(actual);
  if (want.join('\u0000') !== have.join('\u0000')) {
    const roles = want.length === 0 ? 'NONE' : want.join(', ');
    statements.push(
      dialect.variant === 'mariadb'
        ? `SET DEFAULT ROLE ${roles} FOR ${grantee}`
        : `ALTER USER ${grantee} DEFAULT ROLE ${roles}`,
    );
  }
  return statements;
}
