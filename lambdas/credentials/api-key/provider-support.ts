import type * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { ProviderRequestError } from './http-client';
import type { IssuedKey } from './provider';
import { parseJsonObject, validateFields } from './schema';

/** How 401 / 403 messages name the management credential: by its secret's ARN, never its value. */
export function managementLabel(managementSecretArn: string): string {
  return `management credential (secret ${managementSecretArn})`;
}

/** How 401 / 403 messages name an issued key: `new key SK...` / `current key SK...`. */
export function keyLabel(key: Pick<IssuedKey, 'keyId' | 'role'>): string {
  return `${key.role} key ${key.keyId}`;
}

/**
 * Parses a management secret (a JSON object) against `schema`. Errors name the management
 * secret's ARN and the field, never the value.
 */
export function parseManagementSecret<S extends z.ZodMiniType>(
  value: string,
  managementSecretArn: string,
  schema: S,
  expected: string,
): z.output<S> {
  try {
    return validateFields(
      schema,
      parseJsonObject(value, 'management secret value'),
      'management secret field',
    );
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new SecretFormatError(
      error.field,
      `management secret ${managementSecretArn}: ${error.message} (expected ${expected})`,
    );
  }
}

/** `Authorization: Basic ...` for a user and password. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * A 2xx response whose body is not what the provider documents. `mayHaveTakenEffect` is true for a
 * create: the key may exist although its id or secret could not be read.
 */
export function unexpectedResponse(
  provider: string,
  operation: string,
  missing: string,
  mayHaveTakenEffect: boolean,
): ProviderRequestError {
  return new ProviderRequestError(
    { provider, operation, failure: 'bad-response', attempts: 1, mayHaveTakenEffect },
    `${provider} ${operation}: unexpected response: ${missing}`,
  );
}

/** Validates a provider response body; only field names reach the error, never values. */
export function readResponse<S extends z.ZodMiniType>(
  schema: S,
  json: unknown,
  provider: string,
  operation: string,
  mayHaveTakenEffect = false,
): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.map(String).join('.') || 'body'))];
  throw unexpectedResponse(
    provider,
    operation,
    `missing or invalid ${fields.join(', ')}`,
    mayHaveTakenEffect,
  );
}

/** Joins a base URL and a path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
