import type { Duration } from 'aws-cdk-lib';
import type * as z from 'zod/mini';
import { defaultStrategyOf, settingsSchema } from '../../lambdas/credentials/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';
import {
  type CredentialTypeSpec,
  ROTATION_TYPES,
  type SpecProblem,
  specOf,
  type TargetField,
  targetsOf,
} from './credential-types';
import type { RotationSchedule } from './rotation-schedule';

/** What the checks look at: one secret's rotation, as a construct or a policy declares it. */
export interface RotationCheckInput {
  readonly type: CredentialType;
  /** The settings as given (the type's contract settings, `strategy` included when given). */
  readonly settings: Readonly<Record<string, unknown>>;
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
   * The function memory, in MiB, as given.
   * @default 256
   */
  readonly memorySize?: unknown;
}

/** One rule across a rotation's fields; its problems name the field, the value and what is allowed. */
export interface RotationCheck {
  /** What the check proves, in a few words. */
  readonly name: string;
  problems(input: RotationCheckInput, spec: CredentialTypeSpec, strategy: string): SpecProblem[];
}

/**
 * The rules across a rotation's fields that the settings schema cannot say alone, in the order
 * their problems are listed. `SecretRotation` and the policy validation both run them, so both
 * refuse the same things with the same words. A new rule is one more entry.
 */
export const ROTATION_CHECKS: readonly RotationCheck[] = [
  {
    name: 'the targets the strategy needs, and only those',
    problems: ({ type, targets }, spec, strategy) => {
      const { required, allowed } = targetsOf(spec, strategy);
      return [
        ...required
          .filter((field) => !targets.includes(field))
          .map((field) => ({ field, received: 'nothing', allowed: `required by ${type} ${strategy}` })),
        ...targets
          .filter((field) => !allowed.includes(field))
          .map((field) => ({
            field,
            received: 'a value',
            allowed: `nothing: ${type} ${strategy} does not use ${field}`,
          })),
      ];
    },
  },
  {
    name: 'a VPC for a type whose target lives in one',
    problems: ({ type, inVpc }, spec) =>
      spec.network === 'required' && !inVpc
        ? [
            {
              field: 'network',
              received: 'nothing',
              allowed: `a VPC placement (vpc id, subnet ids): ${type} rotation connects to the database inside its VPC`,
            },
          ]
        : [],
  },
  {
    name: 'a database rule only inside a VPC',
    problems: ({ targets, inVpc }) =>
      targets.includes('database') && !inVpc
        ? [
            {
              field: 'database',
              received: 'a security group rule',
              allowed:
                'only with a VPC placement (the rule opens the database to the function security group)',
            },
          ]
        : [],
  },
  {
    name: 'a schedule Secrets Manager accepts',
    problems: ({ schedule }) => [...(schedule?.validate() ?? [])],
  },
  {
    name: 'a timeout that lets a step finish',
    problems: ({ settings, timeout: given }, spec) => {
      const timeout = given ?? spec.timeout;
      const seconds = timeout.toSeconds({ integral: false });
      if (seconds < 1 || seconds > 900) {
        return [{ field: 'timeout', received: timeout.toHumanString(), allowed: '1 second to 15 minutes' }];
      }
      const minimum = spec.minTimeout?.(settings);
      return minimum !== undefined && seconds < minimum.toSeconds({ integral: false })
        ? [
            {
              field: 'timeout',
              received: timeout.toHumanString(),
              allowed: `at least ${minimum.toHumanString()} with these settings (a step must finish its retries before Lambda stops it)`,
            },
          ]
        : [];
    },
  },
  {
    name: 'a memory size Lambda offers',
    problems: ({ memorySize: memory }) =>
      memory !== undefined &&
      (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 128 || memory > 10_240)
        ? [{ field: 'memorySize', received: String(memory), allowed: 'an integer from 128 to 10240 (MiB)' }]
        : [],
  },
];

/** The value at `path` inside `value`. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Every problem with a rotation's settings, against its type's contract: a setting the type does
 * not read first, then each value that breaks its rule (the strategy among them).
 */
export function settingsProblems(
  type: CredentialType,
  settings: Readonly<Record<string, unknown>>,
): SpecProblem[] {
  const contract = specOf(type).contract;
  const result = settingsSchema(contract).safeParse(settings);
  if (result.success) return [];
  const known = Object.keys(contract.settings).filter((name) => name !== 'strategy');
  const unused: SpecProblem[] = [];
  const invalid: SpecProblem[] = [];
  for (const issue of result.error.issues as z.core.$ZodIssue[]) {
    if (issue.code === 'unrecognized_keys') {
      for (const name of issue.keys) {
        unused.push({
          field: name,
          received: JSON.stringify(settings[name]),
          allowed: `nothing: ${type} does not use ${name}${known.length > 0 ? ` (it uses ${known.join(', ')})` : ''}`,
        });
      }
    } else {
      const received = (issue as { params?: { received?: unknown } }).params?.received;
      invalid.push({
        field: issue.path.map(String).join('.'),
        received: typeof received === 'string' ? received : JSON.stringify(valueAt(settings, issue.path)),
        allowed: issue.message,
      });
    }
  }
  return [...unused, ...invalid];
}

/**
 * Every problem with one secret's rotation, against its type's contract and spec in
 * `ROTATION_TYPES`: the settings (strategy included), then {@link ROTATION_CHECKS}. Empty when it
 * can be deployed.
 */
export function checkRotation(input: RotationCheckInput): SpecProblem[] {
  if (!Object.hasOwn(ROTATION_TYPES, input.type)) {
    return [
      {
        field: 'type',
        received: JSON.stringify(input.type),
        allowed: `one of ${Object.keys(ROTATION_TYPES).join(', ')}`,
      },
    ];
  }
  const spec = specOf(input.type);
  const strategy = String(input.settings.strategy ?? defaultStrategyOf(spec.contract));
  return [
    ...settingsProblems(input.type, input.settings),
    ...ROTATION_CHECKS.flatMap((check) => check.problems(input, spec, strategy)),
  ];
}
