import { appendFileSync } from 'node:fs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { expect, inject } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../local/emulator';
import { ALL_SERVICES, type AwsService, type AwsTargets, endpointVariable } from './aws-targets';
import { emulatorRotationTarget, harnessRotationTarget, type RotationTarget } from './rotation-target';

export type { AwsService } from './aws-targets';
export type { RotateOptions, RotationTarget } from './rotation-target';

/**
 * When set, every `startAws` appends one JSON line to this file when it closes: the test file,
 * whether it started an in-process emulator, and how many calls that emulator served. The harness
 * test reads it to prove where the traffic went.
 */
export const HARNESS_REPORT_VARIABLE = 'HANDOVER_TEST_HARNESS_REPORT';

/** What a test file asks of AWS. */
export interface StartAwsOptions {
  /** The services the file calls (its own clients and the code under test). */
  readonly services: readonly AwsService[];
  /** Options of the in-process emulator, when one is started. @default - fast rotation retries */
  readonly emulator?: EmulatorOptions;
}

/** One test file's AWS: where each service is, the emulator if one was needed, the service's part of rotation. */
export interface AwsWorld {
  /** Where each service's calls go (decided once for the run). */
  readonly targets: AwsTargets;
  /** The in-process emulator serving the services no endpoint was given for; `undefined` when there are none. */
  readonly emulator: Emulator | undefined;
  /** The region clients use. */
  readonly region: string;
  /** The account the credentials belong to (STS GetCallerIdentity, once). */
  accountId(): Promise<string>;
  /** Secrets Manager's part of a rotation: the emulator's, or the harness's for another endpoint. */
  readonly rotation: RotationTarget;
  /**
   * The in-process emulator, for a test of the emulator-only group. Throws when there is none: such
   * a test is in the wrong group.
   */
  requireEmulator(): Emulator;
  close(): Promise<void>;
}

/** The decision the global setup made for the whole run, before any harness set a variable. */
function targetsOfRun(): AwsTargets {
  return inject('awsTargets');
}

/**
 * Gives a test file the AWS it needs, honouring the endpoints the run was started with:
 *
 * - A service with an endpoint variable (`AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`), or
 *   every service with `HANDOVER_TEST_TARGET=aws`, keeps it: nothing here overwrites it.
 * - An in-process emulator is started only when a service the file uses has no endpoint; the
 *   per-service variable of every such service is then pointed at it, so SDK clients built without
 *   an endpoint (the Lambda code's, the tests') reach it.
 * - With the emulator, credentials default to `test` / `test` when the environment has none, and
 *   the emulator's bootstrap credentials are the ones this process's SDK clients sign with (its
 *   environment, or the profile named by `AWS_PROFILE`).
 *
 * @example
 * ```ts
 * const aws = await startAws({ services: ['secretsmanager', 'iam', 'sts'] });
 * const arn = await aws.rotation.register('iam-access-key', handler);
 * const outcome = await aws.rotation.rotate(secretArn, arn);
 * await aws.close();
 * ```
 */
export async function startAws(options: StartAwsOptions): Promise<AwsWorld> {
  const targets = targetsOfRun();
  const needsEmulator = options.services.some((service) => targets[service].kind === 'emulator');
  process.env.AWS_REGION ??= 'us-east-1';
  const region = process.env.AWS_REGION;
  let emulator: Emulator | undefined;
  if (needsEmulator) {
    // The emulator's bootstrap credentials are this process's: the ones the SDK clients sign with.
    let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    if (process.env.AWS_ACCESS_KEY_ID === undefined && process.env.AWS_PROFILE === undefined) {
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
    } else if (process.env.AWS_ACCESS_KEY_ID === undefined) {
      const probe = new STSClient({});
      const resolved = await probe.config.credentials();
      probe.destroy();
      credentials = { accessKeyId: resolved.accessKeyId, secretAccessKey: resolved.secretAccessKey };
    }
    emulator = await startEmulator({
      rotation: { retries: 2, retryDelayMs: 0 },
      ...(credentials !== undefined && { credentials }),
      ...options.emulator,
    });
    for (const service of ALL_SERVICES) {
      if (targets[service].kind === 'emulator') process.env[endpointVariable(service)] = emulator.endpoint;
    }
  }
  const secretsManager = new SecretsManagerClient({});
  const lambda = new LambdaClient({});
  let account: Promise<string> | undefined;
  const accountId = (): Promise<string> => {
    account ??= (async () => {
      const sts = new STSClient({});
      try {
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        if (identity.Account === undefined) throw new Error('STS GetCallerIdentity returned no Account');
        return identity.Account;
      } finally {
        sts.destroy();
      }
    })();
    return account;
  };
  const rotation =
    targets.secretsmanager.kind === 'emulator' && emulator !== undefined
      ? emulatorRotationTarget(emulator, secretsManager, { region, accountId: emulator.iam.accountId })
      : harnessRotationTarget({
          secretsManager,
          lambda,
          accountId,
          lambdaUnset: targets.lambda.kind === 'emulator',
        });

  return {
    targets,
    emulator,
    region,
    accountId,
    rotation,
    requireEmulator() {
      if (emulator === undefined) {
        throw new Error(
          'this test needs the in-process emulator (fault hooks, call log, set-up no AWS API allows): ' +
            'it belongs in the emulator-only group (*.emulator-only.test.ts)',
        );
      }
      return emulator;
    },
    async close() {
      secretsManager.destroy();
      lambda.destroy();
      const report = process.env[HARNESS_REPORT_VARIABLE];
      if (report !== undefined && report !== '') {
        appendFileSync(
          report,
          `${JSON.stringify({
            testFile: expect.getState().testPath ?? null,
            services: options.services,
            inProcessEmulator: emulator !== undefined,
            inProcessCalls: emulator?.calls.length ?? 0,
          })}\n`,
        );
      }
      await emulator?.close();
    },
  };
}
