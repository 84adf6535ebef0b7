/**
 * Patterns of AWS identifiers that plug-in contracts and the policy validation share. Pure.
 */

/** The parts every ARN pattern shares: partition, region, account. */
export const ARN_PART = {
  partition: 'aws[a-z-]*',
  region: '[a-z]{2}(?:-[a-z]+)+-\\d',
  account: '\\d{12}',
} as const;

// Literal patterns (not built from ARN_PART) so a bundle that does not use them leaves them out.

/** A KMS key ARN (a key id or a multi-Region key), never an alias. */
export const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/[0-9a-fA-F-]{36}$|^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/mrk-[0-9a-f]{32}$/;

/** A Lambda function name or ARN, optionally qualified (`:live`, `:3`). */
export const FUNCTION_NAME =
  /^(arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/;

/** An ECS cluster or service name or ARN. */
export const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$|^arn:aws[a-z-]*:ecs:[^\s]+$/;

/** An SSM parameter name. */
export const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;

/** An EventBridge event bus name. */
export const EVENT_BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;

/** An environment variable name. */
export const ENVIRONMENT_VARIABLE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
