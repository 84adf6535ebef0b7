import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { parseJsonObject } from '../../shared/secret-json';

/**
 * The fields of an access key secret and the spellings each is accepted under: camelCase (the
 * canonical form Handover writes for new secrets) and the PascalCase of the IAM API and
 * `aws iam create-access-key` output. `serialize` writes a field back under the spelling(s) the
 * secret already used, so consumers keep reading the key they read before.
 */
export const FIELD_SPELLINGS = {
  username: ['username', 'UserName'],
  accessKeyId: ['accessKeyId', 'AccessKeyId'],
  secretAccessKey: ['secretAccessKey', 'SecretAccessKey'],
} as const;

type Field = keyof typeof FIELD_SPELLINGS;
const FIELDS = Object.keys(FIELD_SPELLINGS) as Field[];

/** IAM's user name constraint. */
const USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** IAM access key ids: uppercase letters and digits (`AKIA` + 16 for IAM users). */
const ACCESS_KEY_ID_PATTERN = /^[A-Z0-9]{16,128}$/;

const nonEmpty = z
  .string({ error: 'expected a string' })
  .check(z.minLength(1, { error: 'expected a non-empty string' }));

/** The normalised access key secret (canonical field names). */
export const accessKeySecretSchema = z.object({
  username: nonEmpty.check(
    z.refine((value: string) => USER_NAME_PATTERN.test(value), {
      error: 'expected an IAM user name (1-64 characters of letters, digits and +=,.@_-)',
    }),
  ),
  accessKeyId: nonEmpty.check(
    z.refine((value: string) => ACCESS_KEY_ID_PATTERN.test(value), {
      error: 'expected an access key id (16-128 uppercase letters and digits, e.g. AKIA...)',
      abort: true,
    }),
    z.refine((value: string) => !value.startsWith('ASIA'), {
      error: 'is a temporary (STS) access key id: only long-term IAM user keys (AKIA...) can be rotated',
    }),
  ),
  secretAccessKey: nonEmpty,
});

/** A parsed IAM access key secret. */
export interface AccessKeySecret {
  /** The IAM user name: public, safe to log. */
  readonly username: string;
  /** The access key id: log it only masked ({@link maskAccessKeyId}) or fingerprinted. */
  readonly accessKeyId: string;
  /** The secret access key: never logged, never in an error. */
  readonly secretAccessKey: string;
  /**
   * The JSON object exactly as parsed, unknown fields included. `serialize` starts from it, so
   * fields Handover does not know survive rotation. It holds the secret: never log it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Picks each field from whichever spelling the secret uses; both spellings must then agree. */
function normalise(raw: Record<string, unknown>): {
  values: Record<Field, unknown>;
  names: Record<Field, string>;
} {
  const values = {} as Record<Field, unknown>;
  const names = {} as Record<Field, string>;
  for (const field of FIELDS) {
    const present = FIELD_SPELLINGS[field].filter((name) => raw[name] !== undefined);
    const [first, second] = present;
    names[field] = first ?? field;
    values[field] = first === undefined ? undefined : raw[first];
    if (first !== undefined && second !== undefined && raw[first] !== raw[second]) {
      throw new SecretFormatError(
        field,
        `secret fields "${first}" and "${second}" are both present and differ: keep one spelling`,
      );
    }
  }
  return { values, names };
}

/**
 * Parses and validates an IAM access key secret: `{ "username", "accessKeyId", "secretAccessKey" }`
 * (or `UserName` / `AccessKeyId` / `SecretAccessKey`). Bad input throws a `SecretFormatError`
 * naming the field as the secret spells it, and never includes a value.
 *
 * @example
 * ```ts
 * const secret = parseAccessKeySecret('{"username":"app","accessKeyId":"AKIA...","secretAccessKey":"..."}');
 * ```
 */
export function parseAccessKeySecret(value: string): AccessKeySecret {
  const raw = parseJsonObject(value);
  const { values, names } = normalise(raw);
  const result = accessKeySecretSchema.safeParse(values);
  if (!result.success) {
    // Report the first issue; the issue messages are ours and never echo the input.
    const issue = result.error.issues[0];
    const field = (issue?.path[0] ?? '$') as Field | '$';
    const name = field === '$' ? '$' : names[field];
    const missing = field !== '$' && values[field] === undefined;
    throw new SecretFormatError(
      name,
      missing
        ? `secret field "${name}" is required (spelled "${FIELD_SPELLINGS[field as Field].join('" or "')}")`
        : `secret field "${name}" ${issue?.message ?? 'is invalid'}`,
    );
  }
  return { ...result.data, raw };
}

/**
 * Serialises a secret for PutSecretValue: the original JSON object with each known field written
 * back under the spelling(s) it had (camelCase when it had none); unknown fields are preserved.
 */
export function serializeAccessKeySecret(value: AccessKeySecret): string {
  const out: Record<string, unknown> = { ...value.raw };
  for (const field of FIELDS) {
    const present = FIELD_SPELLINGS[field].filter((name) => value.raw[name] !== undefined);
    for (const name of present.length > 0 ? present : [field]) out[name] = value[field];
  }
  return JSON.stringify(out);
}

/**
 * The loggable form of an access key id: its first four and last four characters,
 * `AKIA…WXYZ`. The middle is what a log line must not carry.
 *
 * @example
 * ```ts
 * maskAccessKeyId('AKIAIOSFODNN7EXAMPLE'); // 'AKIA…MPLE'
 * ```
 */
export function maskAccessKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '…' : `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}

const KEY_ID_IN_TEXT = /\b(?:AKIA|ASIA)[A-Z0-9]{12,124}\b/g;

/** Masks every access key id in a text, e.g. an AWS error message. */
export function maskAccessKeyIds(text: string): string {
  return text.replace(KEY_ID_IN_TEXT, (id) => maskAccessKeyId(id));
}
