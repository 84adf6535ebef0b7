import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Signed webhooks per the Standard Webhooks specification (https://www.standardwebhooks.com), so a
 * receiver in any language verifies them with that language's Standard Webhooks library:
 *
 * ```http
 * webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
 * webhook-timestamp: 1763719200
 * webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
 * ```
 *
 * The signature is `v1,` + base64 of the HMAC-SHA256 of `"<webhook-id>.<webhook-timestamp>.<raw
 * body>"`. The HMAC key is the signing secret: a `whsec_<base64>` secret (what the Standard
 * Webhooks libraries generate) is base64-decoded after the prefix, as the specification says; any
 * other key (at least 32 characters, e.g. a Handover shared key) is used as its UTF-8 bytes, which
 * is the same as the secret `whsec_` + base64 of those bytes ({@link standardWebhooksSecret}).
 * Several signatures (one per key, while a signing key rotates) are space-separated; one match is
 * enough. Receivers reject a timestamp more than five minutes from their clock, and remember the
 * signatures they accepted until those leave the window, so a request cannot be replayed.
 *
 * The cryptography (secret decoding, signed content, HMAC, encoding) is the maintained
 * `standardwebhooks` package's; this module adds what a receiver needs around it: precise
 * rejection reasons, several keys, an injectable clock and replay memory.
 */

/** The three request headers, lower-case as Node.js presents them. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** The signature version Handover sends (symmetric HMAC-SHA256). */
export const SIGNATURE_VERSION = 'v1';

/** The prefix of a signing secret in the Standard Webhooks form. */
export const SECRET_PREFIX = 'whsec_';

/** How far a signature's timestamp may be from the receiver's clock, by default (the specification's). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A signing key that is not `whsec_<base64>` must have at least this many characters. */
export const MIN_SIGNING_KEY_LENGTH = 32;

/** A `whsec_` secret must decode to at least this many bytes (the specification asks for 24 to 64). */
export const MIN_SECRET_BYTES = 24;

/**
 * Why a signature was rejected. `missing`: a header is absent; `malformed`: a header does not
 * parse; `stale` / `future`: the timestamp is outside the tolerance window; `mismatch`: no `v1`
 * signature matches any key; `replayed`: this exact signature was already accepted.
 */
export type SignatureRejection = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch' | 'replayed';

/** The outcome of a verification: accepted (with the message id and timestamp) or rejected with a reason. */
export type SignatureVerification =
  | { readonly valid: true; readonly id: string; readonly timestamp: number }
  | { readonly valid: false; readonly reason: SignatureRejection };

/** A raw request body: the exact bytes received, or the exact string sent. */
export type WebhookBody = string | Uint8Array;

/**
 * The three headers of a signed webhook (a type alias, not an interface, so that it is also a
 * {@link ReceivedHeaders}).
 */
export type SignedWebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/**
 * Request headers as a server sees them: Node.js `IncomingHttpHeaders` (lower-case names) or any
 * record of names to values; names are matched case-insensitively.
 */
export type ReceivedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** A message id: printable ASCII without spaces (it is part of the signed content). */
const ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;
const V1_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
const MAX_SIGNATURE_HEADER_LENGTH = 4096;

/**
 * Checks a signing key and returns its Standard Webhooks form: a `whsec_` secret as it is (its
 * remainder must be base64 of at least {@link MIN_SECRET_BYTES} bytes), any other key as `whsec_` +
 * base64 of its UTF-8 bytes (it must have at least {@link MIN_SIGNING_KEY_LENGTH} characters). Give
 * a receiver's Standard Webhooks library this form. Throws a `RangeError` saying what is wrong,
 * never the key.
 *
 * @example
 * ```ts
 * standardWebhooksSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'); // unchanged
 * standardWebhooksSecret('hk_7mqc2xk4bd5t_Q3xYk0J8pZ2m9WvR4tLb6NcF1hD7sGaE5uKoTiV0yXw'); // 'whsec_aGtfN21xYz...'
 * ```
 */
export function standardWebhooksSecret(key: string): string {
  if (key.startsWith(SECRET_PREFIX)) {
    const encoded = key.slice(SECRET_PREFIX.length);
    if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
      throw new RangeError(`a "${SECRET_PREFIX}" signing secret must be followed by standard base64`);
    }
    const bytes = Buffer.from(encoded, 'base64').length;
    if (bytes < MIN_SECRET_BYTES) {
      throw new RangeError(
        `a "${SECRET_PREFIX}" signing secret must hold at least ${MIN_SECRET_BYTES} bytes, got ${bytes}`,
      );
    }
    return key;
  }
  if (key.length < MIN_SIGNING_KEY_LENGTH) {
    throw new RangeError(
      `a webhook signing key must be at least ${MIN_SIGNING_KEY_LENGTH} characters, got ${key.length}`,
    );
  }
  return `${SECRET_PREFIX}${Buffer.from(key, 'utf8').toString('base64')}`;
}

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`a webhook signature timestamp must be whole Unix seconds, got ${timestamp}`);
  }
}

const payloadOf = (body: WebhookBody): string | Buffer =>
  typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/** The base64 HMAC of one message under one key (the part after `v1,`), by the `standardwebhooks` package. */
function signatureOf(key: string, id: string, timestamp: number, body: WebhookBody): string {
  const signed = new Webhook(standardWebhooksSecret(key)).sign(
    id,
    new Date(timestamp * 1000),
    payloadOf(body),
  );
  return signed.slice(SIGNATURE_VERSION.length + 1);
}

/** Options of {@link signWebhook}. */
export interface SignWebhookOptions {
  /** The message id (`webhook-id`): the same for every attempt to deliver one message. */
  readonly id: string;
  /** When this attempt is signed, whole Unix seconds. */
  readonly timestamp: number;
  /** The exact body sent. */
  readonly body: WebhookBody;
  /** The signing key, or several (one signature each, in order) while the signing key rotates. */
  readonly keys: string | readonly string[];
}

/**
 * The three Standard Webhooks headers for one delivery attempt. Sign every attempt afresh (a new
 * timestamp), keeping the message id.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(payload);
 * const headers = signWebhook({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: Math.floor(Date.now() / 1000), body, keys: signingKey });
 * await fetch(url, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
 * ```
 */
export function signWebhook(options: SignWebhookOptions): SignedWebhookHeaders {
  const keys = typeof options.keys === 'string' ? [options.keys] : options.keys;
  if (keys.length === 0) throw new RangeError('signWebhook needs at least one key');
  if (!ID_PATTERN.test(options.id)) {
    throw new RangeError('a webhook id must be 1 to 256 printable characters without spaces');
  }
  assertTimestamp(options.timestamp);
  const signatures = keys.map(
    (key) => `${SIGNATURE_VERSION},${signatureOf(key, options.id, options.timestamp, options.body)}`,
  );
  return {
    [WEBHOOK_HEADERS.id]: options.id,
    [WEBHOOK_HEADERS.timestamp]: String(options.timestamp),
    [WEBHOOK_HEADERS.signature]: signatures.join(' '),
  };
}

/** The parsed Standard Webhooks headers of a request. */
export interface ParsedWebhookHeaders {
  readonly id: string;
  readonly timestamp: number;
  /** Every `v1` signature (base64 of 32 bytes); signatures of other versions are left out. */
  readonly signatures: readonly string[];
}

function header(headers: ReceivedHeaders, name: string): string | undefined | null {
  let found: string | readonly string[] | undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) found = value;
  }
  if (found === undefined || found === '') return undefined;
  // A repeated header is ambiguous: refuse it rather than pick one.
  return typeof found === 'string' ? found : found.length === 1 ? (found[0] ?? null) : null;
}

/**
 * Parses the three headers: `missing` when one is absent, `malformed` when one does not parse or no
 * `v1` signature is present (signatures of other versions, e.g. a future asymmetric one, are
 * ignored).
 */
export function parseWebhookHeaders(headers: ReceivedHeaders): ParsedWebhookHeaders | SignatureRejection {
  const id = header(headers, WEBHOOK_HEADERS.id);
  const timestamp = header(headers, WEBHOOK_HEADERS.timestamp);
  const signature = header(headers, WEBHOOK_HEADERS.signature);
  if (id === undefined || timestamp === undefined || signature === undefined) return 'missing';
  if (id === null || timestamp === null || signature === null) return 'malformed';
  if (!ID_PATTERN.test(id) || !TIMESTAMP_PATTERN.test(timestamp)) return 'malformed';
  if (signature.length > MAX_SIGNATURE_HEADER_LENGTH) return 'malformed';
  const signatures: string[] = [];
  for (const entry of signature.split(' ')) {
    if (entry === '') continue;
    const comma = entry.indexOf(',');
    if (comma <= 0) return 'malformed';
    if (entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const value = entry.slice(comma + 1);
    if (!V1_SIGNATURE.test(value)) return 'malformed';
    signatures.push(value);
  }
  if (signatures.length === 0) return 'malformed';
  return { id, timestamp: Number(timestamp), signatures };
}

/** Constant-time comparison of two base64 SHA-256 digests. */
function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64');
  const right = Buffer.from(b, 'base64');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifySignatureOptions {
  /** The request headers as received. */
  readonly headers: ReceivedHeaders;
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
 * Verifies a Standard Webhooks signature without replay protection (stateless): the headers, the
 * timestamp window, and a constant-time match of any `v1` signature against any key. Use
 * {@link createWebhookVerifier} to also reject replays.
 *
 * @example
 * ```ts
 * const result = verifyWebhookSignature({ headers: req.headers, body: rawBody, keys: [signingKey] });
 * if (!result.valid) return reply(401, result.reason);
 * ```
 */
export function verifyWebhookSignature(options: VerifySignatureOptions): SignatureVerification {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const parsed = parseWebhookHeaders(options.headers);
  if (typeof parsed === 'string') return { valid: false, reason: parsed };
  if (parsed.timestamp < now - tolerance) return { valid: false, reason: 'stale' };
  if (parsed.timestamp > now + tolerance) return { valid: false, reason: 'future' };
  let matched = false;
  // Every comparison runs (no early exit), so timing does not reveal which signature or key matched.
  for (const key of options.keys) {
    const expected = signatureOf(key, parsed.id, parsed.timestamp, options.body);
    for (const signature of parsed.signatures) {
      if (sameDigest(expected, signature)) matched = true;
    }
  }
  return matched
    ? { valid: true, id: parsed.id, timestamp: parsed.timestamp }
    : { valid: false, reason: 'mismatch' };
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
  verify(headers: ReceivedHeaders, body: WebhookBody): SignatureVerification;
  /** The number of accepted signatures currently remembered. */
  readonly remembered: number;
}

/**
 * A replay-resistant verifier for webhook receivers. Accepted signatures are remembered until their
 * timestamp leaves the tolerance window (after which the timestamp check rejects them anyway), so
 * memory stays bounded by the request rate times twice the window. Handover signs every delivery
 * attempt afresh (new timestamp, and its own `deliveryId` in the body), so a legitimate retry, even
 * within the same second, never repeats a signature; its `webhook-id` stays the same, so deduplicate
 * the work on `webhook-id` (or `Idempotency-Key`).
 *
 * @example
 * ```ts
 * const verifier = createWebhookVerifier({ keys: () => [currentKey, previousKey] });
 * const result = verifier.verify(request.headers, rawBody);
 * if (!result.valid) return reply(401, { error: result.reason });
 * ```
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Date.now;
  const keysOf = typeof options.keys === 'function' ? options.keys : () => options.keys as readonly string[];
  /** Accepted signature (base64) -> the Unix second after which it can be forgotten. */
  const seen = new Map<string, number>();
  const prune = (nowSeconds: number) => {
    for (const [signature, expires] of seen) if (expires < nowSeconds) seen.delete(signature);
  };
  return {
    verify(headers, body) {
      const nowSeconds = Math.floor(now() / 1000);
      prune(nowSeconds);
      const result = verifyWebhookSignature({
        headers,
        body,
        keys: keysOf(),
        nowSeconds,
        toleranceSeconds: tolerance,
      });
      if (!result.valid) return result;
      const parsed = parseWebhookHeaders(headers);
      const signatures = typeof parsed === 'string' ? [] : parsed.signatures;
      if (signatures.some((signature) => seen.has(signature))) return { valid: false, reason: 'replayed' };
      for (const signature of signatures) seen.set(signature, result.timestamp + tolerance);
      return result;
    },
    get remembered() {
      return seen.size;
    },
  };
}
