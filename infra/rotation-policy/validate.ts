import { Duration } from 'aws-cdk-lib';
import { CREDENTIAL_TYPES, type CredentialType } from '../../lambdas/rotation/constants';
import { checkRotation } from '../constructs/rotation-checks';
import { RotationSchedule } from '../constructs/rotation-schedule';
import { ROTATION_TYPES, type RotationSettings, type TargetField } from '../constructs/credential-types';
import type {
  AlarmPolicy,
  ConsumerKind,
  ConsumerPolicy,
  FunctionPolicy,
  NetworkPolicy,
  NewSecretPolicy,
  RotationPolicy,
  SecretReference,
  SecretSource,
} from './types';

/** One thing wrong with a policy. */
export interface PolicyProblem {
  /** The secret entry's id, or `undefined` for a stack-level field. */
  readonly secret: string | undefined;
  /** The field, as a path in the policy: `schedule.window`, `consumers[1].url`, `networks.app.vpcId`. */
  readonly field: string;
  /** The value received (never a credential: a policy holds none). */
  readonly received: string;
  /** What is allowed. */
  readonly allowed: string;
}

/** A policy that cannot be deployed: ONE error listing every problem. */
export class PolicyValidationError extends Error {
  public readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    super(
      `The rotation policy has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .map(formatProblem)
        .join('\n')}`,
    );
    this.name = 'PolicyValidationError';
    this.problems = problems;
  }
}

/** `- secret "orders-db": schedule.window: got 30 hours; allowed: ...` */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.secret === undefined ? 'policy' : `secret "${problem.secret}"`;
  return `  - ${where}: ${problem.field}: got ${problem.received}; allowed: ${problem.allowed}`;
}

/** Defaults of the policy, documented in the README policy reference. */
export const POLICY_DEFAULTS = {
  stackName: 'Handover',
  grace: Duration.hours(24),
  maxGrace: Duration.days(30),
  memorySize: 256,
  logRetentionDays: 365,
  runbookUrl: 'README.md',
} as const;

/** CloudWatch Logs retention values, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A network placement after validation, with its name (inline placements are named after the secret). */
export interface ResolvedNetwork {
  readonly name: string;
  readonly placement: NetworkPolicy;
}

/** A consumer after validation: its name is always set. */
export type ResolvedConsumer = ConsumerPolicy & { readonly name: string };

/** A secret's rollout settings after validation, with every default applied. */
export interface ResolvedRollout {
  readonly consumers: readonly ResolvedConsumer[];
  readonly usageRecheck: Duration;
  readonly usageMaxChecks: number;
  readonly maxConcurrency: number;
}

/** Defaults and bounds of the rollout settings, documented in the README policy reference. */
export const ROLLOUT_DEFAULTS = {
  usageRecheck: Duration.hours(1),
  minUsageRecheck: Duration.minutes(1),
  maxUsageRecheck: Duration.days(7),
  usageMaxChecks: 24,
  maxUsageChecks: 1000,
  consumerConcurrency: 4,
  maxConsumerConcurrency: 40,
  maxConsumers: 100,
  ackTimeout: Duration.hours(1),
  maxAckTimeout: Duration.days(7),
  webhookTimeout: Duration.seconds(10),
  eventBusName: 'default',
  /** Grace plus every usage re-check, so a rollout fits a Standard execution (one year). */
  maxRollout: Duration.days(300),
} as const;

/** One secret after validation, with every default applied. */
export interface ResolvedSecret {
  readonly id: string;
  readonly type: CredentialType;
  readonly strategy: string;
  readonly settings: RotationSettings;
  readonly source: SecretSource;
  readonly schedule: RotationSchedule;
  readonly grace: Duration;
  readonly consumers: readonly ConsumerPolicy[];
  /** What the rollout workflow needs: named consumers, the usage gate and the wave concurrency. */
  readonly rollout: ResolvedRollout;
  readonly network: ResolvedNetwork | undefined;
  readonly masterSecret: SecretReference | undefined;
  readonly managementSecret: SecretReference | undefined;
  readonly user: string | undefined;
  readonly database: { readonly securityGroupId: string; readonly port: number } | undefined;
  readonly memorySize: number;
  readonly timeout: Duration | undefined;
  readonly rotateImmediately: boolean;
  readonly paused: boolean;
  /** Interval plus grace (rate schedules): the age past which the secret is overdue. */
  readonly maxAge: Duration | undefined;
}

/** A policy after validation, with every default applied. */
export interface ResolvedPolicy {
  readonly stackName: string;
  readonly env: { readonly account?: string; readonly region?: string } | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly alarms: {
    readonly enabled: boolean;
    readonly emails: readonly string[];
    readonly topicArn: string | undefined;
    readonly runbookUrl: string;
    readonly secretAgeChecks: boolean;
  };
  readonly functions: {
    readonly logRetentionDays: number;
    readonly permissionsBoundaryArn: string | undefined;
    readonly roleArn: string | undefined;
  };
  readonly rollout: { readonly enabled: boolean; readonly eventBusName: string };
  readonly secrets: readonly ResolvedSecret[];
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

const PARTITION = 'aws[a-z-]*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
const PATTERN = {
  stackName: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
  id: /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
  account: new RegExp(`^${ACCOUNT}$`),
  region: new RegExp(`^${REGION}$`),
  secretArn: new RegExp(
    `^arn:${PARTITION}:secretsmanager:(${REGION}):${ACCOUNT}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
  ),
  secretName: /^[A-Za-z0-9/_+=.@-]{1,512}$/,
  kmsKeyArn: new RegExp(
    `^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/[0-9a-fA-F-]{36}$|^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/mrk-[0-9a-f]{32}$`,
  ),
  roleArn: new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@/-]{1,512}$`),
  policyArn: new RegExp(`^arn:${PARTITION}:iam::(?:${ACCOUNT}|aws):policy/[\\w+=,.@/-]{1,512}$`),
  userArn: new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:user/(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`),
  userName: /^[\w+=,.@-]{1,64}$/,
  topicArn: new RegExp(`^arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:[A-Za-z0-9_-]{1,256}$`),
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  vpcId: /^vpc-[0-9a-f]{8,17}$/,
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  securityGroupId: /^sg-[0-9a-f]{8,17}$/,
  endpointId: /^vpce-[0-9a-f]{8,17}$/,
  availabilityZone: new RegExp(`^${REGION}[a-z]$`),
  functionName: new RegExp(
    `^(arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$`,
  ),
  ecsName: /^[A-Za-z0-9_-]{1,255}$|^arn:aws[a-z-]*:ecs:[^\s]+$/,
  parameterName: /^[A-Za-z0-9_.\-/]{1,2048}$/,
  consumerName: /^[A-Za-z0-9._-]{1,128}$/,
  fieldName: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
} as const;

const CONSUMER_KINDS: readonly ConsumerKind[] = [
  'lambda',
  'ecs-service',
  'ssm-parameter',
  'event',
  'webhook',
];
/** Template fields that look like credentials: the template is in the repository and the template. */
const SECRET_LOOKING_FIELD = /pass|secret|key|token|credential/i;

const BASE_KEYS = [
  'id',
  'type',
  'strategy',
  'secret',
  'schedule',
  'rotateImmediately',
  'paused',
  'grace',
  'consumers',
  'usageGate',
  'consumerConcurrency',
  'network',
  'memorySize',
  'timeout',
] as const;

/** The value as a problem shows it: Durations in words, everything else as JSON. */
function show(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Duration);

/** Collects problems for one scope (a secret, or the policy). */
class Problems {
  public readonly list: PolicyProblem[] = [];

  public add(secret: string | undefined, field: string, value: unknown, allowed: string): void {
    this.list.push({ secret, field, received: show(value), allowed });
  }

  /** A string matching `pattern`; `optional` lets `undefined` through. */
  public format(
    secret: string | undefined,
    field: string,
    value: unknown,
    pattern: RegExp,
    allowed: string,
    optional = false,
  ): value is string {
    if (value === undefined && optional) return false;
    if (typeof value === 'string' && pattern.test(value)) return true;
    this.add(secret, field, value, allowed);
    return false;
  }

  public boolean(secret: string | undefined, field: string, value: unknown): void {
    if (value !== undefined && typeof value !== 'boolean') this.add(secret, field, value, 'true or false');
  }

  public duration(secret: string | undefined, field: string, value: unknown): value is Duration {
    if (value === undefined) return false;
    if (value instanceof Duration) return true;
    this.add(secret, field, value, 'a Duration, e.g. Duration.hours(4)');
    return false;
  }

  public unknownKeys(
    secret: string | undefined,
    prefix: string,
    value: Record<string, unknown>,
    known: readonly string[],
  ): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.add(secret, `${prefix}${key}`, value[key], `no such field here (known: ${known.join(', ')})`);
      }
    }
  }
}

function validateReference(
  problems: Problems,
  secret: string,
  field: string,
  value: unknown,
  region: string | undefined,
): SecretReference | undefined {
  if (!isRecord(value)) {
    problems.add(secret, field, value, '{ arn: "<complete secret ARN>" } or { name: "<secret name>" }');
    return undefined;
  }
  problems.unknownKeys(secret, `${field}.`, value, ['arn', 'name', 'kmsKeyArn']);
  const hasArn = value.arn !== undefined;
  const hasName = value.name !== undefined;
  if (hasArn === hasName) {
    problems.add(secret, field, value, 'exactly one of arn or name');
    return undefined;
  }
  let ok = true;
  if (hasArn) {
    ok = problems.format(
      secret,
      `${field}.arn`,
      value.arn,
      PATTERN.secretArn,
      'a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it)',
    );
    const arnRegion = ok ? PATTERN.secretArn.exec(String(value.arn))?.[1] : undefined;
    if (ok && region !== undefined && arnRegion !== region) {
      problems.add(
        secret,
        `${field}.arn`,
        value.arn,
        `a secret in the stack's region ${region} (Secrets Manager only invokes rotation functions in its own region)`,
      );
      ok = false;
    }
  } else {
    ok = problems.format(
      secret,
      `${field}.name`,
      value.name,
      PATTERN.secretName,
      'a secret name: 1 to 512 of A-Z a-z 0-9 /_+=.@-',
    );
  }
  if (value.kmsKeyArn !== undefined) {
    ok =
      problems.format(
        secret,
        `${field}.kmsKeyArn`,
        value.kmsKeyArn,
        PATTERN.kmsKeyArn,
        'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias',
      ) && ok;
  }
  return ok ? (value as SecretReference) : undefined;
}

function validateNewSecret(problems: Problems, secret: string, value: unknown): NewSecretPolicy | undefined {
  if (!isRecord(value)) {
    problems.add(
      secret,
      'secret.create',
      value,
      'an object: { name?, description?, template?, generateKey?, kmsKeyArn? }',
    );
    return undefined;
  }
  const before = problems.list.length;
  problems.unknownKeys(secret, 'secret.create.', value, [
    'name',
    'description',
    'template',
    'generateKey',
    'kmsKeyArn',
  ]);
  problems.format(
    secret,
    'secret.create.name',
    value.name,
    PATTERN.secretName,
    'a secret name: 1 to 512 of A-Z a-z 0-9 /_+=.@-',
    true,
  );
  if (
    value.description !== undefined &&
    (typeof value.description !== 'string' || value.description.length > 2048)
  ) {
    problems.add(
      secret,
      'secret.create.description',
      value.description,
      'a string of at most 2048 characters',
    );
  }
  problems.format(
    secret,
    'secret.create.generateKey',
    value.generateKey,
    PATTERN.fieldName,
    'a JSON field name',
    true,
  );
  problems.format(
    secret,
    'secret.create.kmsKeyArn',
    value.kmsKeyArn,
    PATTERN.kmsKeyArn,
    'a KMS key ARN, not an alias',
    true,
  );
  if (value.template !== undefined) {
    if (!isRecord(value.template)) {
      problems.add(
        secret,
        'secret.create.template',
        value.template,
        'an object of non-secret string, number or boolean fields',
      );
    } else {
      for (const [key, field] of Object.entries(value.template)) {
        if (!['string', 'number', 'boolean'].includes(typeof field)) {
          problems.add(secret, `secret.create.template.${key}`, field, 'a string, number or boolean');
        } else if (SECRET_LOOKING_FIELD.test(key)) {
          // The value itself is never echoed: it may be a credential someone pasted.
          problems.list.push({
            secret,
            field: `secret.create.template.${key}`,
            received: 'a value (not shown)',
            allowed:
              'non-secret fields only: the template is in the repository and the CloudFormation template; let generateKey fill it, or store it after deploy',
          });
        }
      }
    }
  }
  return problems.list.length === before ? (value as NewSecretPolicy) : undefined;
}

function validateNetwork(
  problems: Problems,
  secret: string | undefined,
  prefix: string,
  value: unknown,
): value is NetworkPolicy {
  if (!isRecord(value)) {
    problems.add(
      secret,
      prefix.replace(/\.$/, ''),
      value,
      'an object: { vpcId, subnetIds, availabilityZones?, securityGroupIds?, secretsManagerEndpoint?, natGateway? }',
    );
    return false;
  }
  const before = problems.list.length;
  problems.unknownKeys(secret, prefix, value, [
    'vpcId',
    'subnetIds',
    'availabilityZones',
    'securityGroupIds',
    'secretsManagerEndpoint',
    'natGateway',
  ]);
  problems.format(secret, `${prefix}vpcId`, value.vpcId, PATTERN.vpcId, 'a VPC id, vpc-<8 or 17 hex digits>');
  const list = (field: string, items: unknown, pattern: RegExp, what: string, required: boolean) => {
    if (items === undefined && !required) return;
    if (!Array.isArray(items) || (required && items.length === 0)) {
      problems.add(secret, `${prefix}${field}`, items, `a ${required ? 'non-empty ' : ''}list of ${what}`);
      return;
    }
    items.forEach((item, index) => {
      problems.format(secret, `${prefix}${field}[${index}]`, item, pattern, what);
    });
    if (new Set(items).size !== items.length)
      problems.add(secret, `${prefix}${field}`, items, `${what}, each once`);
  };
  list('subnetIds', value.subnetIds, PATTERN.subnetId, 'subnet ids, subnet-<hex>', true);
  list(
    'availabilityZones',
    value.availabilityZones,
    PATTERN.availabilityZone,
    'availability zones, e.g. eu-west-1a',
    false,
  );
  list(
    'securityGroupIds',
    value.securityGroupIds,
    PATTERN.securityGroupId,
    'security group ids, sg-<hex>',
    false,
  );
  if (
    Array.isArray(value.availabilityZones) &&
    Array.isArray(value.subnetIds) &&
    value.availabilityZones.length !== value.subnetIds.length
  ) {
    problems.add(
      secret,
      `${prefix}availabilityZones`,
      value.availabilityZones,
      `one zone per subnet (${value.subnetIds.length})`,
    );
  }
  const endpoint = value.secretsManagerEndpoint;
  if (endpoint !== undefined) {
    if (!isRecord(endpoint)) {
      problems.add(
        secret,
        `${prefix}secretsManagerEndpoint`,
        endpoint,
        '{ endpointId: "vpce-...", securityGroupId: "sg-..." }',
      );
    } else {
      problems.unknownKeys(secret, `${prefix}secretsManagerEndpoint.`, endpoint, [
        'endpointId',
        'securityGroupId',
      ]);
      problems.format(
        secret,
        `${prefix}secretsManagerEndpoint.endpointId`,
        endpoint.endpointId,
        PATTERN.endpointId,
        'a VPC endpoint id, vpce-<hex>',
      );
      problems.format(
        secret,
        `${prefix}secretsManagerEndpoint.securityGroupId`,
        endpoint.securityGroupId,
        PATTERN.securityGroupId,
        'a security group id, sg-<hex>',
      );
    }
  }
  problems.boolean(secret, `${prefix}natGateway`, value.natGateway);
  return problems.list.length === before;
}

/** The consumer's name when the policy gives none: derived from its target. */
function derivedConsumerName(consumer: Record<string, unknown>): string | undefined {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  switch (consumer.kind) {
    case 'lambda': {
      const fn = text(consumer.functionName);
      return fn?.replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '').replace(/:/g, '.');
    }
    case 'ecs-service':
      return text(consumer.service)?.split('/').pop();
    case 'ssm-parameter':
      return text(consumer.parameterName)?.replace(/^\/+/, '').replace(/\//g, '.').slice(0, 128);
    case 'webhook': {
      const url = text(consumer.url);
      try {
        return url === undefined ? undefined : new URL(url).hostname;
      } catch {
        return undefined;
      }
    }
    default:
      return text(consumer.name);
  }
}

function validateConsumers(problems: Problems, secret: string, value: unknown): readonly ResolvedConsumer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(secret, 'consumers', value, 'a list of consumers');
    return [];
  }
  if (value.length > ROLLOUT_DEFAULTS.maxConsumers) {
    problems.add(
      secret,
      'consumers',
      `${value.length} consumers`,
      `at most ${ROLLOUT_DEFAULTS.maxConsumers}`,
    );
  }
  const seen = new Set<string>();
  const names = new Map<string, number>();
  const resolved: ResolvedConsumer[] = [];
  value.forEach((consumer: unknown, index) => {
    const at = `consumers[${index}]`;
    if (!isRecord(consumer)) {
      problems.add(secret, at, consumer, `an object with kind: ${CONSUMER_KINDS.join(', ')}`);
      return;
    }
    const kind = consumer.kind as ConsumerKind;
    const fields: Record<ConsumerKind, Array<[string, RegExp, string]>> = {
      lambda: [['functionName', PATTERN.functionName, 'a Lambda function name or ARN']],
      'ecs-service': [
        ['cluster', PATTERN.ecsName, 'an ECS cluster name or ARN'],
        ['service', PATTERN.ecsName, 'an ECS service name or ARN'],
      ],
      'ssm-parameter': [
        ['parameterName', PATTERN.parameterName, 'an SSM parameter name, e.g. /app/db-password'],
      ],
      event: [['name', PATTERN.consumerName, 'a consumer name: 1 to 128 of A-Z a-z 0-9 ._-']],
      webhook: [
        [
          'url',
          /^https:\/\/[^\s/:]+(:\d+)?(\/\S*)?$/,
          'an https:// URL (webhooks are signed, never sent in plaintext)',
        ],
      ],
    };
    const optional: Record<ConsumerKind, readonly string[]> = {
      lambda: ['environmentVariable'],
      'ecs-service': [],
      'ssm-parameter': ['kmsKeyArn'],
      event: ['eventBusName', 'timeout'],
      webhook: ['signingSecret', 'timeout'],
    };
    if (!CONSUMER_KINDS.includes(kind)) {
      problems.add(secret, `${at}.kind`, consumer.kind, `one of ${CONSUMER_KINDS.join(', ')}`);
      return;
    }
    const before = problems.list.length;
    const expected = fields[kind];
    problems.unknownKeys(secret, `${at}.`, consumer, [
      'kind',
      'canary',
      'name',
      ...expected.map(([name]) => name),
      ...optional[kind],
    ]);
    for (const [name, pattern, allowed] of expected)
      problems.format(secret, `${at}.${name}`, consumer[name], pattern, allowed);
    problems.boolean(secret, `${at}.canary`, consumer.canary);
    problems.format(
      secret,
      `${at}.environmentVariable`,
      consumer.environmentVariable,
      /^[A-Za-z][A-Za-z0-9_]{0,127}$/,
      'an environment variable name',
      true,
    );
    problems.format(
      secret,
      `${at}.kmsKeyArn`,
      consumer.kmsKeyArn,
      PATTERN.kmsKeyArn,
      'a KMS key ARN, not an alias',
      true,
    );
    problems.format(
      secret,
      `${at}.eventBusName`,
      consumer.eventBusName,
      /^[A-Za-z0-9._-]{1,256}$/,
      'an event bus name',
      true,
    );
    if (consumer.signingSecret !== undefined) {
      validateReference(problems, secret, `${at}.signingSecret`, consumer.signingSecret, undefined);
    }
    if (consumer.timeout !== undefined && problems.duration(secret, `${at}.timeout`, consumer.timeout)) {
      const ms = consumer.timeout.toMilliseconds();
      const [min, max, allowed] =
        kind === 'event'
          ? [1000, ROLLOUT_DEFAULTS.maxAckTimeout.toMilliseconds(), '1 second to 7 days, in whole seconds']
          : [100, 60_000, '100 ms to 60 seconds'];
      if (ms < min || ms > max || (kind === 'event' && ms % 1000 !== 0)) {
        problems.add(secret, `${at}.timeout`, consumer.timeout, allowed);
      }
    }
    const identity = `${kind}:${expected.map(([name]) => String(consumer[name])).join('/')}`;
    const duplicate = seen.has(identity);
    if (duplicate) problems.add(secret, at, consumer, 'each consumer once');
    seen.add(identity);

    const name = consumer.name ?? derivedConsumerName(consumer);
    if (consumer.name !== undefined || kind !== 'event') {
      const ok = problems.format(
        secret,
        `${at}.name`,
        name,
        PATTERN.consumerName,
        consumer.name === undefined
          ? 'a name: the one derived from the target does not fit 1 to 128 of A-Z a-z 0-9 ._-, so set name'
          : 'a consumer name: 1 to 128 of A-Z a-z 0-9 ._-',
      );
      if (!ok) return;
    }
    if (typeof name !== 'string') return;
    const other = names.get(name);
    if (other !== undefined && !duplicate) {
      problems.add(
        secret,
        `${at}.name`,
        name,
        `a name no other consumer of this secret has (consumers[${other}] is "${name}"): set name`,
      );
    }
    names.set(name, index);
    if (problems.list.length === before) resolved.push({ ...(consumer as ConsumerPolicy), name });
  });
  return resolved;
}

function validateRollout(
  problems: Problems,
  secret: string,
  entry: Record<string, unknown>,
  consumers: readonly ResolvedConsumer[],
): ResolvedRollout {
  let usageRecheck: Duration = ROLLOUT_DEFAULTS.usageRecheck;
  let usageMaxChecks: number = ROLLOUT_DEFAULTS.usageMaxChecks;
  const gate = entry.usageGate;
  if (gate !== undefined) {
    if (!isRecord(gate)) problems.add(secret, 'usageGate', gate, '{ recheck?, maxChecks? }');
    else {
      problems.unknownKeys(secret, 'usageGate.', gate, ['recheck', 'maxChecks']);
      if (gate.recheck !== undefined && problems.duration(secret, 'usageGate.recheck', gate.recheck)) {
        const seconds = gate.recheck.toSeconds({ integral: false });
        if (
          !Number.isInteger(seconds) ||
          seconds < ROLLOUT_DEFAULTS.minUsageRecheck.toSeconds() ||
          seconds > ROLLOUT_DEFAULTS.maxUsageRecheck.toSeconds()
        ) {
          problems.add(secret, 'usageGate.recheck', gate.recheck, '1 minute to 7 days, in whole seconds');
        } else usageRecheck = gate.recheck;
      }
      if (gate.maxChecks !== undefined) {
        const max = gate.maxChecks;
        if (
          typeof max !== 'number' ||
          !Number.isInteger(max) ||
          max < 1 ||
          max > ROLLOUT_DEFAULTS.maxUsageChecks
        ) {
          problems.add(
            secret,
            'usageGate.maxChecks',
            max,
            `an integer from 1 to ${ROLLOUT_DEFAULTS.maxUsageChecks}`,
          );
        } else usageMaxChecks = max;
      }
    }
  }
  let maxConcurrency: number = ROLLOUT_DEFAULTS.consumerConcurrency;
  const concurrency = entry.consumerConcurrency;
  if (concurrency !== undefined) {
    if (
      typeof concurrency !== 'number' ||
      !Number.isInteger(concurrency) ||
      concurrency < 1 ||
      concurrency > ROLLOUT_DEFAULTS.maxConsumerConcurrency
    ) {
      problems.add(
        secret,
        'consumerConcurrency',
        concurrency,
        `an integer from 1 to ${ROLLOUT_DEFAULTS.maxConsumerConcurrency}`,
      );
    } else maxConcurrency = concurrency;
  }
  const grace = entry.grace instanceof Duration ? entry.grace.toSeconds({ integral: false }) : 0;
  const longest = grace + usageRecheck.toSeconds() * usageMaxChecks;
  if (longest > ROLLOUT_DEFAULTS.maxRollout.toSeconds()) {
    problems.add(
      secret,
      'usageGate',
      `grace plus ${usageMaxChecks} re-checks every ${usageRecheck.toHumanString()} (${Math.round(longest / 86_400)} days)`,
      `at most ${ROLLOUT_DEFAULTS.maxRollout.toHumanString()} in all: a Standard Step Functions execution lasts one year at most`,
    );
  }
  return { consumers, usageRecheck, usageMaxChecks, maxConcurrency };
}

function sourceIdentity(source: SecretSource | undefined): string | undefined {
  if (source === undefined || 'create' in source) return undefined;
  if (source.arn !== undefined) return `arn:${source.arn}`;
  return source.name === undefined ? undefined : `name:${source.name}`;
}

/**
 * Validates a policy and applies every default. Throws ONE {@link PolicyValidationError} listing
 * every problem, each naming the secret, the field, the value received and what is allowed.
 *
 * @example
 * ```ts
 * const resolved = validatePolicy(policy); // throws PolicyValidationError
 * ```
 */
export function validatePolicy(policy: RotationPolicy): ResolvedPolicy {
  const problems = new Problems();
  const raw = policy as unknown as Record<string, unknown>;
  if (!isRecord(raw))
    throw new PolicyValidationError([
      { secret: undefined, field: 'policy', received: show(raw), allowed: 'an object' },
    ]);
  problems.unknownKeys(undefined, '', raw, [
    'stackName',
    'env',
    'tags',
    'alarms',
    'functions',
    'networks',
    'rollout',
    'secrets',
  ]);

  // Stack-level fields.
  problems.format(
    undefined,
    'stackName',
    policy.stackName,
    PATTERN.stackName,
    'a stack name: a letter, then letters, digits and hyphens (128 at most)',
    true,
  );
  const env = policy.env;
  if (env !== undefined) {
    if (!isRecord(env)) problems.add(undefined, 'env', env, '{ account?, region? }');
    else {
      problems.unknownKeys(undefined, 'env.', env, ['account', 'region']);
      problems.format(undefined, 'env.account', env.account, PATTERN.account, 'a 12-digit account id', true);
      problems.format(undefined, 'env.region', env.region, PATTERN.region, 'a region, e.g. eu-west-1', true);
    }
  }
  const region = typeof env?.region === 'string' && PATTERN.region.test(env.region) ? env.region : undefined;
  for (const [key, value] of Object.entries(policy.tags ?? {})) {
    if (
      key.length < 1 ||
      key.length > 128 ||
      key.startsWith('aws:') ||
      typeof value !== 'string' ||
      value.length > 256
    ) {
      problems.add(
        undefined,
        `tags.${key}`,
        value,
        'a key of 1 to 128 characters not starting with "aws:", and a string value of at most 256',
      );
    }
  }

  const alarms: AlarmPolicy = policy.alarms ?? {};
  if (!isRecord(alarms as unknown)) problems.add(undefined, 'alarms', alarms, 'an object');
  else {
    problems.unknownKeys(undefined, 'alarms.', alarms as Record<string, unknown>, [
      'enabled',
      'emails',
      'topicArn',
      'runbookUrl',
      'secretAgeChecks',
    ]);
    problems.boolean(undefined, 'alarms.enabled', alarms.enabled);
    problems.boolean(undefined, 'alarms.secretAgeChecks', alarms.secretAgeChecks);
    if (alarms.emails !== undefined && !Array.isArray(alarms.emails))
      problems.add(undefined, 'alarms.emails', alarms.emails, 'a list of email addresses');
    (Array.isArray(alarms.emails) ? alarms.emails : []).forEach((email, index) => {
      problems.format(undefined, `alarms.emails[${index}]`, email, PATTERN.email, 'an email address');
    });
    problems.format(
      undefined,
      'alarms.topicArn',
      alarms.topicArn,
      PATTERN.topicArn,
      'an SNS topic ARN',
      true,
    );
    if (
      alarms.runbookUrl !== undefined &&
      (typeof alarms.runbookUrl !== 'string' ||
        alarms.runbookUrl.trim() === '' ||
        /\s|#/.test(alarms.runbookUrl))
    ) {
      problems.add(
        undefined,
        'alarms.runbookUrl',
        alarms.runbookUrl,
        'a URL or path without spaces or "#" (the anchor is added per alarm)',
      );
    }
    if (alarms.topicArn !== undefined && alarms.emails !== undefined && alarms.emails.length > 0) {
      problems.add(
        undefined,
        'alarms.emails',
        alarms.emails,
        'nothing with alarms.topicArn: subscribe to your own topic where it is managed',
      );
    }
  }

  const functions: FunctionPolicy = policy.functions ?? {};
  if (!isRecord(functions as unknown)) problems.add(undefined, 'functions', functions, 'an object');
  else {
    problems.unknownKeys(undefined, 'functions.', functions as Record<string, unknown>, [
      'memorySize',
      'timeout',
      'logRetentionDays',
      'permissionsBoundaryArn',
      'roleArn',
    ]);
    problems.duration(undefined, 'functions.timeout', functions.timeout);
    if (
      functions.memorySize !== undefined &&
      (!Number.isInteger(functions.memorySize) || functions.memorySize < 128 || functions.memorySize > 10_240)
    ) {
      problems.add(
        undefined,
        'functions.memorySize',
        functions.memorySize,
        'an integer from 128 to 10240 (MiB)',
      );
    }
    if (
      functions.logRetentionDays !== undefined &&
      !(LOG_RETENTION_DAYS as readonly number[]).includes(functions.logRetentionDays)
    ) {
      problems.add(
        undefined,
        'functions.logRetentionDays',
        functions.logRetentionDays,
        `one of ${LOG_RETENTION_DAYS.join(', ')}`,
      );
    }
    problems.format(
      undefined,
      'functions.permissionsBoundaryArn',
      functions.permissionsBoundaryArn,
      PATTERN.policyArn,
      'a managed policy ARN',
      true,
    );
    problems.format(
      undefined,
      'functions.roleArn',
      functions.roleArn,
      PATTERN.roleArn,
      'an IAM role ARN',
      true,
    );
    if (functions.roleArn !== undefined && functions.permissionsBoundaryArn !== undefined) {
      problems.add(
        undefined,
        'functions.permissionsBoundaryArn',
        functions.permissionsBoundaryArn,
        'nothing with functions.roleArn: the boundary applies to roles the stack creates; set it on your own role',
      );
    }
  }

  const rolloutPolicy = policy.rollout ?? {};
  if (!isRecord(rolloutPolicy as unknown)) problems.add(undefined, 'rollout', rolloutPolicy, 'an object');
  else {
    problems.unknownKeys(undefined, 'rollout.', rolloutPolicy as Record<string, unknown>, [
      'enabled',
      'eventBusName',
    ]);
    problems.boolean(undefined, 'rollout.enabled', rolloutPolicy.enabled);
    problems.format(
      undefined,
      'rollout.eventBusName',
      rolloutPolicy.eventBusName,
      /^[A-Za-z0-9._-]{1,256}$/,
      'an event bus name',
      true,
    );
  }

  const networks = policy.networks ?? {};
  const validNetworks = new Set<string>();
  if (!isRecord(networks))
    problems.add(undefined, 'networks', networks, 'an object of network placements by name');
  else {
    for (const [name, network] of Object.entries(networks)) {
      if (!PATTERN.id.test(name))
        problems.add(
          undefined,
          `networks.${name}`,
          name,
          'a name: a letter, then letters, digits and hyphens',
        );
      if (validateNetwork(problems, undefined, `networks.${name}.`, network) && PATTERN.id.test(name))
        validNetworks.add(name);
    }
  }

  // Secrets.
  const resolved: ResolvedSecret[] = [];
  if (!Array.isArray(policy.secrets) || policy.secrets.length === 0) {
    problems.add(undefined, 'secrets', policy.secrets, 'a non-empty list of secrets to rotate');
  }
  const ids = new Set<string>();
  const sources = new Map<string, string>();
  (Array.isArray(policy.secrets) ? policy.secrets : []).forEach((entry: unknown, index) => {
    if (!isRecord(entry)) {
      problems.add(undefined, `secrets[${index}]`, entry, 'a secret entry object');
      return;
    }
    const before = problems.list.length;
    const id = typeof entry.id === 'string' && PATTERN.id.test(entry.id) ? entry.id : `secrets[${index}]`;
    if (id !== entry.id) {
      problems.add(id, 'id', entry.id, 'an id: a letter, then letters, digits and hyphens (63 at most)');
    } else if (ids.has(id)) {
      problems.add(id, 'id', entry.id, 'an id used by no other secret entry');
    }
    ids.add(id);

    const type = entry.type as CredentialType;
    if (!CREDENTIAL_TYPES.includes(type)) {
      problems.add(id, 'type', entry.type, `one of ${CREDENTIAL_TYPES.join(', ')}`);
      return;
    }
    const spec = ROTATION_TYPES[type];
    const targetFields = new Set<TargetField>();
    for (const strategy of spec.strategies)
      for (const field of spec.targets(strategy).allowed) targetFields.add(field);
    problems.unknownKeys(id, '', entry, [...BASE_KEYS, ...spec.settings, ...targetFields]);

    // The secret itself.
    let source: SecretSource | undefined;
    const secretValue = entry.secret;
    if (isRecord(secretValue) && 'create' in secretValue) {
      problems.unknownKeys(id, 'secret.', secretValue, ['create']);
      const created = validateNewSecret(problems, id, secretValue.create);
      if (created !== undefined) source = { create: created };
      if (entry.paused !== true) {
        problems.add(
          id,
          'paused',
          entry.paused,
          'true while the stack creates the secret: it holds no working credential yet, so the deploy-time configuration test would fail; store the first credential, then remove paused',
        );
      }
    } else {
      source = validateReference(problems, id, 'secret', secretValue, region);
    }
    const identity = sourceIdentity(source);
    if (identity !== undefined) {
      const other = sources.get(identity);
      if (other !== undefined) {
        problems.add(
          id,
          'secret',
          secretValue,
          `a secret no other entry rotates (entry "${other}" already does: a secret has one rotation)`,
        );
      }
      sources.set(identity, id);
    }

    // Schedule and grace.
    const schedulePolicy = entry.schedule;
    let schedule = RotationSchedule.rate(spec.defaultInterval);
    if (schedulePolicy !== undefined) {
      if (!isRecord(schedulePolicy)) problems.add(id, 'schedule', schedulePolicy, '{ expression?, window? }');
      else {
        problems.unknownKeys(id, 'schedule.', schedulePolicy, ['expression', 'window']);
        const windowOk =
          schedulePolicy.window === undefined ||
          problems.duration(id, 'schedule.window', schedulePolicy.window);
        if (schedulePolicy.expression !== undefined && typeof schedulePolicy.expression !== 'string') {
          problems.add(
            id,
            'schedule.expression',
            schedulePolicy.expression,
            'a string: rate(...) or cron(...)',
          );
        } else {
          const window = windowOk ? (schedulePolicy.window as Duration | undefined) : undefined;
          schedule =
            schedulePolicy.expression === undefined
              ? RotationSchedule.rate(spec.defaultInterval, { window })
              : RotationSchedule.expression(schedulePolicy.expression, { window });
        }
      }
    }
    let grace: Duration = POLICY_DEFAULTS.grace;
    if (entry.grace !== undefined && problems.duration(id, 'grace', entry.grace)) {
      grace = entry.grace;
      const hours = grace.toHours({ integral: false });
      const interval = schedule.interval;
      if (hours < 0 || hours > POLICY_DEFAULTS.maxGrace.toHours()) {
        problems.add(id, 'grace', grace, `0 to ${POLICY_DEFAULTS.maxGrace.toHumanString()}`);
      } else if (interval !== undefined && hours >= interval.toHours({ integral: false })) {
        problems.add(
          id,
          'grace',
          grace,
          `less than the rotation interval (${interval.toHumanString()}): the old credential must be revoked before the next rotation replaces it`,
        );
      }
    }
    problems.boolean(id, 'rotateImmediately', entry.rotateImmediately);
    problems.boolean(id, 'paused', entry.paused);
    const consumers = validateConsumers(problems, id, entry.consumers);
    const rollout = validateRollout(problems, id, entry, consumers);

    // Network.
    let network: ResolvedNetwork | undefined;
    if (typeof entry.network === 'string') {
      if (!validNetworks.has(entry.network)) {
        const names = Object.keys(isRecord(networks) ? networks : {});
        if (!names.includes(entry.network)) {
          problems.add(
            id,
            'network',
            entry.network,
            names.length > 0
              ? `one of the networks: ${names.join(', ')}`
              : 'a name defined in networks (none is)',
          );
        }
      } else
        network = {
          name: entry.network,
          placement: (networks as Record<string, NetworkPolicy>)[entry.network] as NetworkPolicy,
        };
    } else if (entry.network !== undefined) {
      if (validateNetwork(problems, id, 'network.', entry.network))
        network = { name: id, placement: entry.network };
    }

    // Targets.
    const target: Partial<Record<TargetField, unknown>> = {};
    let masterSecret: SecretReference | undefined;
    let managementSecret: SecretReference | undefined;
    let user: string | undefined;
    let database: { securityGroupId: string; port: number } | undefined;
    if (entry.masterSecret !== undefined) {
      target.masterSecret = entry.masterSecret;
      masterSecret = validateReference(problems, id, 'masterSecret', entry.masterSecret, region);
    }
    if (entry.managementSecret !== undefined) {
      target.managementSecret = entry.managementSecret;
      managementSecret = validateReference(problems, id, 'managementSecret', entry.managementSecret, region);
    }
    if (entry.user !== undefined) {
      target.user = entry.user;
      if (
        typeof entry.user === 'string' &&
        (PATTERN.userName.test(entry.user) || PATTERN.userArn.test(entry.user))
      )
        user = entry.user;
      else problems.add(id, 'user', entry.user, 'an IAM user name (path /) or user ARN');
    }
    if (entry.database !== undefined) {
      target.database = entry.database;
      const value = entry.database;
      if (!isRecord(value)) problems.add(id, 'database', value, '{ securityGroupId: "sg-...", port? }');
      else {
        problems.unknownKeys(id, 'database.', value, ['securityGroupId', 'port']);
        const port = value.port ?? spec.defaultPort;
        const portOk = Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535;
        if (!portOk) problems.add(id, 'database.port', value.port, 'a port from 1 to 65535');
        if (
          problems.format(
            id,
            'database.securityGroupId',
            value.securityGroupId,
            PATTERN.securityGroupId,
            'a security group id, sg-<hex>',
          ) &&
          portOk
        ) {
          database = { securityGroupId: value.securityGroupId as string, port: port as number };
        }
      }
    }
    if (masterSecret !== undefined && identity !== undefined && sourceIdentity(masterSecret) === identity) {
      problems.add(id, 'masterSecret', entry.masterSecret, 'a secret other than the rotated one');
    }

    // Settings and the type's own rules (strategy, required targets, values, VPC, schedule, timeout).
    const settings: Record<string, unknown> = {};
    for (const field of spec.settings) if (entry[field] !== undefined) settings[field] = entry[field];
    if (entry.strategy !== undefined) settings.strategy = entry.strategy;
    const memorySize =
      (entry.memorySize as number | undefined) ?? functions.memorySize ?? POLICY_DEFAULTS.memorySize;
    const timeoutValue = entry.timeout ?? functions.timeout;
    const timeout = timeoutValue instanceof Duration ? timeoutValue : undefined;
    if (entry.timeout !== undefined) problems.duration(id, 'timeout', entry.timeout);
    const typeProblems = checkRotation({
      type,
      settings: settings as RotationSettings,
      targets: Object.keys(target) as TargetField[],
      schedule,
      inVpc: entry.network !== undefined,
      timeout,
      memorySize,
    });
    for (const problem of typeProblems) {
      const field =
        problem.field === 'timeout' && entry.timeout === undefined
          ? 'timeout (from functions.timeout)'
          : problem.field === 'memorySize' && entry.memorySize === undefined
            ? 'memorySize (from functions.memorySize)'
            : problem.field;
      problems.list.push({ secret: id, field, received: problem.received, allowed: problem.allowed });
    }
    if (
      alarms.secretAgeChecks === true &&
      source !== undefined &&
      !('create' in source) &&
      source.name !== undefined
    ) {
      problems.add(
        id,
        'secret.name',
        source.name,
        'a complete ARN (secret: { arn }) with alarms.secretAgeChecks: AWS Config identifies secrets by ARN',
      );
    }

    if (problems.list.length === before && source !== undefined) {
      const interval = schedule.interval;
      resolved.push({
        id,
        type,
        strategy: (settings.strategy as string | undefined) ?? spec.defaultStrategy,
        settings: settings as RotationSettings,
        source,
        schedule,
        grace,
        consumers,
        rollout,
        network,
        masterSecret,
        managementSecret,
        user,
        database,
        memorySize,
        timeout,
        rotateImmediately: entry.rotateImmediately === true,
        paused: entry.paused === true,
        maxAge: interval === undefined ? undefined : interval.plus(grace),
      });
    }
  });

  if (problems.list.length > 0) throw new PolicyValidationError(problems.list);
  const alarmPolicy = policy.alarms ?? {};
  const functionPolicy = policy.functions ?? {};
  return {
    stackName: policy.stackName ?? POLICY_DEFAULTS.stackName,
    env: policy.env,
    tags: policy.tags ?? {},
    alarms: {
      enabled: alarmPolicy.enabled ?? true,
      emails: alarmPolicy.emails ?? [],
      topicArn: alarmPolicy.topicArn,
      runbookUrl: alarmPolicy.runbookUrl ?? POLICY_DEFAULTS.runbookUrl,
      secretAgeChecks: alarmPolicy.secretAgeChecks ?? false,
    },
    functions: {
      logRetentionDays: functionPolicy.logRetentionDays ?? POLICY_DEFAULTS.logRetentionDays,
      permissionsBoundaryArn: functionPolicy.permissionsBoundaryArn,
      roleArn: functionPolicy.roleArn,
    },
    rollout: {
      enabled: policy.rollout?.enabled ?? true,
      eventBusName: policy.rollout?.eventBusName ?? ROLLOUT_DEFAULTS.eventBusName,
    },
    secrets: resolved,
  };
}
