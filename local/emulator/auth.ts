import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { type AwsProtocol, type AwsServiceError, authError } from './errors';
import type { IamService } from './iam';
import type { HttpRequest } from './protocol';

/** An access key pair. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Who signed a request, as CloudTrail's `userIdentity` names it: the account's administrator (the
 * bootstrap credentials, `Root`) or an IAM user whose access key the emulated IAM issued.
 */
export interface Principal {
  readonly type: 'Root' | 'IAMUser';
  /** `arn:aws:iam::<account>:root` or the IAM user's ARN. */
  readonly arn: string;
  readonly accountId: string;
  /** The account id for `Root`, the user id (`AIDA...`) for an IAM user. */
  readonly principalId: string;
  /** The IAM user's name; absent for `Root`. */
  readonly userName?: string;
  /** The access key id the request was signed with. */
  readonly accessKeyId: string;
}

/** The parts of a SigV4 `Authorization` header. */
export interface SigV4Authorization {
  readonly accessKeyId: string;
  /** `YYYYMMDD` */
  readonly scopeDate: string;
  readonly region: string;
  /** The signing name, e.g. `iam`, `sts`, `secretsmanager`, `monitoring`. */
  readonly service: string;
  /** Lower-case header names, in the order the header lists them. */
  readonly signedHeaders: readonly string[];
  /** Hex. */
  readonly signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SKEW_MS = 15 * 60 * 1000;
const CREDENTIAL_PATTERN = /^([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request$/;

function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Reads a SigV4 `Authorization` header: `undefined` when the request has none (or another
 * scheme), the name of the first missing or malformed part when it is incomplete.
 *
 * @example
 * ```ts
 * parseAuthorization({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIA.../20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab12...' });
 * // { accessKeyId: 'AKIA...', scopeDate: '20260101', region: 'us-east-1', service: 'iam', signedHeaders: ['host', 'x-amz-date'], signature: 'ab12...' }
 * ```
 */
export function parseAuthorization(
  headers: HttpRequest['headers'],
): SigV4Authorization | { readonly missing: string } | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string' || !value.startsWith(`${ALGORITHM} `)) return undefined;
  const parts = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const index = part.indexOf('=');
    if (index > 0) parts.set(part.slice(0, index).trim(), part.slice(index + 1).trim());
  }
  const credential = CREDENTIAL_PATTERN.exec(parts.get('Credential') ?? '');
  if (credential === null) return { missing: 'Credential' };
  const signedHeaders = parts.get('SignedHeaders');
  if (signedHeaders === undefined || signedHeaders === '') return { missing: 'SignedHeaders' };
  const signature = parts.get('Signature');
  if (signature === undefined || !/^[0-9a-f]{64}$/.test(signature)) return { missing: 'Signature' };
  const [, accessKeyId = '', scopeDate = '', region = '', service = ''] = credential;
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: signedHeaders.split(';').map((name) => name.toLowerCase()),
    signature,
  };
}

/** `20260101T120000Z` -> Date; `undefined` when malformed. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The SigV4 signature of `request` as the SDK's own signer (`@smithy/signature-v4`) computes it
 * from the canonical request: the method, the path as sent, the query, the headers the client
 * listed in `SignedHeaders`, and the body's SHA-256, signed with `secretAccessKey` for the
 * credential scope of `authorization`.
 */
export async function computeSignature(
  request: HttpRequest,
  authorization: SigV4Authorization,
  secretAccessKey: string,
  signingDate: Date,
): Promise<string> {
  const [rawPath = '/', rawQuery = ''] = request.url.split('?', 2);
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const headers: Record<string, string> = {};
  for (const name of authorization.signedHeaders) {
    const value = header(request, name);
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({
    service: authorization.service,
    region: authorization.region,
    credentials: { accessKeyId: authorization.accessKeyId, secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: authorization.service !== 's3',
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: header(request, 'host') ?? '',
      path: rawPath,
      query,
      headers,
      body: request.body,
    },
    {
      signingDate,
      signingRegion: authorization.region,
      signingService: authorization.service,
      signableHeaders: new Set(authorization.signedHeaders),
    },
  );
  const value = signed.headers.authorization ?? '';
  return /Signature=([0-9a-f]{64})/.exec(value)?.[1] ?? '';
}

/** Options of the {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Where IAM-issued access keys, their secrets and their users are looked up. */
  readonly iam: IamService;
  /** The account the bootstrap credentials administer. */
  readonly accountId: string;
  /**
   * The bootstrap credentials: requests they sign act as the account's administrator.
   * @default - the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` of this process, read at each
   * request (`test` / `test` when unset)
   */
  readonly credentials?: Credentials;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

/**
 * Authenticates every request like AWS: a SigV4 signature recomputed with the SDK's signer and the
 * secret of the signing access key, compared in constant time; `X-Amz-Date` at most 15 minutes
 * off; the access key either the bootstrap credentials (the account's administrator) or one the
 * emulated IAM issued that exists, is Active and has propagated. Failures are the protocol's own
 * errors (see `AUTH_ERROR`). Presigned URLs (query-string authentication) are not supported.
 *
 * @example
 * ```ts
 * const authenticator = new Authenticator({ iam, accountId: '123456789012' });
 * const caller = await authenticator.authenticate(request, handler); // throws AwsServiceError
 * ```
 */
export class Authenticator {
  readonly #iam: IamService;
  readonly #accountId: string;
  readonly #credentials: Credentials | undefined;
  readonly #now: () => Date;

  constructor(options: AuthenticatorOptions) {
    this.#iam = options.iam;
    this.#accountId = options.accountId;
    this.#credentials = options.credentials;
    this.#now = options.now ?? (() => new Date());
  }

  /** The bootstrap credentials in effect now. */
  get bootstrapCredentials(): Credentials {
    return (
      this.#credentials ?? {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'test',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'test',
      }
    );
  }

  /** The access key id and region a request claims in its SigV4 credential scope (nothing checked). */
  static scopeOf(request: HttpRequest): { accessKeyId: string; region: string } | undefined {
    const parsed = parseAuthorization(request.headers);
    return parsed !== undefined && 'accessKeyId' in parsed
      ? { accessKeyId: parsed.accessKeyId, region: parsed.region }
      : undefined;
  }

  /**
   * Returns who signed `request` for the service `target` serves, or throws the protocol's
   * authentication error. Records the last use of an IAM-issued key.
   */
  async authenticate(
    request: HttpRequest,
    target: { readonly service: string; readonly signingName: string; readonly protocol: AwsProtocol },
  ): Promise<Principal> {
    const fail = (failure: Parameters<typeof authError>[0], message?: string): AwsServiceError =>
      authError(failure, target.protocol, message);
    const authorization = parseAuthorization(request.headers);
    if (authorization === undefined) throw fail('missingAuthenticationToken');
    if ('missing' in authorization) {
      throw fail(
        'incompleteSignature',
        `Authorization header requires '${authorization.missing}' parameter.`,
      );
    }
    const signingDate = parseAmzDate(header(request, 'x-amz-date'));
    if (signingDate === undefined || !authorization.signedHeaders.includes('x-amz-date')) {
      throw fail(
        'incompleteSignature',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    const now = this.#now();
    if (signingDate.getTime() < now.getTime() - SKEW_MS) {
      const limit = new Date(now.getTime() - SKEW_MS);
      throw fail(
        'signatureDoesNotMatch',
        `Signature expired: ${amzDate(signingDate)} is now earlier than ${amzDate(limit)} (${amzDate(now)} - 15 min.)`,
      );
    }
    if (signingDate.getTime() > now.getTime() + SKEW_MS) {
      const limit = new Date(now.getTime() + SKEW_MS);
      throw fail(
        'signatureDoesNotMatch',
        `Signature not yet current: ${amzDate(signingDate)} is still later than ${amzDate(limit)} (${amzDate(now)} + 15 min.)`,
      );
    }
    if (authorization.service !== target.signingName) {
      throw fail(
        'signatureDoesNotMatch',
        `Credential should be scoped to correct service: '${target.signingName}'.`,
      );
    }
    const signer = this.#signer(authorization.accessKeyId);
    if (signer === undefined) throw fail('unrecognizedClient');
    const expected = Buffer.from(
      await computeSignature(request, authorization, signer.secretAccessKey, signingDate),
    );
    const provided = Buffer.from(authorization.signature);
    if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
      throw fail('signatureDoesNotMatch');
    }
    if (signer.principal.type === 'IAMUser') {
      this.#iam.recordUse(authorization.accessKeyId, target.service, authorization.region);
    }
    return signer.principal;
  }

  #signer(accessKeyId: string): { secretAccessKey: string; principal: Principal } | undefined {
    const bootstrap = this.bootstrapCredentials;
    if (accessKeyId === bootstrap.accessKeyId) {
      return {
        secretAccessKey: bootstrap.secretAccessKey,
        principal: {
          type: 'Root',
          arn: `arn:aws:iam::${this.#accountId}:root`,
          accountId: this.#accountId,
          principalId: this.#accountId,
          accessKeyId,
        },
      };
    }
    const key = this.#iam.usableKey(accessKeyId);
    if (key === undefined) return undefined;
    return {
      secretAccessKey: key.secretAccessKey,
      principal: {
        type: 'IAMUser',
        arn: key.identity.arn,
        accountId: key.identity.accountId,
        principalId: key.identity.userId,
        userName: key.identity.userName,
        accessKeyId,
      },
    };
  }
}
