/**
 * The rotation policy as zod/mini schemas, composed from the plug-in contracts: each credential
 * type's entry is the base fields, its contract's settings and its targets; each consumer is its
 * kind contract's settings. Every issue message says what is ALLOWED (the policy error prints the
 * secret, the field, the value received and that). The rules across fields are in `./checks.ts`.
 */
import { Duration } from 'aws-cdk-lib';
import * as z from 'zod/mini';
import {
  CONSUMER_NAME_ALLOWED,
  commonConsumerSettings,
  type SecretReference,
} from '../../lambdas/rollout/consumers/consumer-contract';
import {
  CONSUMER_CONTRACTS,
  CONSUMER_KINDS,
  type ConsumerKind,
} from '../../lambdas/rollout/consumers/contracts';
import { FOLLOWED_BY } from '../../lambdas/rollout/contract';
import {
  READER_SOURCE_CONTRACTS,
  READER_SOURCE_KINDS,
  type ReaderSourceKind,
  type ReaderSourceSettings,
} from '../../lambdas/rollout/readers/sources/contracts';
import { CREDENTIAL_TYPES, type CredentialType } from '../../lambdas/rotation/constants';
import { ARN_PART, EVENT_BUS_NAME, KMS_KEY_ARN } from '../../lambdas/shared/aws-patterns';
import { CLOUDTRAIL_DELIVERY } from '../../lambdas/shared/cloudtrail-delivery';
import { DEFAULT_RUNBOOK_URL } from '../../lambdas/shared/runbook-location';
import { flag, integer, matching, oneOf } from '../../lambdas/shared/settings';
import { specOf, type TargetField } from '../constructs/credential-types';

const { partition: PARTITION, region: REGION, account: ACCOUNT } = ARN_PART;

/** Formats of the identifiers a policy holds. */
export const PATTERN = {
  stackName: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
  id: /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
  account: new RegExp(`^${ACCOUNT}$`),
  region: new RegExp(`^${REGION}$`),
  secretArn: new RegExp(
    // `!`: the names of secrets other services manage (RDS: `rds!db-<id>`).
    `^arn:${PARTITION}:secretsmanager:(${REGION}):${ACCOUNT}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$`,
  ),
  secretName: /^[A-Za-z0-9/_+=.@!-]{1,512}$/,
  kmsKeyArn: KMS_KEY_ARN,
  roleArn: new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@/-]{1,512}$`),
  policyArn: new RegExp(`^arn:${PARTITION}:iam::(?:${ACCOUNT}|aws):policy/[\\w+=,.@/-]{1,512}$`),
  userArn: new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:user/(?:[\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`),
  userName: /^[\w+=,.@-]{1,64}$/,
  principalArn: new RegExp(
    `^arn:${PARTITION}:iam::${ACCOUNT}:(root|role/[\\w+=,.@/-]{1,512}|user/[\\w+=,.@/-]{1,512})$`,
  ),
  roleName: /^[\w+=,.@-]{1,64}$/,
  dashboardName: /^[A-Za-z0-9_-]{1,255}$/,
  topicArn: new RegExp(`^arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:[A-Za-z0-9_-]{1,256}$`),
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  vpcId: /^vpc-[0-9a-f]{8,17}$/,
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  securityGroupId: /^sg-[0-9a-f]{8,17}$/,
  endpointId: /^vpce-[0-9a-f]{8,17}$/,
  availabilityZone: new RegExp(`^${REGION}[a-z]$`),
  fieldName: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
} as const;

/** CloudWatch Logs retention values, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Defaults of the policy, documented in the README policy reference. */
export const POLICY_DEFAULTS = {
  stackName: 'Handover',
  grace: Duration.hours(24),
  maxGrace: Duration.days(30),
  memorySize: 256,
  logRetentionDays: 365,
  runbookUrl: DEFAULT_RUNBOOK_URL,
} as const;

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
  /** How long a rotation a manual start begins may take (the `RolloutWorkflow` default). */
  rotationTimeout: Duration.minutes(15),
} as const;

/** Template fields that look like credentials: the template is in the repository and the template. */
export const SECRET_LOOKING_FIELD = /pass|secret|key|token|credential/i;

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Duration);

/** `no such field here (known: a, b)`: what an unknown field of an object gets. */
const noSuchField = (known: readonly string[]) => `no such field here (known: ${known.join(', ')})`;

/** An object with exactly these fields; anything else, in the words `notObject`. */
function strict<S extends z.core.$ZodLooseShape>(shape: S, notObject: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? noSuchField(known) : notObject),
  });
}

/** A CDK `Duration`. */
export const duration = z.custom<Duration>((value) => value instanceof Duration, {
  error: 'a Duration, e.g. Duration.hours(4)',
});

/** A list of `what` matching `pattern`, each once. */
function list(pattern: RegExp, what: string, required: boolean) {
  const allowed = `a ${required ? 'non-empty ' : ''}list of ${what}`;
  return z.array(matching(pattern, what), { error: allowed }).check(
    z.minLength(required ? 1 : 0, { error: allowed }),
    z.refine((items) => new Set(items).size === items.length, { error: `${what}, each once` }),
  );
}

/** A value checked by `check`, which reports its issues itself (to dispatch between schemas). */
function custom<T>(check: (value: unknown, context: z.core.$RefinementCtx<unknown>) => void) {
  return z.custom<T>(() => true).check(z.superRefine(check));
}

/** Reports the issues of `schema` on `value` as the enclosing schema's own. */
function forward(schema: z.ZodMiniType, value: unknown, context: z.core.$RefinementCtx<unknown>): void {
  for (const issue of schema.safeParse(value).error?.issues ?? []) {
    context.addIssue({ ...issue, input: undefined } as z.core.$ZodRawIssue);
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets, networks
// ---------------------------------------------------------------------------------------------

const SECRET_NAME = 'a secret name: 1 to 512 of A-Z a-z 0-9 /_+=.@!-';

/** An existing secret: `{ arn }` or `{ name }`, with `kmsKeyArn` when it has its own key. */
export const secretReferenceSchema = z.custom<SecretReference>().check(
  z.superRefine((value, context) => {
    forward(
      strict(
        {
          arn: z.optional(
            matching(
              PATTERN.secretArn,
              'a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it)',
            ),
          ),
          name: z.optional(matching(PATTERN.secretName, SECRET_NAME)),
          kmsKeyArn: z.optional(
            matching(
              PATTERN.kmsKeyArn,
              'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias',
            ),
          ),
        },
        '{ arn: "<complete secret ARN>" } or { name: "<secret name>" }',
      ).check(
        z.refine((reference) => (reference.arn === undefined) !== (reference.name === undefined), {
          error: 'exactly one of arn or name',
        }),
      ),
      value,
      context,
    );
  }),
);

/** A secret the stack creates: non-secret fields only. */
export const newSecretSchema = strict(
  {
    /**
     * The secret name.
     * @default - a name CloudFormation generates
     */
    name: z.optional(matching(PATTERN.secretName, SECRET_NAME)),
    /**
     * A description.
     * @default - names the policy entry
     */
    description: z.optional(
      z.custom<string>((value) => typeof value === 'string' && value.length <= 2048, {
        error: 'a string of at most 2048 characters',
      }),
    ),
    /**
     * Non-secret fields of the initial JSON value (host, port, username, ...). Never put a
     * credential here: it would be in the template.
     * @default {}
     */
    template: z.optional(
      z
        .custom<Readonly<Record<string, string | number | boolean>>>(isRecord, {
          error: 'an object of non-secret string, number or boolean fields',
        })
        .check(
          z.superRefine((template, context) => {
            for (const [key, field] of Object.entries(template)) {
              if (!['string', 'number', 'boolean'].includes(typeof field)) {
                context.addIssue({ code: 'custom', message: 'a string, number or boolean', path: [key] });
              } else if (SECRET_LOOKING_FIELD.test(key)) {
                // The value itself is never echoed: it may be a credential someone pasted.
                context.addIssue({
                  code: 'custom',
                  message:
                    'non-secret fields only: the template is in the repository and the CloudFormation template; let generateKey fill it, or store it after deploy',
                  params: { received: 'a value (not shown)' },
                  path: [key],
                });
              }
            }
          }),
        ),
    ),
    /**
     * A field Secrets Manager fills with a random string at creation (e.g. `password`).
     * @default - none
     */
    generateKey: z.optional(matching(PATTERN.fieldName, 'a JSON field name')),
    /**
     * The customer-managed KMS key (key ARN) to encrypt the secret with.
     * @default - the AWS managed key `aws/secretsmanager`
     */
    kmsKeyArn: z.optional(matching(PATTERN.kmsKeyArn, 'a KMS key ARN, not an alias')),
  },
  'an object: { name?, description?, template?, generateKey?, kmsKeyArn? }',
);

/** A secret the stack creates. */
export type NewSecretPolicy = Readonly<z.input<typeof newSecretSchema>>;

/** The secret of a policy entry: an existing one, or one the stack creates. */
export type SecretSource = SecretReference | { readonly create: NewSecretPolicy };

/** `{ create: {...} }` or a reference. */
const secretSourceSchema = custom<SecretSource>((value, context) => {
  if (isRecord(value) && 'create' in value) {
    forward(strict({ create: newSecretSchema }, 'an object'), value, context);
  } else {
    forward(secretReferenceSchema, value, context);
  }
});

/** A VPC placement, given explicitly (no lookups: synth needs no AWS account). */
export const networkSchema = strict(
  {
    /** `vpc-...` */
    vpcId: matching(PATTERN.vpcId, 'a VPC id, vpc-<8 or 17 hex digits>'),
    /** Private subnets (`subnet-...`), one per availability zone you want the function in. */
    subnetIds: list(PATTERN.subnetId, 'subnet ids, subnet-<hex>', true),
    /**
     * Availability zones of `subnetIds`, in the same order.
     * @default - not needed (subnets are given explicitly)
     */
    availabilityZones: z.optional(
      list(PATTERN.availabilityZone, 'availability zones, e.g. eu-west-1a', false),
    ),
    /**
     * Extra security groups (`sg-...`) attached to the functions besides their own.
     * @default - none
     */
    securityGroupIds: z.optional(list(PATTERN.securityGroupId, 'security group ids, sg-<hex>', false)),
    /**
     * The Secrets Manager interface endpoint of the VPC (private DNS on) and its security group.
     * @default - none: then `natGateway` must be true, or synth warns that the function cannot reach Secrets Manager
     */
    secretsManagerEndpoint: z.optional(
      strict(
        {
          endpointId: matching(PATTERN.endpointId, 'a VPC endpoint id, vpce-<hex>'),
          securityGroupId: matching(PATTERN.securityGroupId, 'a security group id, sg-<hex>'),
        },
        '{ endpointId: "vpce-...", securityGroupId: "sg-..." }',
      ),
    ),
    /**
     * The subnets route to the internet through a NAT gateway.
     * @default false
     */
    natGateway: z.optional(flag()),
  },
  'an object: { vpcId, subnetIds, availabilityZones?, securityGroupIds?, secretsManagerEndpoint?, natGateway? }',
).check(
  z.superRefine((network, context) => {
    const zones = network.availabilityZones;
    if (zones !== undefined && zones.length !== network.subnetIds.length) {
      context.addIssue({
        code: 'custom',
        message: `one zone per subnet (${network.subnetIds.length})`,
        path: ['availabilityZones'],
        input: zones,
      });
    }
  }),
);

// ---------------------------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------------------------

/** One consumer of a kind: the kind contract's settings, its secret fields as secret references. */
function consumerSchemaOf(kind: ConsumerKind) {
  const contract = CONSUMER_CONTRACTS[kind];
  const settings: Record<string, z.ZodMiniType> = { ...contract.settings() };
  for (const field of Object.keys(('secrets' in contract ? contract.secrets : undefined) ?? {})) {
    settings[field] = z.optional(secretReferenceSchema);
  }
  return strict(
    {
      kind: z.literal(kind),
      canary: z.optional(flag()),
      name: z.optional(matching(/^[A-Za-z0-9._-]{1,128}$/, CONSUMER_NAME_ALLOWED)),
      ...commonConsumerSettings(),
      ...settings,
    },
    `an object with kind: ${CONSUMER_KINDS.join(', ')}`,
  );
}

const CONSUMER_SCHEMAS = Object.fromEntries(CONSUMER_KINDS.map((kind) => [kind, consumerSchemaOf(kind)]));

/** A consumer of any kind. */
export const consumerSchema = custom((value, context) => {
  if (!isRecord(value)) {
    context.addIssue({ code: 'custom', message: `an object with kind: ${CONSUMER_KINDS.join(', ')}` });
  } else if (!(CONSUMER_KINDS as readonly unknown[]).includes(value.kind)) {
    context.addIssue({ code: 'custom', message: `one of ${CONSUMER_KINDS.join(', ')}`, path: ['kind'] });
  } else {
    forward(CONSUMER_SCHEMAS[value.kind as ConsumerKind] as z.ZodMiniType, value, context);
  }
});

// ---------------------------------------------------------------------------------------------
// Readers (who reads a secret: CloudTrail)
// ---------------------------------------------------------------------------------------------

const SOURCE_ALLOWED = `"off", or { kind: ${READER_SOURCE_KINDS.map((kind) => `"${kind}"`).join(' | ')}, ... }`;

/** One reader source of a kind: its contract's settings, with `kind`. */
const SOURCE_SCHEMAS = Object.fromEntries(
  READER_SOURCE_KINDS.map((kind) => [
    kind,
    strict(
      { kind: z.literal(kind), ...READER_SOURCE_CONTRACTS[kind].settings() },
      `an object with kind: ${READER_SOURCE_KINDS.join(', ')}`,
    ),
  ]),
) as unknown as Record<ReaderSourceKind, z.ZodMiniType>;

/** A reader source, or `off`. */
const readerSourceSchema = custom<'off' | ReaderSourceSettings>((value, context) => {
  if (value === 'off') return;
  if (!isRecord(value) || !(READER_SOURCE_KINDS as readonly unknown[]).includes(value.kind)) {
    context.addIssue({ code: 'custom', message: SOURCE_ALLOWED });
    return;
  }
  forward(SOURCE_SCHEMAS[value.kind as ReaderSourceKind], value, context);
});

/** A principal ARN, or an ARN pattern ending in `*`. */
const PRINCIPAL_PATTERN =
  /^(arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/*-]+|service:[a-z0-9.-]+\.amazonaws\.com)$/;

/** The readers check of a secret: who reads it, from where, and who of them nobody declared. */
export const readersSchema = strict(
  {
    /**
     * Where reads of the secret come from: `{ kind: 'cloudtrail' }` (CloudTrail event history, this
     * account and region, 90 days), `{ kind: 'cloudtrail-lake', eventDataStoreArn }` (an
     * organisation trail's event data store), or `'off'` (no readers check: the usage gate then
     * relies on the strategy alone).
     * @default { kind: 'cloudtrail' }
     */
    source: z.optional(readerSourceSchema),
    /**
     * How long after the rotation an absence in CloudTrail is trusted (AWS documents an average of
     * about 5 minutes, not guaranteed): the usage gate waits this long after the grace window.
     * 5 minutes to 1 hour.
     * @default Duration.minutes(15)
     */
    deliveryDelay: z.optional(
      duration.check(
        z.refine(
          (delay) => {
            const seconds = delay.toSeconds({ integral: false });
            return seconds >= CLOUDTRAIL_DELIVERY.documentedAverageSeconds && seconds <= 3600;
          },
          { error: "5 minutes (CloudTrail's documented average delivery time) to 1 hour" },
        ),
      ),
    ),
    /**
     * Principals the readers check leaves alone, each with why (a break-glass role, an auditor):
     * `{ principal: '<role or user ARN, or a pattern ending in *>', reason: '<why>' }`.
     * @default - none
     */
    ignore: z.optional(
      z.array(
        strict(
          {
            principal: matching(
              PRINCIPAL_PATTERN,
              'a role or user ARN, a pattern ending in *, or service:<name>.amazonaws.com',
            ),
            reason: z.custom<string>((value) => typeof value === 'string' && value.trim().length >= 10, {
              error: 'a reason of at least 10 characters',
            }),
          },
          '{ principal, reason }',
        ),
        { error: 'a list of { principal, reason }' },
      ),
    ),
  },
  '{ source?, deliveryDelay?, ignore? }',
);

/** An explicit, reasoned override of the rule that the grace window outlasts every consumer's cache. */
export const graceOverrideSchema = strict(
  {
    /** Why a grace window shorter than a consumer's cache is acceptable here (20 characters at least). */
    reason: z.custom<string>((value) => typeof value === 'string' && value.trim().length >= 20, {
      error: 'a reason of at least 20 characters: why consumers may keep the old value past the grace window',
    }),
  },
  '{ reason: "<why>" }',
);

// ---------------------------------------------------------------------------------------------
// Secret entries
// ---------------------------------------------------------------------------------------------

/** An entry's `id` and `type`: checked first, they decide the rest. */
export const entryHeadSchema = z.looseObject({
  id: matching(PATTERN.id, 'an id: a letter, then letters, digits and hyphens (63 at most)'),
  type: oneOf(CREDENTIAL_TYPES),
});

/** The usage gate of the rollout workflow. */
export const usageGateSchema = strict(
  {
    /**
     * Time between checks (1 minute to 7 days).
     * @default Duration.hours(1)
     */
    recheck: z.optional(
      duration.check(
        z.refine(
          (recheck) => {
            const seconds = recheck.toSeconds({ integral: false });
            return (
              Number.isInteger(seconds) &&
              seconds >= ROLLOUT_DEFAULTS.minUsageRecheck.toSeconds() &&
              seconds <= ROLLOUT_DEFAULTS.maxUsageRecheck.toSeconds()
            );
          },
          { error: '1 minute to 7 days, in whole seconds' },
        ),
      ),
    ),
    /**
     * Checks before giving up (1 to 1000).
     * @default 24
     */
    maxChecks: z.optional(integer(1, ROLLOUT_DEFAULTS.maxUsageChecks)),
  },
  '{ recheck?, maxChecks? }',
);

/** When a secret rotates. */
export const scheduleSchema = strict(
  {
    /**
     * `rate(<n> hours|days)` or `cron(<6 fields>)`, in UTC.
     * @default - `rate(<type default>)`: 30 days for database passwords, 90 for IAM access keys and shared keys, 180 for third-party API keys
     */
    expression: z.optional(z.string({ error: 'a string: rate(...) or cron(...)' })),
    /**
     * The rotation window (whole hours, 1 to 24), which CDK's `automaticallyAfter` cannot express.
     * @default - 4 hours
     */
    window: z.optional(duration),
  },
  '{ expression?, window? }',
);

/** Fields every secret entry has, besides `type` and the type's settings and targets. */
export const entryBaseShape = {
  /** A stable id (letters, digits, hyphens; starts with a letter): construct ids derive from it. */
  id: z.custom<string>(),
  /** The secret: `{ arn }`, `{ name }` or `{ create: {...} }`. */
  secret: secretSourceSchema,
  /**
   * When it rotates.
   * @default - the type's default interval, 4-hour window
   */
  schedule: z.optional(scheduleSchema),
  /**
   * Rotate as soon as the schedule is deployed; otherwise Secrets Manager only tests the
   * configuration at deploy time.
   * @default false
   */
  rotateImmediately: z.optional(flag()),
  /**
   * Deploy everything except the rotation schedule: for a secret this stack creates, until its
   * first real credential is stored, or to stop rotations during an incident.
   * @default false
   */
  paused: z.optional(flag()),
  /**
   * How long the old credential stays valid after consumers moved (the rollout workflow), 0 to 30 days.
   * @default Duration.hours(24)
   */
  grace: z.optional(
    duration.check(
      z.refine(
        (grace) => {
          const hours = grace.toHours({ integral: false });
          return hours >= 0 && hours <= POLICY_DEFAULTS.maxGrace.toHours();
        },
        { error: `0 to ${POLICY_DEFAULTS.maxGrace.toHumanString()}` },
      ),
    ),
  ),
  /**
   * Accept a grace window shorter than a consumer's cache (`reads`): `{ reason }`. Without it, such a
   * policy is refused: consumers would keep the old value after it is revoked.
   * @default - refused
   */
  graceOverride: z.optional(graceOverrideSchema),
  /**
   * Who reads the secret (CloudTrail): preflight names readers no consumer accounts for, and the
   * usage gate does not revoke while one of them still holds the old version.
   * @default - { source: { kind: 'cloudtrail' }, deliveryDelay: Duration.minutes(15) }
   */
  readers: z.optional(readersSchema),
  /**
   * Who uses the credential (the rollout workflow).
   * @default - none
   */
  consumers: z.optional(
    z.array(consumerSchema, { error: 'a list of consumers' }).check(
      z.superRefine((consumers, context) => {
        if (consumers.length > ROLLOUT_DEFAULTS.maxConsumers) {
          context.addIssue({
            code: 'custom',
            message: `at most ${ROLLOUT_DEFAULTS.maxConsumers}`,
            params: { received: `${consumers.length} consumers` },
          });
        }
      }),
    ),
  ),
  /**
   * How the rollout workflow proves the old credential unused before revoking it.
   * @default - re-check every hour, 24 times at most
   */
  usageGate: z.optional(usageGateSchema),
  /**
   * Consumers updated at once in the main wave (1 to 40).
   * @default 4
   */
  consumerConcurrency: z.optional(integer(1, ROLLOUT_DEFAULTS.maxConsumerConcurrency)),
  /**
   * Network placement: a name from `networks`, or one inline.
   * @default - not in a VPC (database types require one)
   */
  network: z.optional(
    custom<string | z.input<typeof networkSchema>>((value, context) => {
      if (typeof value !== 'string') forward(networkSchema, value, context);
    }),
  ),
  /**
   * Memory of this secret's function, in MiB (overrides `functions.memorySize`).
   * @default - `functions.memorySize`
   */
  memorySize: z.optional(z.custom<number>()),
  /**
   * Timeout of this secret's function (overrides `functions.timeout`).
   * @default - `functions.timeout`
   */
  timeout: z.optional(duration),
};

/** A database secret's target. */
export const databaseTargetSchema = strict(
  {
    /** The security group of the database (`sg-...`): it gets an ingress rule from the function. */
    securityGroupId: matching(PATTERN.securityGroupId, 'a security group id, sg-<hex>'),
    /**
     * The port.
     * @default - 5432 (PostgreSQL), 3306 (MySQL)
     */
    port: z.optional(
      z.custom<number>(
        (port) => Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535,
        {
          error: 'a port from 1 to 65535',
        },
      ),
    ),
  },
  '{ securityGroupId: "sg-...", port? }',
);

/** How a policy names each target. */
export const TARGET_SCHEMAS = {
  masterSecret: secretReferenceSchema,
  managementSecret: secretReferenceSchema,
  user: matching(
    new RegExp(`${PATTERN.userName.source}|${PATTERN.userArn.source}`),
    'an IAM user name (path /) or user ARN',
  ),
  database: databaseTargetSchema,
} as const satisfies Record<TargetField, z.ZodMiniType>;

/**
 * The entry of a credential type: the base fields, `type`, the contract's settings (`strategy`
 * among the base fields, where a policy writes it) and the type's targets.
 */
function entrySchemaOf(type: CredentialType) {
  const spec = specOf(type);
  const { strategy, ...settings } = spec.contract.settings;
  const targets = Object.fromEntries(
    (Object.keys(spec.targets) as TargetField[]).map((field) => [field, z.optional(TARGET_SCHEMAS[field])]),
  );
  const { id, ...base } = entryBaseShape;
  return strict(
    {
      id,
      type: z.literal(type),
      strategy: strategy ?? z.optional(z.never()),
      ...base,
      ...settings,
      ...targets,
    },
    'a secret entry object',
  );
}

/** The entry schema of every credential type. */
export const ENTRY_SCHEMAS = Object.fromEntries(
  CREDENTIAL_TYPES.map((type) => [type, entrySchemaOf(type)]),
) as unknown as Record<CredentialType, z.ZodMiniType>;

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

/** Where alarms go. */
export const alarmsSchema = strict(
  {
    /**
     * Alarms on: function errors, the engine's RotationFailed metric per credential type, and the
     * Secrets Manager RotationFailed event.
     * @default true
     */
    enabled: z.optional(flag()),
    /**
     * Email addresses subscribed to the alarm topic (each confirms by email).
     * @default - none
     */
    emails: z.optional(
      z.array(matching(PATTERN.email, 'an email address'), { error: 'a list of email addresses' }),
    ),
    /**
     * An existing SNS topic to notify instead of creating one.
     * @default - a new topic, encrypted with a new KMS key, TLS only
     */
    topicArn: z.optional(matching(PATTERN.topicArn, 'an SNS topic ARN')),
    /**
     * The runbook every alarm description and rollout notification links to
     * (`<runbookUrl>#runbook-<alarm-id>`), e.g. the URL of `docs/runbook.md` in your repository.
     * @default 'docs/runbook.md'
     */
    runbookUrl: z.optional(
      matching(/^[^\s#]+$/, 'a URL or path without spaces or "#" (the anchor is added per alarm)'),
    ),
    /**
     * AWS Config rules per secret: older than its policy allows (interval plus grace), or a scheduled
     * rotation that did not complete (AWSPENDING stuck). Needs an AWS Config recorder in the account
     * and complete secret ARNs.
     * @default false
     */
    secretAgeChecks: z.optional(flag()),
  },
  'an object',
);

/** Settings of every rotation function; a secret may override memory and timeout. */
export const functionsSchema = strict(
  {
    /**
     * Memory, in MiB (128 to 10240).
     * @default 256
     */
    memorySize: z.optional(
      z.custom<number>(
        (memory) => Number.isInteger(memory) && (memory as number) >= 128 && (memory as number) <= 10_240,
        { error: 'an integer from 128 to 10240 (MiB)' },
      ),
    ),
    /**
     * Timeout of one rotation step.
     * @default - per type: 60 s (databases), 120 s (IAM access keys), 90 s (API keys), 30 s (shared keys)
     */
    timeout: z.optional(duration),
    /**
     * Log retention in days (one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180,
     * 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
     * @default 365
     */
    logRetentionDays: z.optional(
      z.custom<number>((days) => (LOG_RETENTION_DAYS as readonly unknown[]).includes(days), {
        error: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    ),
    /**
     * A permissions boundary (managed policy ARN) on every role the stack creates.
     * @default - none
     */
    permissionsBoundaryArn: z.optional(matching(PATTERN.policyArn, 'a managed policy ARN')),
    /**
     * Bring your own execution role for every function (its ARN). The stack adds the functions'
     * least-privilege statements to it as an inline policy.
     * @default - a new role per function
     */
    roleArn: z.optional(matching(PATTERN.roleArn, 'an IAM role ARN')),
  },
  'an object',
);

/** The rollout workflow (Step Functions) of the whole deployment. */
export const rolloutSchema = strict(
  {
    /**
     * Build the rollout workflow: the state machine, its trigger on Secrets Manager's
     * RotationSucceeded event, the per-secret configuration parameters, and its alarms.
     * @default true
     */
    enabled: z.optional(flag()),
    /**
     * The EventBridge bus the workflow's milestone events go to (name).
     * @default 'default'
     */
    eventBusName: z.optional(matching(EVENT_BUS_NAME, 'an event bus name')),
  },
  'an object',
);

/** A secret Handover follows: it rolls out rotations that RDS, or a function not Handover's, performs. */
export const followSchema = strict(
  {
    /** A stable id (letters, digits, hyphens; starts with a letter), unique among secrets and followed secrets. */
    id: matching(PATTERN.id, 'an id: a letter, then letters, digits and hyphens (63 at most)'),
    /** The secret: `{ arn }` (an RDS-managed secret's ARN, from the instance's MasterUserSecret) or `{ name }`. */
    secret: secretReferenceSchema,
    /**
     * Who rotates it: `rds` (an RDS-managed master user secret, rotated every 7 days by default) or
     * `other` (a rotation function that is not Handover's).
     * @default 'rds'
     */
    rotatedBy: z.optional(oneOf(FOLLOWED_BY)),
    /**
     * Who uses the credential: the rollout moves and verifies each after every rotation.
     * @default - none
     */
    consumers: entryBaseShape.consumers,
    /**
     * Consumers updated at once in the main wave (1 to 40).
     * @default 4
     */
    consumerConcurrency: entryBaseShape.consumerConcurrency,
    /**
     * Who reads the secret (CloudTrail): undeclared readers at preflight, and who still holds the old
     * value once the consumers moved.
     * @default - { source: { kind: 'cloudtrail' } }
     */
    readers: z.optional(readersSchema),
  },
  'a followed secret: { id, secret, rotatedBy?, consumers?, consumerConcurrency?, readers? }',
);

/** The CloudWatch dashboard of the stack. */
export const dashboardSchema = strict(
  {
    /**
     * Create the dashboard (sections executive, on-call, debug).
     * @default true
     */
    enabled: z.optional(flag()),
    /**
     * Its name.
     * @default - the stack name
     */
    name: z.optional(matching(PATTERN.dashboardName, 'a dashboard name: 1 to 255 of A-Z a-z 0-9 - _')),
  },
  'an object',
);

/** The break-glass role: start emergency rotations and read their status, nothing else. */
export const breakGlassSchema = strict(
  {
    /** Who may assume the role: IAM role, user or account-root ARNs of the stack's account. */
    principalArns: list(PATTERN.principalArn, 'IAM role, user or account-root ARNs', true),
    /**
     * The role's name (what "Switch role" in the console asks for).
     * @default - a name CloudFormation generates (stack output BreakGlassRoleArn)
     */
    roleName: z.optional(matching(PATTERN.roleName, 'an IAM role name (64 characters at most)')),
  },
  'an object',
);

/** The top level of a policy (each secret entry is checked on its own, against its type). */
export const policySchema = strict(
  {
    /**
     * The CloudFormation stack name.
     * @default 'Handover'
     */
    stackName: z.optional(
      matching(PATTERN.stackName, 'a stack name: a letter, then letters, digits and hyphens (128 at most)'),
    ),
    /**
     * Account and region. Secrets must live in the stack's region (Secrets Manager invokes rotation
     * functions in its own region).
     * @default - environment-agnostic: the account and region of the credentials `cdk deploy` runs with
     */
    env: z.optional(
      strict(
        {
          account: z.optional(matching(PATTERN.account, 'a 12-digit account id')),
          region: z.optional(matching(PATTERN.region, 'a region, e.g. eu-west-1')),
        },
        '{ account?, region? }',
      ),
    ),
    /**
     * Tags on every resource of the stack.
     * @default - none
     */
    tags: z.optional(
      z.custom<Readonly<Record<string, string>>>(isRecord, { error: 'an object of tags' }).check(
        z.superRefine((tags, context) => {
          for (const [key, value] of Object.entries(tags)) {
            if (
              key.length < 1 ||
              key.length > 128 ||
              key.startsWith('aws:') ||
              typeof value !== 'string' ||
              value.length > 256
            ) {
              context.addIssue({
                code: 'custom',
                message:
                  'a key of 1 to 128 characters not starting with "aws:", and a string value of at most 256',
                path: [key],
              });
            }
          }
        }),
      ),
    ),
    /**
     * Alarms.
     * @default - on, to a new encrypted SNS topic with no subscription
     */
    alarms: z.optional(alarmsSchema),
    /**
     * Settings of every rotation function.
     * @default - 256 MiB, the type's timeout, one year of logs, a new role per function
     */
    functions: z.optional(functionsSchema),
    /**
     * Named network placements the secrets refer to by name.
     * @default - none
     */
    networks: z.optional(
      z.record(z.string(), networkSchema, { error: 'an object of network placements by name' }),
    ),
    /**
     * The rollout workflow that carries each new credential to its consumers.
     * @default - on, milestone events on the default bus
     */
    rollout: z.optional(rolloutSchema),
    /**
     * Secrets Handover follows but does not rotate: an RDS-managed master user secret, or a secret
     * another rotation function rotates. Their rollouts start on their `RotationSucceeded` event,
     * move and verify their consumers and name who still holds the old value; they never rotate or
     * revoke anything (the old password is already gone).
     * @default - none
     */
    follow: z.optional(
      z.custom<readonly unknown[]>((follow) => Array.isArray(follow), {
        error: 'a list of followed secrets',
      }),
    ),
    /**
     * The CloudWatch dashboard.
     * @default - on, named after the stack
     */
    dashboard: z.optional(dashboardSchema),
    /**
     * A break-glass role for incidents, assumable by the principals named: start rollouts
     * (emergency rotations) of the rollout state machine and read their status, nothing else.
     * Needs the rollout workflow.
     * @default - none
     */
    breakGlass: z.optional(breakGlassSchema),
    /** The secrets to rotate. */
    secrets: z.custom<readonly unknown[]>((secrets) => Array.isArray(secrets) && secrets.length > 0, {
      error: 'a non-empty list of secrets to rotate',
    }),
  },
  'an object',
);
