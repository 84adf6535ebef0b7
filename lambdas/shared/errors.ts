/**
 * The error hierarchy of Handover. Every error sets `name`, accepts `ErrorOptions` (so it can carry
 * a `cause`) and carries only redacted context: ARNs, version ids, stage names, usernames, field
 * names. Never a password, key secret, token or connection string.
 */

/** Base class: every error Handover throws on purpose is a `HandoverError`. */
export class HandoverError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandoverError';
  }
}

/** A required environment variable is missing or malformed. */
export class ConfigurationError extends HandoverError {
  readonly variable: string;
  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
    this.variable = variable;
  }
}

/** The rotation event does not have the shape Secrets Manager sends. Nothing was changed. */
export class RotationEventError extends HandoverError {
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationEventError';
    this.field = field;
  }
}

/**
 * A secret value is not valid JSON or does not match its credential type's schema. `field` names
 * the offending field (`$` for the whole value). The message never includes the value itself.
 * Nothing was changed.
 */
export class SecretFormatError extends HandoverError {
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretFormatError';
    this.field = field;
  }
}

/**
 * The secret's versions and staging labels do not allow the requested step (rotation disabled,
 * unknown token, token not AWSPENDING, ...). Nothing was changed.
 */
export class RotationStateError extends HandoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationStateError';
  }
}

/** A credential could not be used to log in or failed its test. */
export class CredentialTestError extends HandoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CredentialTestError';
  }
}

/** The target system (database, provider) refused or failed an operation. */
export class TargetError extends HandoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetError';
  }
}

/** A consumer could not be updated or verified. `consumer` names it. */
export class ConsumerError extends HandoverError {
  readonly consumer: string;
  constructor(consumer: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsumerError';
    this.consumer = consumer;
  }
}

/** Why a rotation step was refused (see {@link RotationRefusedError}). */
export type RotationRefusal = 'rollout-in-progress' | 'not-rolled-out' | 'user-in-use';

/**
 * A rotation step refused to run because it would take away a credential consumers still hold:
 * `rollout-in-progress` (a live rollout of the secret keeps the previous credential valid for its
 * consumers), `not-rolled-out` (the previous rotation was never rolled out: consumers may still hold
 * its predecessor) or `user-in-use` (alternating users: the user this rotation would reset still has
 * sessions). Nothing was changed; Secrets Manager retries the rotation later.
 */
export class RotationRefusedError extends HandoverError {
  readonly secretId: string;
  readonly reason: RotationRefusal;
  constructor(secretId: string, reason: RotationRefusal, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationRefusedError';
    this.secretId = secretId;
    this.reason = reason;
  }
}
