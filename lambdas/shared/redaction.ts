import { createHash } from 'node:crypto';

/**
 * A short, stable fingerprint of a PUBLIC identifier (a username, a key id) for log lines and
 * metrics. Never pass a secret: a hash of a low-entropy secret can be brute-forced.
 *
 * @example
 * ```ts
 * logger.info('set pending password', { key_fingerprint: fingerprint('app_clone') });
 * ```
 */
export function fingerprint(identifier: string): string {
  return createHash('sha256').update(identifier).digest('hex').slice(0, 12);
}

export const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of each secret (and its JSON-escaped and URL-encoded forms) in `text`.
 * Secrets shorter than 4 characters are ignored: they cannot be told apart from ordinary text.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/**
 * Returns an Error safe to throw or log: the same class and name, with `secrets` removed from the
 * message and from every message down the `cause` chain (the cause chain is rebuilt, not kept, so
 * driver errors that echo SQL or connection strings cannot leak through it).
 */
export function redactError(error: unknown, secrets: readonly string[]): Error {
  if (!(error instanceof Error)) {
    return new Error(redact(String(error), secrets));
  }
  const cause = error.cause === undefined ? undefined : redactError(error.cause, secrets);
  const message = redact(error.message, secrets);
  if (message === error.message && cause === error.cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    (copy as unknown as Record<string, unknown>)[key] =
      typeof value === 'string' ? redact(value, secrets) : value;
  }
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true });
  Object.defineProperty(copy, 'name', { value: error.name, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', {
    value: redact(error.stack ?? '', secrets),
    writable: true,
    configurable: true,
  });
  if (cause !== undefined)
    Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true });
  return copy;
}
