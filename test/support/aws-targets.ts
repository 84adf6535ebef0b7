/**
 * Where the integration suite sends each AWS service's calls: decided ONCE, from the environment
 * the suite was started with, by the same rule the AWS SDK uses (`AWS_ENDPOINT_URL_<SERVICE>`
 * over `AWS_ENDPOINT_URL`), before any harness sets anything. Read by `vitest.config.ts` (which
 * leaves the emulator-only group out when an endpoint is given), by the global setup (which prints
 * one line per service and hands the decision to every test file), and by `startAws` (which starts
 * the emulator only for services left unset).
 *
 * Pure: no I/O, no Vitest import, so the config file can use it.
 */

/** The services the integration suite calls, with the SDK's service id (it names the variable). */
export const AWS_SERVICES = {
  secretsmanager: 'Secrets Manager',
  iam: 'IAM',
  sts: 'STS',
  cloudwatch: 'CloudWatch',
  rds: 'RDS',
  lambda: 'Lambda',
  ssm: 'SSM',
  eventbridge: 'EventBridge',
  sfn: 'SFN',
  sns: 'SNS',
  cloudtrail: 'CloudTrail',
  dynamodb: 'DynamoDB',
} as const;

/** One of {@link AWS_SERVICES}. */
export type AwsService = keyof typeof AWS_SERVICES;

/** Every service, in a stable order. */
export const ALL_SERVICES = Object.keys(AWS_SERVICES) as AwsService[];

/**
 * Set to `aws` to send every service that has no endpoint variable to AWS itself (a real account,
 * with the credentials of the environment) instead of the emulator.
 */
export const TARGET_VARIABLE = 'HANDOVER_TEST_TARGET';

/** Where one service's calls go. */
export interface ServiceTarget {
  readonly service: AwsService;
  /** `emulator`: an in-process emulator each test file starts; `given`: `endpoint`; `aws`: AWS's own endpoint. */
  readonly kind: 'emulator' | 'given' | 'aws';
  /** The endpoint URL, for `given`. */
  readonly endpoint?: string;
  /** The variable that gave it (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`), or `HANDOVER_TEST_TARGET`. */
  readonly source?: string;
}

/** The decision for every service. */
export type AwsTargets = Readonly<Record<AwsService, ServiceTarget>>;

/** The SDK's per-service endpoint variable, e.g. `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
export function endpointVariable(service: AwsService): string {
  return `AWS_ENDPOINT_URL_${AWS_SERVICES[service].toUpperCase().replaceAll(' ', '_')}`;
}

/**
 * Decides where each service goes, as the SDK would resolve it from `env`: the per-service
 * variable, else `AWS_ENDPOINT_URL`, else AWS itself when `HANDOVER_TEST_TARGET=aws`, else the
 * emulator.
 *
 * @example
 * ```ts
 * resolveTargets({ AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:4566' }).iam;
 * // { service: 'iam', kind: 'given', endpoint: 'http://127.0.0.1:4566', source: 'AWS_ENDPOINT_URL_IAM' }
 * ```
 */
export function resolveTargets(env: Readonly<Record<string, string | undefined>>): AwsTargets {
  const real = env[TARGET_VARIABLE];
  if (real !== undefined && real !== '' && real !== 'aws' && real !== 'emulator') {
    throw new Error(`${TARGET_VARIABLE} must be 'aws' or 'emulator', got '${real}'`);
  }
  const entries = ALL_SERVICES.map((service): [AwsService, ServiceTarget] => {
    const variable = endpointVariable(service);
    const own = env[variable];
    if (own) return [service, { service, kind: 'given', endpoint: own, source: variable }];
    const general = env.AWS_ENDPOINT_URL;
    if (general) return [service, { service, kind: 'given', endpoint: general, source: 'AWS_ENDPOINT_URL' }];
    if (real === 'aws') return [service, { service, kind: 'aws', source: TARGET_VARIABLE }];
    return [service, { service, kind: 'emulator' }];
  });
  return Object.fromEntries(entries) as unknown as AwsTargets;
}

/** Whether every service runs on the emulator: only then does the emulator-only group run. */
export function everyServiceOnEmulator(targets: AwsTargets): boolean {
  return ALL_SERVICES.every((service) => targets[service].kind === 'emulator');
}

/** The file suffix of the emulator-only group. */
export const EMULATOR_ONLY_SUFFIX = '.emulator-only.test.ts';

/** The glob of the emulator-only group, for Vitest's `exclude`. */
export const EMULATOR_ONLY_GLOB = `**/*${EMULATOR_ONLY_SUFFIX}`;

/** One line per service, saying where its calls go, for the start of a run. */
export function describeTargets(targets: AwsTargets): string[] {
  return ALL_SERVICES.map((service) => {
    const target = targets[service];
    const name = AWS_SERVICES[service].padEnd(15);
    if (target.kind === 'given') return `  ${name} ${target.endpoint} (given by ${target.source})`;
    if (target.kind === 'aws') return `  ${name} AWS's own endpoint (${TARGET_VARIABLE}=aws)`;
    return `  ${name} the AWS API emulator, started in-process by each test file`;
  });
}
