import { invalidParameter } from './errors';

/** A decoded request body: the operation's input members by their wire names. */
export type OperationInput = Readonly<Record<string, unknown>>;

function typeError(field: string, expected: string, value: unknown): never {
  const received = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  throw invalidParameter(`${field} must be ${expected}, got ${received}`);
}

/** Reads a required, non-empty string member. */
export function requireString(input: OperationInput, field: string): string {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    throw invalidParameter(`You must provide a value for the ${field} parameter.`);
  }
  if (typeof value !== 'string') typeError(field, 'a string', value);
  return value;
}

/** Reads an optional string member. */
export function optionalString(input: OperationInput, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') typeError(field, 'a string', value);
  return value;
}

/** Reads an optional boolean member. */
export function optionalBoolean(input: OperationInput, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') typeError(field, 'a boolean', value);
  return value;
}

/** Reads an optional integer member and checks its range. */
export function optionalInteger(
  input: OperationInput,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) typeError(field, 'an integer', value);
  if (value < min || value > max) {
    throw invalidParameter(`${field} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Reads an optional list of strings. */
export function optionalStringList(input: OperationInput, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    typeError(field, 'a list of strings', value);
  }
  return value;
}

/** Reads an optional binary member (already decoded from base64 by the protocol). */
export function optionalBinary(input: OperationInput, field: string): Uint8Array | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Uint8Array)) typeError(field, 'binary data', value);
  return value;
}

/** Reads an optional structure member. */
export function optionalObject(input: OperationInput, field: string): OperationInput | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    typeError(field, 'a structure', value);
  }
  return value as OperationInput;
}

/** Reads an optional list of structures. */
export function optionalObjectList(input: OperationInput, field: string): OperationInput[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))
  ) {
    typeError(field, 'a list of structures', value);
  }
  return value as OperationInput[];
}
