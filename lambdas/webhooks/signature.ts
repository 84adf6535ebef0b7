import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks: Handover signs every webhook it sends, and receivers verify the signature with
 * the same key. The scheme is timestamped and replay-resistant:
 *
 * ```
 * Handover-Signature: t=1763719200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 * ```
 *
 * `v1` is the lowercase hex HMAC-SHA256, keyed with the signing key (its UTF-8 bytes), of
 * `"<t>.<raw request body>"`. A receiver recomputes it over the RAW body bytes (before any JSON
 * parsing), compares in constant time, rejects a `t` outside its tolerance window (default five
 * minutes either way), and remembers the signatures it accepted until they leave the window, so the
 * same request cannot be replayed. While the signing key itself is being rotated a sender may put
 * several `v1` entries in one header (one per key) and a receiver may hold several keys: one match
 * is enough.
 *
 * This file has no dependency besides `node:crypto`: receivers can copy it as is.
 */

/** The request header carrying the signature. */
export const SIGNATURE_HEADER = 'Handover-Signature';

/** The scheme name of the current signature version inside the header. */
export const SIGNATURE_SCHEME = 'v1';

/** How far a signature's timestamp may be from the receiver's clock, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Signing keys shorter than this are refused: a short HMAC key can be brute-forced. */
export const MIN_SIGNING_KEY_LENGTH = 32;

/**
 * Why a signature was rejected. `missing`: no header; `malformed`: the header does not parse;
 * `stale` / `future`: the timestamp is outside the tolerance window; `mismatch`: no `v1` entry
 * matches any key; `replayed`: this exact signature was already accepted.
 */
export type SignatureRejection = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch' | 'replayed';

/** The outcome of a verification: accepted with the signed timestamp, or rejected with a reason. */
export type SignatureVerification =
  | { readonly valid: true; readonly timestamp: number }
  | { readonly valid: false; readonly reason: SignatureRejection };

/** A raw request body: the exact bytes received, or the exact string sent. */
export type WebhookBody = string | Uint8Array;

function assertKey(key: string): void {
  if (key.length < MIN_SIGNING_KEY_LENGTH) {
    throw new RangeError(
      `a webhook signing key must be at least ${MIN_SIGNING_KEY_LENGTH} characters, got ${key.length}`,
    );
  }
}

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`a webhook signature timestamp must be whole Unix seconds, got ${timestamp}`);
  }
}

/**
 * The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `key`: the `v1` value of the header.
 *
 * @example
 * ```ts
 * computeSignature(signingKey, 1763719200, '{"versionId":"..."}'); // '5257a869...'
 * ```
 */
export function computeSignature(key: string, timestamp: number, body: WebhookBody): string {
  assertKey(key);
  assertTimestamp(timestamp);
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The `Handover-Signature` header value for `body`, signed at `timestamp` (Unix seconds) with each
 * key (one `v1` entry per key, in order).
 *
 * @example
 * ```ts
 * const body = JSON.stringify(payload);
 * const header = signWebhook(body, signingKey, Math.floor(Date.now() / 1000));
 * await fetch(url, { method: 'POST', body, headers: { [SIGNATURE_HEADER]: header } });
 * ```
 */
export function signWebhook(body: WebhookBody, keys: string | readonly string[], timestamp: number): string {
  const list = typeof keys === 'string' ? [keys] : keys;
  if (list.length === 0) throw new RangeError('signWebhook needs at least one key');
  const entries = list.map((key) => `${SIGNATURE_SCHEME}=${computeSignature(key, timestamp, body)}`);
  return [`t=${timestamp}`, ...entries].join(',');
}

/** A parsed `Handover-Signature` header. */
export interface ParsedSignatureHeader {
  readonly timestamp: number;
  /** Every `v1` entry, lowercase hex. */
  readonly signatures: readonly string[];
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const MAX_HEADER_LENGTH = 4096;

/**
 * Parses a `Handover-Signature` header; `undefined` when it is not `t=<digits>` followed by at least
 * one `v1=<64 hex digits>` (unknown schemes, such as a future `v2`, are ignored).
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const index = part.indexOf('=');
    if (index <= 0) return undefined;
    const name = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === SIGNATURE_SCHEME) {
      const hex = value.toLowerCase();
      if (!HEX_SHA256.test(hex)) return undefined;
      signatures.push(hex);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** Constant-time comparison of two hex SHA-256 digests. */
function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length === 32 && timingSafeEqual(left, right);
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifySignatureOptions {
  /** The `Handover-Signature` header as received (`undefined` when absent). */
  readonly header: string | undefined;
  /** The raw request body. */
  readonly body: WebhookBody;
  /** Every key the receiver accepts (the current signing key, and the previous one while it rotates). */
  readonly keys: readonly string[];
  /** The receiver's clock, Unix seconds. @default - the system clock */
  readonly nowSeconds?: number;
  /** How far the timestamp may be from `nowSeconds`, either way. @default 300 */
  readonly toleranceSeconds?: number;
}

/**
 * Verifies a signature without replay protection (stateless): header shape, timestamp window, and
 * a constant-time match of any `v1` entry against any key. Use {@link createWebhookVerifier} to
 * also reject replays.
 *
 * @example
 * ```ts
 * const result = verifyWebhookSignature({ header: req.headers['handover-signature'], body: rawBody, keys: [key] });
 * if (!result.valid) return reply(401, result.reason);
 * ```
 */
export function verifyWebhookSignature(options: VerifySignatureOptions): SignatureVerification {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (options.header === undefined || options.header === '') return { valid: false, reason: 'missing' };
  const parsed = parseSignatureHeader(options.header);
  if (parsed === undefined) return { valid: false, reason: 'malformed' };
  if (parsed.timestamp < now - tolerance) return { valid: false, reason: 'stale' };
  if (parsed.timestamp > now + tolerance) return { valid: false, reason: 'future' };
  let matched = false;
  // Every comparison runs (no early exit), so timing does not reveal which entry or key matched.
  for (const key of options.keys) {
    const expected = computeSignature(key, parsed.timestamp, options.body);
    for (const signature of parsed.signatures) {
      if (sameDigest(expected, signature)) matched = true;
    }
  }
  return matched ? { valid: true, timestamp: parsed.timestamp } : { valid: false, reason: 'mismatch' };
}

/** Options of {@link createWebhookVerifier}. */
export interface WebhookVerifierOptions {
  /**
   * The keys accepted, or a function returning them (called on every verification, so a receiver
   * can follow a rotation of the signing key without restarting).
   */
  readonly keys: readonly string[] | (() => readonly string[]);
  /** How far the timestamp may be from the receiver's clock, either way. @default 300 */
  readonly toleranceSeconds?: number;
  /** The clock, in milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** A stateful verifier: {@link verifyWebhookSignature} plus a memory of accepted signatures. */
export interface WebhookVerifier {
  /** Verifies one request; a signature already accepted inside the window is `replayed`. */
  verify(header: string | undefined, body: WebhookBody): SignatureVerification;
  /** The number of accepted signatures currently remembered. */
  readonly remembered: number;
}

/**
 * A replay-resistant verifier for webhook receivers. Accepted signatures are remembered until their
 * timestamp leaves the tolerance window (after which the timestamp check rejects them anyway), so
 * memory stays bounded by the request rate times twice the window. Every delivery attempt Handover
 * makes carries its own `deliveryId` in the body and is signed afresh, so a legitimate retry (even
 * within the same second) never has a signature already seen; use the `Idempotency-Key` header to
 * recognise a retried delivery.
 *
 * @example
 * ```ts
 * const verifier = createWebhookVerifier({ keys: () => [currentKey, previousKey] });
 * const result = verifier.verify(request.headers['handover-signature'], rawBody);
 * if (!result.valid) return reply(401, { error: result.reason });
 * ```
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Date.now;
  const keysOf = typeof options.keys === 'function' ? options.keys : () => options.keys as readonly string[];
  /** Accepted signature (hex) -> the Unix second after which it can be forgotten. */
  const seen = new Map<string, number>();
  const prune = (nowSeconds: number) => {
    for (const [signature, expires] of seen) if (expires < nowSeconds) seen.delete(signature);
  };
  return {
    verify(header, body) {
      const nowSeconds = Math.floor(now() / 1000);
      prune(nowSeconds);
      const result = verifyWebhookSignature({
        header,
        body,
        keys: keysOf(),
        nowSeconds,
        toleranceSeconds: tolerance,
      });
      if (!result.valid) return result;
      const parsed = parseSignatureHeader(header ?? '');
      const signatures = parsed?.signatures ?? [];
      if (signatures.some((signature) => seen.has(signature))) return { valid: false, reason: 'replayed' };
      for (const signature of signatures) seen.set(signature, result.timestamp + tolerance);
      return result;
    },
    get remembered() {
      return seen.size;
    },
  };
}
