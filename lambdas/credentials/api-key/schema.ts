import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import type { AnyProviderDefinition, ProviderId } from './provider';

/** A secret ARN, e.g. `arn:aws:secretsmanager:eu-west-1:123456789012:secret:sendgrid-admin-AbCdEf`. */
export const SECRET_ARN_PATTERN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** A key name prefix: what the provider shows before the rotation tag. */
export const KEY_NAME_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
/** Key ids travel in URLs and logs: printable ASCII without spaces or `/`, at most 256 characters. */
const KEY_ID_PATTERN = /^[!-.0-~]{1,256}$/;

const nonEmpty = z
  .string({ error: 'expected a string' })
  .check(z.minLength(1, { error: 'expected a non-empty string' }));

/**
 * Fields every API key secret has besides `provider`, whatever the provider: {@link parseApiKeySecret}
 * checks `provider` first, against the providers it is given.
 */
export const apiKeySecretSchema = z.object({
  managementSecretArn: z.optional(
    z.string({ error: 'expected a string' }).check(
      z.regex(SECRET_ARN_PATTERN, {
        error: 'expected the full ARN of the secret that holds the management credential',
      }),
    ),
  ),
  keyId: z.string({ error: 'expected a string' }).check(
    z.regex(KEY_ID_PATTERN, {
      error: 'expected the key id: 1 to 256 printable ASCII characters, no spaces or "/"',
    }),
  ),
  apiKey: nonEmpty.check(z.maxLength(8192, { error: 'expected at most 8192 characters' })),
  keyName: z.optional(nonEmpty),
  keyNamePrefix: z.optional(
    z.string({ error: 'expected a string' }).check(
      z.regex(KEY_NAME_PREFIX_PATTERN, {
        error: `expected ${KEY_NAME_PREFIX_PATTERN.source} (it starts every key name Handover creates)`,
      }),
    ),
  ),
});

/**
 * A parsed API key secret. The JSON also carries the provider's own non-secret settings (SendGrid
 * `scopes`, Twilio `accountSid`, generic `service` and `params`), validated by the provider.
 */
export interface ApiKeySecret {
  readonly provider: ProviderId;
  /**
   * ARN of the secret holding the provider management credential (never the rotated secret).
   * Required for a provider with a management API; absent for an operator-assisted one.
   */
  readonly managementSecretArn?: string;
  /** The provider's id of the key: public, logged. */
  readonly keyId: string;
  /** The key itself. Never logged. */
  readonly apiKey: string;
  /** The provider-side name of the key, when Handover created it. */
  readonly keyName?: string;
  /**
   * Starts the names of keys Handover creates.
   * @default - `handover-<secret name>`
   */
  readonly keyNamePrefix?: string;
  /** The provider's validated settings (type depends on `provider`). */
  readonly settings: unknown;
  /**
   * The JSON object exactly as parsed, unknown fields included. `serialize` starts from it, so
   * fields Handover does not know survive rotation. It holds the key: never log it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Parses a secret string that must be a JSON object; the value never reaches the error. */
export function parseJsonObject(value: string, what = 'secret value'): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    // The SyntaxError's message quotes the input: do not keep it, not even as a cause.
    throw new SecretFormatError('$', `${what} is not valid JSON: expected a JSON object`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SecretFormatError('$', `${what} must be a JSON object`);
  }
  return json as Record<string, unknown>;
}

/**
 * Validates `raw` against `schema`; the first issue becomes a `SecretFormatError` naming the field.
 * zod issue messages here are ours and never echo the input.
 */
export function validateFields<S extends z.ZodMiniType>(
  schema: S,
  raw: Record<string, unknown>,
  what = 'secret field',
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '$';
  const top = issue?.path[0];
  const missing = issue?.path.length === 1 && raw[String(top)] === undefined;
  throw new SecretFormatError(
    field,
    `${what} "${field}" ${missing ? 'is required' : (issue?.message ?? 'is invalid')}`,
  );
}

/**
 * Parses and validates an API key secret: the common fields, then the provider's settings.
 * Bad input throws a `SecretFormatError` naming the field and what was expected, never the value.
 */
export function parseApiKeySecret(
  value: string,
  providers: Readonly<Record<ProviderId, Pick<AnyProviderDefinition, 'parseSettings' | 'kind'>>>,
): ApiKeySecret {
  const raw = parseJsonObject(value);
  const provider = raw.provider;
  if (typeof provider !== 'string' || !Object.hasOwn(providers, provider)) {
    throw new SecretFormatError(
      'provider',
      `secret field "provider" ${provider === undefined ? 'is required' : `expected one of ${Object.keys(providers).join(', ')}`}`,
    );
  }
  const common = validateFields(apiKeySecretSchema, raw);
  const definition = providers[provider as ProviderId];
  if (definition.kind !== 'operator-assisted' && common.managementSecretArn === undefined) {
    throw new SecretFormatError('managementSecretArn', 'secret field "managementSecretArn" is required');
  }
  const settings = definition.parseSettings(raw);
  return { ...common, provider: provider as ProviderId, settings, raw };
}

const WRITTEN_FIELDS = ['provider', 'managementSecretArn', 'keyId', 'apiKey', 'keyName'] as const;

/**
 * Serialises a secret for PutSecretValue: the original JSON object with the fields Handover owns
 * written back. Provider settings and unknown fields are preserved as they were.
 */
export function serializeApiKeySecret(value: ApiKeySecret): string {
  const out: Record<string, unknown> = { ...value.raw };
  for (const key of WRITTEN_FIELDS) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return JSON.stringify(out);
}
