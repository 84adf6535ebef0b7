/**
 * The rules of a policy that no single field's schema can state: across fields, across secrets,
 * against the stack. Each is a named check; the validator runs them in this order after the
 * schemas, and lists their problems with the schemas' in ONE error. A new rule (a grace longer
 * than every consumer's cache, say) is one more entry in {@link POLICY_CHECKS} or
 * {@link SECRET_CHECKS}.
 */
import { Duration } from 'aws-cdk-lib';
import {
  CACHE_MODES,
  describeStaleness,
  type ReadsSetting,
  staleness,
} from '../../lambdas/rollout/consumers/cache';
import {
  CONSUMER_CONTRACTS,
  type ConsumerKind,
  consumerContract,
} from '../../lambdas/rollout/consumers/contracts';
import { rolloutWorstCase } from '../../lambdas/rollout/worst-case';
import type { CredentialType } from '../../lambdas/rotation/constants';
import type { CredentialTypeSpec, TargetField } from '../constructs/credential-types';
import { ROTATION_CHECKS } from '../constructs/rotation-checks';
import type { RotationSchedule } from '../constructs/rotation-schedule';
import { isRecord, PATTERN, POLICY_DEFAULTS, ROLLOUT_DEFAULTS } from './schema';

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

/** The value as a problem shows it: Durations in words, everything else as JSON. */
export function show(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

/** The policy as the checks see it: as written, with what its schema established. */
export interface PolicyContext {
  /** The policy as written. */
  readonly policy: Readonly<Record<string, unknown>>;
  /** `env.region`, when it is a region. */
  readonly region: string | undefined;
  /** `networks` as written (empty when it is not an object). */
  readonly networks: Readonly<Record<string, unknown>>;
  /** The networks that are valid, by name. */
  readonly validNetworks: ReadonlySet<string>;
  /** `functions` as written (empty when it is not an object). */
  readonly functions: Readonly<Record<string, unknown>>;
  /** `alarms` as written (empty when it is not an object). */
  readonly alarms: Readonly<Record<string, unknown>>;
}

/** One secret entry as the checks see it (its type is valid). */
export interface EntryContext {
  readonly index: number;
  /** The entry's id, or `secrets[<index>]` when it has no valid one. */
  readonly label: string;
  /** The entry as written. */
  readonly entry: Readonly<Record<string, unknown>>;
  readonly type: CredentialType;
  readonly spec: CredentialTypeSpec;
  /** The strategy given, or the type's default. */
  readonly strategy: string;
  /** The schedule the entry gives, or the type's default. */
  readonly schedule: RotationSchedule;
  /** How the entry's secret is known to other entries (`arn:...`, `name:...`); none for a new secret. */
  readonly identity: string | undefined;
}

/** A rule of the whole policy. */
export interface PolicyCheck {
  readonly name: string;
  problems(policy: PolicyContext): PolicyProblem[];
}

/** A rule of one secret entry, which may look at the entries before it. */
export interface SecretCheck {
  readonly name: string;
  problems(entry: EntryContext, policy: PolicyContext, earlier: readonly EntryContext[]): PolicyProblem[];
}

const problem = (
  secret: string | undefined,
  field: string,
  value: unknown,
  allowed: string,
): PolicyProblem => ({
  secret,
  field,
  received: show(value),
  allowed,
});

/** How a secret reference is known: by ARN or by name. */
export function referenceIdentity(reference: unknown): string | undefined {
  if (!isRecord(reference) || 'create' in reference) return undefined;
  if (typeof reference.arn === 'string') return `arn:${reference.arn}`;
  return typeof reference.name === 'string' ? `name:${reference.name}` : undefined;
}

/** The rules of the whole policy, in the order their problems are listed. */
export const POLICY_CHECKS: readonly PolicyCheck[] = [
  {
    name: 'a break-glass role only with the rollout workflow it starts',
    problems: ({ policy }) =>
      policy.breakGlass !== undefined && isRecord(policy.rollout) && policy.rollout.enabled === false
        ? [
            problem(
              undefined,
              'breakGlass',
              policy.breakGlass,
              'nothing with rollout.enabled false: the role starts emergency rotations through the rollout workflow',
            ),
          ]
        : [],
  },
  {
    name: 'alarm emails only on a topic the stack creates',
    problems: ({ alarms }) =>
      alarms.topicArn !== undefined && Array.isArray(alarms.emails) && alarms.emails.length > 0
        ? [
            problem(
              undefined,
              'alarms.emails',
              alarms.emails,
              'nothing with alarms.topicArn: subscribe to your own topic where it is managed',
            ),
          ]
        : [],
  },
  {
    name: 'a permissions boundary only for roles the stack creates',
    problems: ({ functions }) =>
      functions.roleArn !== undefined && functions.permissionsBoundaryArn !== undefined
        ? [
            problem(
              undefined,
              'functions.permissionsBoundaryArn',
              functions.permissionsBoundaryArn,
              'nothing with functions.roleArn: the boundary applies to roles the stack creates; set it on your own role',
            ),
          ]
        : [],
  },
  {
    name: 'network names secrets can refer to',
    problems: ({ networks }) =>
      Object.keys(networks)
        .filter((name) => !PATTERN.id.test(name))
        .map((name) =>
          problem(undefined, `networks.${name}`, name, 'a name: a letter, then letters, digits and hyphens'),
        ),
  },
];

/** The consumers of an entry that are objects of a known kind, with their index. */
function consumersOf(entry: Readonly<Record<string, unknown>>): Array<[number, Record<string, unknown>]> {
  const consumers = Array.isArray(entry.consumers) ? (entry.consumers as unknown[]) : [];
  return consumers.flatMap(
    (consumer, index): Array<[number, Record<string, unknown>]> =>
      isRecord(consumer) && Object.hasOwn(CONSUMER_CONTRACTS, String(consumer.kind))
        ? [[index, consumer]]
        : [],
  );
}

/** The usage gate an entry gives (its valid fields), with the defaults for the rest. */
function usageGateOf(entry: Readonly<Record<string, unknown>>): { recheck: Duration; checks: number } {
  const gate = isRecord(entry.usageGate) ? entry.usageGate : {};
  const recheck =
    gate.recheck instanceof Duration &&
    Number.isInteger(gate.recheck.toSeconds({ integral: false })) &&
    gate.recheck.toSeconds({ integral: false }) >= ROLLOUT_DEFAULTS.minUsageRecheck.toSeconds() &&
    gate.recheck.toSeconds({ integral: false }) <= ROLLOUT_DEFAULTS.maxUsageRecheck.toSeconds()
      ? gate.recheck
      : ROLLOUT_DEFAULTS.usageRecheck;
  const checks =
    typeof gate.maxChecks === 'number' &&
    Number.isInteger(gate.maxChecks) &&
    gate.maxChecks >= 1 &&
    gate.maxChecks <= ROLLOUT_DEFAULTS.maxUsageChecks
      ? gate.maxChecks
      : ROLLOUT_DEFAULTS.usageMaxChecks;
  return { recheck, checks };
}

/** The longest one consumer can keep a wave waiting, from its kind's contract (its default when invalid). */
function waitSecondsOf(consumer: Readonly<Record<string, unknown>>): number | undefined {
  const contract = consumerContract(consumer.kind as ConsumerKind);
  if (contract.waitSeconds === undefined) return undefined;
  try {
    return contract.waitSeconds(contract.toConfig(consumer as never, {}) as never);
  } catch {
    return contract.waitSeconds({} as never);
  }
}

/** A duration in words, every unit shown (`2 days 23 hours 15 minutes`): no rounding hides a part. */
function inWords(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
  }
  return parts.length === 0 ? '0 minutes' : parts.join(' ');
}

/**
 * A secret's worst-case rollout must end before its next rotation can start: otherwise the next
 * rotation finds the rollout still keeping the previous credential valid, and the interlock refuses
 * it (or, without one, it would take that credential away from consumers still holding it). The
 * worst case is the ONE computation of `lambdas/rollout/worst-case.ts` (the lock's lease uses it
 * too); the shortest gap is the schedule's, `cron()` included, over a year.
 */
const ROLLOUT_FITS_BETWEEN_ROTATIONS: SecretCheck = {
  name: 'a rollout fits between two rotations',
  problems: ({ label, entry, schedule }, { policy }) => {
    const rollout = isRecord(policy.rollout) ? policy.rollout : {};
    if (rollout.enabled === false || entry.paused === true) return [];
    const grace = entry.grace instanceof Duration ? entry.grace : POLICY_DEFAULTS.grace;
    const interval = schedule.interval;
    // A grace as long as the interval already has its own problem (the check above).
    if (
      interval !== undefined &&
      grace.toHours({ integral: false }) >= interval.toHours({ integral: false })
    ) {
      return [];
    }
    const gap = schedule.shortestGap();
    if (gap === undefined) return [];
    const { recheck, checks } = usageGateOf(entry);
    const concurrency =
      typeof entry.consumerConcurrency === 'number' && Number.isInteger(entry.consumerConcurrency)
        ? entry.consumerConcurrency
        : ROLLOUT_DEFAULTS.consumerConcurrency;
    const worst = rolloutWorstCase({
      graceSeconds: grace.toSeconds({ integral: false }),
      usageRecheckSeconds: recheck.toSeconds({ integral: false }),
      usageMaxChecks: checks,
      maxConcurrency: concurrency,
      consumers: consumersOf(entry).map(([, consumer]) => {
        const waitSeconds = waitSecondsOf(consumer);
        return { canary: consumer.canary === true, ...(waitSeconds === undefined ? {} : { waitSeconds }) };
      }),
      rotationTimeoutSeconds: ROLLOUT_DEFAULTS.rotationTimeout.toSeconds(),
    });
    const gapSeconds = gap.toSeconds({ integral: false });
    if (gapSeconds > worst.totalSeconds) return [];
    return [
      {
        secret: label,
        field: 'schedule',
        received: `${schedule.toString()}: two rotations can be as little as ${inWords(gapSeconds)} apart`,
        allowed: `rotations always further apart than this secret's worst-case rollout, ${inWords(worst.totalSeconds)} (grace ${inWords(worst.graceSeconds)} + ${checks} usage checks x ${recheck.toHumanString()} + consumer waves ${inWords(worst.consumerSeconds)} + rotation ${inWords(worst.rotationSeconds)}): rotate less often (a longer rate() or a sparser cron()), or shorten grace or usageGate`,
      },
    ];
  },
};

/** Where an entry names its targets. */
const TARGETS: readonly TargetField[] = ['masterSecret', 'managementSecret', 'user', 'database'];

/** The rules of one secret entry, in the order their problems are listed. */
export const SECRET_CHECKS: readonly SecretCheck[] = [
  {
    name: 'a secret the stack creates starts paused',
    problems: ({ label, entry }) =>
      isRecord(entry.secret) && 'create' in entry.secret && entry.paused !== true
        ? [
            problem(
              label,
              'paused',
              entry.paused,
              'true while the stack creates the secret: it holds no working credential yet, so the deploy-time configuration test would fail; store the first credential, then remove paused',
            ),
          ]
        : [],
  },
  {
    name: 'one entry per secret',
    problems: ({ label, entry, identity }, _policy, earlier) => {
      const other = earlier.find((before) => identity !== undefined && before.identity === identity);
      return other === undefined
        ? []
        : [
            problem(
              label,
              'secret',
              entry.secret,
              `a secret no other entry rotates (entry "${other.label}" already does: a secret has one rotation)`,
            ),
          ];
    },
  },
  {
    name: "secrets in the stack's region",
    problems: ({ label, entry }, { region }) =>
      (['secret', 'masterSecret', 'managementSecret'] as const).flatMap((field) => {
        const reference = entry[field];
        const arn = isRecord(reference) ? reference.arn : undefined;
        const arnRegion = typeof arn === 'string' ? PATTERN.secretArn.exec(arn)?.[1] : undefined;
        return region !== undefined && arnRegion !== undefined && arnRegion !== region
          ? [
              problem(
                label,
                `${field}.arn`,
                arn,
                `a secret in the stack's region ${region} (Secrets Manager only invokes rotation functions in its own region)`,
              ),
            ]
          : [];
      }),
  },
  {
    name: 'grace ends before the next rotation',
    problems: ({ label, entry, schedule }) => {
      const grace = entry.grace;
      const interval = schedule.interval;
      if (!(grace instanceof Duration) || interval === undefined) return [];
      const hours = grace.toHours({ integral: false });
      return hours >= 0 &&
        hours <= POLICY_DEFAULTS.maxGrace.toHours() &&
        hours >= interval.toHours({ integral: false })
        ? [
            problem(
              label,
              'grace',
              grace,
              `less than the rotation interval (${interval.toHumanString()}): the old credential must be revoked before the next rotation replaces it`,
            ),
          ]
        : [];
    },
  },
  ROLLOUT_FITS_BETWEEN_ROTATIONS,
  {
    name: 'each consumer once, each with a name of its own',
    problems: ({ label, entry }) => consumerNameProblems(label, entry),
  },
  {
    name: 'grace outlasts every consumer cache',
    problems: ({ label, entry }) => graceCacheProblems(label, entry),
  },
  {
    name: 'a rollout fits one Step Functions execution',
    problems: ({ label, entry }) => {
      const { recheck, checks } = usageGateOf(entry);
      const grace = entry.grace instanceof Duration ? entry.grace.toSeconds({ integral: false }) : 0;
      const longest = grace + recheck.toSeconds() * checks;
      return longest > ROLLOUT_DEFAULTS.maxRollout.toSeconds()
        ? [
            {
              secret: label,
              field: 'usageGate',
              received: `grace plus ${checks} re-checks every ${recheck.toHumanString()} (${Math.round(longest / 86_400)} days)`,
              allowed: `at most ${ROLLOUT_DEFAULTS.maxRollout.toHumanString()} in all: a Standard Step Functions execution lasts one year at most`,
            },
          ]
        : [];
    },
  },
  {
    name: 'a network the policy defines',
    problems: ({ label, entry }, { networks }) => {
      if (typeof entry.network !== 'string' || Object.hasOwn(networks, entry.network)) return [];
      const names = Object.keys(networks);
      return [
        problem(
          label,
          'network',
          entry.network,
          names.length > 0
            ? `one of the networks: ${names.join(', ')}`
            : 'a name defined in networks (none is)',
        ),
      ];
    },
  },
  {
    name: 'a master secret other than the rotated one',
    problems: ({ label, entry, identity }) =>
      identity !== undefined && referenceIdentity(entry.masterSecret) === identity
        ? [problem(label, 'masterSecret', entry.masterSecret, 'a secret other than the rotated one')]
        : [],
  },
  {
    name: 'the rules every rotation follows (targets, VPC, schedule, timeout, memory)',
    problems: ({ label, entry, spec, strategy, schedule }, { functions }) => {
      const settings: Record<string, unknown> = {};
      for (const field of Object.keys(spec.contract.settings)) {
        if (entry[field] !== undefined) settings[field] = entry[field];
      }
      const timeout = entry.timeout ?? functions.timeout;
      const input = {
        type: spec.contract.id as CredentialType,
        settings,
        targets: TARGETS.filter((field) => entry[field] !== undefined),
        schedule,
        inVpc: entry.network !== undefined,
        timeout: timeout instanceof Duration ? timeout : undefined,
        memorySize: entry.memorySize ?? functions.memorySize ?? POLICY_DEFAULTS.memorySize,
      };
      return ROTATION_CHECKS.flatMap((check) => check.problems(input, spec, strategy)).map((found) => ({
        secret: label,
        field:
          found.field === 'timeout' && entry.timeout === undefined
            ? 'timeout (from functions.timeout)'
            : found.field === 'memorySize' && entry.memorySize === undefined
              ? 'memorySize (from functions.memorySize)'
              : found.field,
        received: found.received,
        allowed: found.allowed,
      }));
    },
  },
  {
    name: 'age checks name secrets by ARN',
    problems: ({ label, entry }, { alarms }) => {
      const secret = entry.secret;
      return alarms.secretAgeChecks === true &&
        isRecord(secret) &&
        !('create' in secret) &&
        secret.name !== undefined
        ? [
            problem(
              label,
              'secret.name',
              secret.name,
              'a complete ARN (secret: { arn }) with alarms.secretAgeChecks: AWS Config identifies secrets by ARN',
            ),
          ]
        : [];
    },
  },
];

/** Each consumer once, each with a name of its own: the problems of one entry's consumers (rotated or followed). */
export function consumerNameProblems(
  label: string,
  entry: Readonly<Record<string, unknown>>,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  const names = new Map<string, number>();
  for (const [index, consumer] of consumersOf(entry)) {
    const at = `consumers[${index}]`;
    const contract = consumerContract(consumer.kind as ConsumerKind);
    const identity = `${contract.kind}:${contract.identity.map((field) => String(consumer[field])).join('/')}`;
    const duplicate = seen.has(identity);
    if (duplicate) problems.push(problem(label, at, consumer, 'each consumer once'));
    seen.add(identity);
    const derived = consumer.name === undefined && contract.defaultName !== undefined;
    const name = derived ? contract.defaultName?.(consumer) : consumer.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(name)) {
      if (derived) {
        problems.push(
          problem(
            label,
            `${at}.name`,
            name,
            'a name: the one derived from the target does not fit 1 to 128 of A-Z a-z 0-9 ._-, so set name',
          ),
        );
      }
      continue;
    }
    const other = names.get(name);
    if (other !== undefined && !duplicate) {
      problems.push(
        problem(
          label,
          `${at}.name`,
          name,
          `a name no other consumer of this secret has (consumers[${other}] is "${name}"): set name`,
        ),
      );
    }
    names.set(name, index);
  }
  return problems;
}

/** A `reads` setting as written, when it has a valid shape (the schema reports the others). */
function readsOf(value: unknown): ReadsSetting | undefined {
  if (typeof value === 'string')
    return Object.hasOwn(CACHE_MODES, value) ? (value as ReadsSetting) : undefined;
  if (!isRecord(value) || typeof value.via !== 'string' || !Object.hasOwn(CACHE_MODES, value.via))
    return undefined;
  return value.ttl instanceof Duration ? (value as unknown as ReadsSetting) : undefined;
}

/**
 * A grace window shorter than the longest cache among a secret's consumers revokes a credential some
 * consumer may still hold: refused, unless the entry gives `graceOverride: { reason }`. Stated ttls
 * beyond what a mode allows, and modes that need a ttl, are problems of their own.
 */
function graceCacheProblems(label: string, entry: Readonly<Record<string, unknown>>): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const grace = entry.grace instanceof Duration ? entry.grace : POLICY_DEFAULTS.grace;
  const graceSeconds = grace.toSeconds({ integral: false });
  let longest: { index: number; name: string; via: string; seconds: number | null } | undefined;
  for (const [index, consumer] of consumersOf(entry)) {
    const reads = readsOf(consumer.reads);
    if (reads === undefined) continue;
    const judged = staleness(String(consumer.kind), reads);
    if (judged.problem !== undefined) {
      problems.push(problem(label, `consumers[${index}].reads`, consumer.reads, judged.problem));
      continue;
    }
    const name = String(
      consumer.name ??
        consumerContract(consumer.kind as ConsumerKind).defaultName?.(consumer) ??
        `consumers[${index}]`,
    );
    const via = typeof reads === 'string' ? reads : reads.via;
    // `null` (until it restarts) is the longest there is.
    const longer =
      longest === undefined ||
      (longest.seconds !== null && (judged.seconds === null || judged.seconds > longest.seconds));
    if (longer) longest = { index, name, via, seconds: judged.seconds };
  }
  const overridden = isRecord(entry.graceOverride);
  if (longest !== undefined && !overridden && (longest.seconds === null || longest.seconds > graceSeconds)) {
    problems.push(
      problem(
        label,
        'grace',
        grace,
        `at least the longest cache among the consumers: "${longest.name}" reads through ${longest.via} (${CACHE_MODES[longest.via as keyof typeof CACHE_MODES].describe}), which keeps an old value ${describeStaleness(longest.seconds)}; revoking sooner breaks it. Lengthen grace, shorten that cache, or give graceOverride: { reason } (docs/consumers.md#how-consumers-cache)`,
      ),
    );
  }
  return problems;
}
