import { Duration } from 'aws-cdk-lib';
import type * as z from 'zod/mini';
import { defaultStrategyOf } from '../../lambdas/credentials/contract';
import { consumerContract } from '../../lambdas/rollout/consumers/contracts';
import type { FollowedBy } from '../../lambdas/rollout/contract';
import type { ReaderSourceSettings } from '../../lambdas/rollout/readers/sources/contracts';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { CLOUDTRAIL_DELIVERY } from '../../lambdas/shared/cloudtrail-delivery';
import { specOf } from '../constructs/credential-types';
import { valueAt } from '../constructs/rotation-checks';
import { RotationSchedule } from '../constructs/rotation-schedule';
import {
  consumerNameProblems,
  type EntryContext,
  POLICY_CHECKS,
  type PolicyContext,
  type PolicyProblem,
  referenceIdentity,
  SECRET_CHECKS,
  show,
} from './checks';
import {
  ENTRY_SCHEMAS,
  entryHeadSchema,
  followSchema,
  isRecord,
  networkSchema,
  PATTERN,
  POLICY_DEFAULTS,
  policySchema,
  ROLLOUT_DEFAULTS,
  secretReferenceSchema,
} from './schema';
import type {
  ConsumerPolicy,
  FollowPolicy,
  NetworkPolicy,
  ReadersPolicy,
  RotationPolicy,
  SecretReference,
  SecretSource,
  UsageGatePolicy,
} from './types';

export type { PolicyProblem } from './checks';
export { LOG_RETENTION_DAYS, POLICY_DEFAULTS, ROLLOUT_DEFAULTS } from './schema';

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

/** A network placement after validation, with its name (inline placements are named after the secret). */
export interface ResolvedNetwork {
  readonly name: string;
  readonly placement: NetworkPolicy;
}

/** A consumer after validation: its name is always set. */
export type ResolvedConsumer = ConsumerPolicy & { readonly name: string };

/** A secret's readers check after validation, with every default applied. */
export interface ResolvedReaders {
  readonly source: ReaderSourceSettings;
  readonly deliveryDelay: Duration;
  readonly ignore: readonly { readonly principal: string; readonly reason: string }[];
}

/** A secret's rollout settings after validation, with every default applied. */
export interface ResolvedRollout {
  readonly consumers: readonly ResolvedConsumer[];
  readonly usageRecheck: Duration;
  readonly usageMaxChecks: number;
  readonly maxConcurrency: number;
  /** `undefined` with `readers: { source: 'off' }`. */
  readonly readers: ResolvedReaders | undefined;
}

/** A followed secret after validation, with every default applied. */
export interface ResolvedFollowed {
  readonly id: string;
  readonly source: SecretReference;
  readonly rotatedBy: FollowedBy;
  readonly rollout: Pick<ResolvedRollout, 'consumers' | 'maxConcurrency' | 'readers'>;
}

/** One secret after validation, with every default applied. */
export interface ResolvedSecret {
  readonly id: string;
  readonly type: CredentialType;
  readonly strategy: string;
  /** The settings the entry gives (its type's contract settings, `strategy` included when given). */
  readonly settings: Readonly<Record<string, unknown>>;
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
  readonly dashboard: { readonly enabled: boolean; readonly name: string };
  readonly breakGlass:
    | { readonly principalArns: readonly string[]; readonly roleName: string | undefined }
    | undefined;
  readonly secrets: readonly ResolvedSecret[];
  /** Secrets Handover follows but does not rotate. */
  readonly follow: readonly ResolvedFollowed[];
}

// ---------------------------------------------------------------------------------------------
// From zod issues to problems
// ---------------------------------------------------------------------------------------------

/** `consumers[1].url` */
function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/**
 * The problems of a failed parse of `input`: the field is the issue's path (an unknown field's
 * path ends with its name), the value received is the input there (or the issue's
 * `params.received`), and what is allowed is the issue's message.
 */
function problemsOf(
  result: { readonly error?: z.core.$ZodError | undefined },
  input: unknown,
  secret: string | undefined,
): PolicyProblem[] {
  return (result.error?.issues ?? []).flatMap((issue: z.core.$ZodIssue) => {
    const paths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    const received = (issue as { params?: { received?: unknown } }).params?.received;
    return paths.map((path) => ({
      secret,
      field: fieldOf(path),
      received: typeof received === 'string' ? received : show(valueAt(input, path)),
      allowed: issue.message,
    }));
  });
}

/** A part of the policy as written, or an empty object when it is not one. */
const part = (value: unknown): Readonly<Record<string, unknown>> => (isRecord(value) ? value : {});

/** The schedule an entry gives, or its type's default (what the checks and the stack use). */
function scheduleOf(entry: Readonly<Record<string, unknown>>, defaultInterval: Duration): RotationSchedule {
  const given = entry.schedule;
  if (!isRecord(given)) return RotationSchedule.rate(defaultInterval);
  const window = given.window instanceof Duration ? given.window : undefined;
  if (given.expression !== undefined && typeof given.expression !== 'string') {
    return RotationSchedule.rate(defaultInterval);
  }
  return given.expression === undefined
    ? RotationSchedule.rate(defaultInterval, { window })
    : RotationSchedule.expression(given.expression, { window });
}

/**
 * Validates a policy and applies every default. The schemas (`./schema.ts`, composed from the
 * plug-in contracts) check each field; the named checks (`./checks.ts`) check the rules across
 * fields and secrets. Throws ONE {@link PolicyValidationError} listing every problem, each naming
 * the secret, the field, the value received and what is allowed.
 *
 * @example
 * ```ts
 * const resolved = validatePolicy(policy); // throws PolicyValidationError
 * ```
 */
export function validatePolicy(policy: RotationPolicy): ResolvedPolicy {
  const raw: unknown = policy;
  if (!isRecord(raw)) {
    throw new PolicyValidationError([
      { secret: undefined, field: 'policy', received: show(raw), allowed: 'an object' },
    ]);
  }
  const problems = problemsOf(policySchema.safeParse(raw), raw, undefined);
  const env = part(raw.env);
  const networks = part(raw.networks);
  const context: PolicyContext = {
    policy: raw,
    region: typeof env.region === 'string' && PATTERN.region.test(env.region) ? env.region : undefined,
    networks,
    validNetworks: new Set(
      Object.keys(networks).filter(
        (name) => PATTERN.id.test(name) && networkSchema.safeParse(networks[name]).success,
      ),
    ),
    functions: part(raw.functions),
    alarms: part(raw.alarms),
  };
  for (const check of POLICY_CHECKS) problems.push(...check.problems(context));

  const entries: EntryContext[] = [];
  const ids = new Set<unknown>();
  (Array.isArray(raw.secrets) ? (raw.secrets as unknown[]) : []).forEach((entry, index) => {
    if (!isRecord(entry)) {
      problems.push({
        secret: undefined,
        field: `secrets[${index}]`,
        received: show(entry),
        allowed: 'a secret entry object',
      });
      return;
    }
    const label = typeof entry.id === 'string' && PATTERN.id.test(entry.id) ? entry.id : `secrets[${index}]`;
    const head = entryHeadSchema.safeParse(entry);
    const headProblems = problemsOf(head, entry, label);
    problems.push(...headProblems.filter((found) => found.field === 'id'));
    if (ids.has(entry.id) && label === entry.id) {
      problems.push({
        secret: label,
        field: 'id',
        received: show(entry.id),
        allowed: 'an id used by no other secret entry',
      });
    }
    ids.add(entry.id);
    problems.push(...headProblems.filter((found) => found.field === 'type'));
    if (headProblems.some((found) => found.field === 'type')) return;

    const type = entry.type as CredentialType;
    const spec = specOf(type);
    problems.push(...problemsOf(ENTRY_SCHEMAS[type].safeParse(entry), entry, label));
    const current: EntryContext = {
      index,
      label,
      entry,
      type,
      spec,
      strategy: String(entry.strategy ?? defaultStrategyOf(spec.contract)),
      schedule: scheduleOf(entry, spec.defaultInterval),
      identity: secretReferenceSchema.safeParse(entry.secret).success
        ? referenceIdentity(entry.secret)
        : undefined,
    };
    for (const check of SECRET_CHECKS) problems.push(...check.problems(current, context, entries));
    entries.push(current);
  });

  problems.push(...followProblems(raw, entries));
  if (problems.length > 0) throw new PolicyValidationError(problems);
  return resolve(policy, context, entries);
}

// ---------------------------------------------------------------------------------------------
// A valid policy, with its defaults
// ---------------------------------------------------------------------------------------------

/** A valid policy with every default applied. */
function resolve(
  policy: RotationPolicy,
  context: PolicyContext,
  entries: readonly EntryContext[],
): ResolvedPolicy {
  const alarms = policy.alarms ?? {};
  const functions = policy.functions ?? {};
  return {
    stackName: policy.stackName ?? POLICY_DEFAULTS.stackName,
    env: policy.env,
    tags: policy.tags ?? {},
    alarms: {
      enabled: alarms.enabled ?? true,
      emails: alarms.emails ?? [],
      topicArn: alarms.topicArn,
      runbookUrl: alarms.runbookUrl ?? POLICY_DEFAULTS.runbookUrl,
      secretAgeChecks: alarms.secretAgeChecks ?? false,
    },
    functions: {
      logRetentionDays: functions.logRetentionDays ?? POLICY_DEFAULTS.logRetentionDays,
      permissionsBoundaryArn: functions.permissionsBoundaryArn,
      roleArn: functions.roleArn,
    },
    rollout: {
      enabled: policy.rollout?.enabled ?? true,
      eventBusName: policy.rollout?.eventBusName ?? ROLLOUT_DEFAULTS.eventBusName,
    },
    dashboard: {
      enabled: policy.dashboard?.enabled ?? true,
      name: policy.dashboard?.name ?? policy.stackName ?? POLICY_DEFAULTS.stackName,
    },
    breakGlass:
      policy.breakGlass === undefined
        ? undefined
        : { principalArns: policy.breakGlass.principalArns, roleName: policy.breakGlass.roleName },
    secrets: entries.map((entry) => resolveSecret(entry, context)),
    follow: (policy.follow ?? []).map(resolveFollowed),
  };
}

/**
 * The problems of the followed secrets: each entry against its schema, its consumers' names, ids
 * unique among secrets and followed secrets, and a secret neither rotated nor followed twice.
 */
function followProblems(
  raw: Readonly<Record<string, unknown>>,
  rotated: readonly EntryContext[],
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const ids = new Map<unknown, string>(
    rotated.map((entry) => [entry.entry.id, `secret entry "${entry.label}"`]),
  );
  const secrets = new Map<string, string>(
    rotated.flatMap((entry) =>
      entry.identity === undefined ? [] : [[entry.identity, `secret entry "${entry.label}"`]],
    ),
  );
  (Array.isArray(raw.follow) ? (raw.follow as unknown[]) : []).forEach((entry, index) => {
    if (!isRecord(entry)) {
      problems.push({
        secret: undefined,
        field: `follow[${index}]`,
        received: show(entry),
        allowed: 'a followed secret object',
      });
      return;
    }
    const label = typeof entry.id === 'string' && PATTERN.id.test(entry.id) ? entry.id : `follow[${index}]`;
    problems.push(...problemsOf(followSchema.safeParse(entry), entry, label));
    problems.push(...consumerNameProblems(label, entry));
    const sameId = ids.get(entry.id);
    if (sameId !== undefined && label === entry.id) {
      problems.push({
        secret: label,
        field: 'id',
        received: show(entry.id),
        allowed: `an id no other entry has (${sameId} has it)`,
      });
    }
    ids.set(entry.id, `followed secret "${label}"`);
    const identity = secretReferenceSchema.safeParse(entry.secret).success
      ? referenceIdentity(entry.secret)
      : undefined;
    const other = identity === undefined ? undefined : secrets.get(identity);
    if (identity !== undefined && other !== undefined) {
      problems.push({
        secret: label,
        field: 'secret',
        received: show(entry.secret),
        allowed: `a secret no other entry rotates or follows (${other} already does)`,
      });
    }
    if (identity !== undefined) secrets.set(identity, `followed secret "${label}"`);
  });
  return problems;
}

/** The readers check of an entry, with its defaults; `undefined` when it is off. */
function resolveReaders(readers: ReadersPolicy | undefined): ResolvedReaders | undefined {
  if (readers?.source === 'off') return undefined;
  return {
    source: (readers?.source as ReaderSourceSettings | undefined) ?? { kind: 'cloudtrail' },
    deliveryDelay: readers?.deliveryDelay ?? Duration.seconds(CLOUDTRAIL_DELIVERY.defaultDelaySeconds),
    ignore: (readers?.ignore ?? []).map((entry) => ({ principal: entry.principal, reason: entry.reason })),
  };
}

/** The consumers of an entry with their names (given or derived from the target). */
function namedConsumers(consumers: readonly ConsumerPolicy[]): ResolvedConsumer[] {
  return consumers.map((consumer) => {
    const derived = consumerContract(consumer.kind).defaultName?.(
      consumer as unknown as Readonly<Record<string, unknown>>,
    );
    return { ...consumer, name: consumer.name ?? derived ?? '' };
  });
}

/** A valid followed secret with every default applied. */
function resolveFollowed(entry: FollowPolicy): ResolvedFollowed {
  return {
    id: entry.id,
    source: entry.secret,
    rotatedBy: entry.rotatedBy ?? 'rds',
    rollout: {
      consumers: namedConsumers(entry.consumers ?? []),
      maxConcurrency: entry.consumerConcurrency ?? ROLLOUT_DEFAULTS.consumerConcurrency,
      readers: resolveReaders(entry.readers),
    },
  };
}

/** A valid entry with every default applied. */
function resolveSecret(
  { label: id, entry, type, spec, strategy, schedule }: EntryContext,
  { networks, functions }: PolicyContext,
): ResolvedSecret {
  const settings: Record<string, unknown> = {};
  for (const field of Object.keys(spec.contract.settings)) {
    if (entry[field] !== undefined) settings[field] = entry[field];
  }
  const grace = (entry.grace as Duration | undefined) ?? POLICY_DEFAULTS.grace;
  const consumers = (entry.consumers as readonly ConsumerPolicy[] | undefined) ?? [];
  const gate = (entry.usageGate as UsageGatePolicy | undefined) ?? {};
  const database = entry.database as { securityGroupId: string; port?: number } | undefined;
  const network = entry.network as string | NetworkPolicy | undefined;
  const timeout = entry.timeout ?? functions.timeout;
  const interval = schedule.interval;
  return {
    id,
    type,
    strategy,
    settings,
    source: entry.secret as SecretSource,
    schedule,
    grace,
    consumers,
    rollout: {
      consumers: namedConsumers(consumers),
      readers: resolveReaders(entry.readers as ReadersPolicy | undefined),
      usageRecheck: gate.recheck ?? ROLLOUT_DEFAULTS.usageRecheck,
      usageMaxChecks: gate.maxChecks ?? ROLLOUT_DEFAULTS.usageMaxChecks,
      maxConcurrency:
        (entry.consumerConcurrency as number | undefined) ?? ROLLOUT_DEFAULTS.consumerConcurrency,
    },
    network:
      network === undefined
        ? undefined
        : typeof network === 'string'
          ? { name: network, placement: networks[network] as NetworkPolicy }
          : { name: id, placement: network },
    masterSecret: entry.masterSecret as SecretReference | undefined,
    managementSecret: entry.managementSecret as SecretReference | undefined,
    user: entry.user as string | undefined,
    database:
      database === undefined
        ? undefined
        : { securityGroupId: database.securityGroupId, port: database.port ?? spec.defaultPort ?? 0 },
    memorySize:
      (entry.memorySize as number | undefined) ??
      (functions.memorySize as number | undefined) ??
      POLICY_DEFAULTS.memorySize,
    timeout: timeout instanceof Duration ? timeout : undefined,
    rotateImmediately: entry.rotateImmediately === true,
    paused: entry.paused === true,
    maxAge: interval === undefined ? undefined : interval.plus(grace),
  };
}
