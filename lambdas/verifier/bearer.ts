/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750; the scheme is case-insensitive),
 * or `undefined` when the header is missing, repeated or uses another scheme. Pass the result
 * straight to `verify`: `undefined` is `rejected-malformed`.
 *
 * @example
 * ```ts
 * const decision = verifier.verify(parseBearer(request.headers.authorization));
 * ```
 */
export function parseBearer(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+) *$/.exec(header);
  return match?.[1];
}
