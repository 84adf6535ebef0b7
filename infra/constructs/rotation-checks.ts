import type { Duration } from 'aws-cdk-lib';
import type { CredentialType } from '../../lambdas/rotation/constants';
import type { RotationSchedule } from './rotation-schedule';
import {
  ROTATION_TYPES,
  type RotationSettings,
  type SettingField,
  type SpecProblem,
  type TargetField,
} from './credential-types';

/** What {@link checkRotation} looks at: one secret's rotation, as a construct or a policy declares it. */
export interface RotationCheckInput {
  readonly type: CredentialType;
  readonly settings: RotationSettings;
  /** The targets given (per-secret resources). */
  readonly targets: readonly TargetField[];
  /**
   * The schedule to check.
   * @default - none checked
   */
  readonly schedule?: RotationSchedule;
  /** Whether the function is placed in a VPC. */
  readonly inVpc: boolean;
  /**
   * The function timeout.
   * @default - the type's timeout
   */
  readonly timeout?: Duration;
  /**
   * The function memory, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
}

const SETTING_NAMES = [
  'tlsMode',
  'passwordLength',
  'connectTimeoutMs',
  'testTimeoutMs',
  'activePreviousKey',
  'providerBaseUrls',
  'httpServices',
  'requestTimeoutMs',
  'metricsNamespace',
  'requireVerifierHeartbeat',
] as const satisfies readonly SettingField[];

/**
 * Every problem with one secret's rotation, against its type's spec in `ROTATION_TYPES`: strategy,
 * settings the type does not read, their values, missing or unused targets, network placement and
 * schedule. Empty when it can be deployed. Shared by {@link SecretRotation} and the policy validator,
 * so both refuse the same things with the same words.
 */
export function checkRotation(input: RotationCheckInput): SpecProblem[] {
  const spec = ROTATION_TYPES[input.type];
  if (spec === undefined) {
    return [
      {
        field: 'type',
        received: JSON.stringify(input.type),
        allowed: `one of ${Object.keys(ROTATION_TYPES).join(', ')}`,
      },
    ];
  }
  const problems: SpecProblem[] = [];
  const strategy = input.settings.strategy ?? spec.defaultStrategy;
  if (!spec.strategies.includes(strategy)) {
    problems.push({
      field: 'strategy',
      received: JSON.stringify(strategy),
      allowed: `one of ${spec.strategies.join(', ')} for ${input.type}`,
    });
  }
  for (const name of SETTING_NAMES) {
    if (input.settings[name] !== undefined && !spec.settings.includes(name)) {
      problems.push({
        field: name,
        received: JSON.stringify(input.settings[name]),
        allowed: `nothing: ${input.type} does not use ${name}${
          spec.settings.length > 0 ? ` (it uses ${spec.settings.join(', ')})` : ''
        }`,
      });
    }
  }
  problems.push(...spec.validateSettings(input.settings));
  const { required, allowed } = spec.targets(strategy);
  for (const field of required) {
    if (!input.targets.includes(field)) {
      problems.push({ field, received: 'nothing', allowed: `required by ${input.type} ${strategy}` });
    }
  }
  for (const field of input.targets) {
    if (!allowed.includes(field)) {
      problems.push({
        field,
        received: 'a value',
        allowed: `nothing: ${input.type} ${strategy} does not use ${field}`,
      });
    }
  }
  if (spec.network === 'required' && !input.inVpc) {
    problems.push({
      field: 'network',
      received: 'nothing',
      allowed: `a VPC placement (vpc id, subnet ids): ${input.type} rotation connects to the database inside its VPC`,
    });
  }
  if (input.targets.includes('database') && !input.inVpc) {
    problems.push({
      field: 'database',
      received: 'a security group rule',
      allowed: 'only with a VPC placement (the rule opens the database to the function security group)',
    });
  }
  for (const problem of input.schedule?.validate() ?? []) problems.push(problem);
  const timeout = input.timeout ?? spec.timeout;
  const minimum = spec.minTimeout?.(input.settings);
  const timeoutSeconds = timeout.toSeconds({ integral: false });
  if (timeoutSeconds < 1 || timeoutSeconds > 900) {
    problems.push({ field: 'timeout', received: timeout.toHumanString(), allowed: '1 second to 15 minutes' });
  } else if (minimum !== undefined && timeoutSeconds < minimum.toSeconds({ integral: false })) {
    problems.push({
      field: 'timeout',
      received: timeout.toHumanString(),
      allowed: `at least ${minimum.toHumanString()} with these settings (a step must finish its retries before Lambda stops it)`,
    });
  }
  const memory = input.memorySize;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10_240)) {
    problems.push({
      field: 'memorySize',
      received: String(memory),
      allowed: 'an integer from 128 to 10240 (MiB)',
    });
  }
  return problems;
}
