import { CreateAccessKeyCommand, CreateUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  EmulatorOptions,
  RotationLambdaEvent,
  RotationLambdaHandler,
  RotationStep,
} from '../../../local/emulator';
import { type AwsService, type AwsWorld, startAws } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { recordSecretMaterial } from '../../support/log-scan';

/**
 * The AWS API contract tests: each file gets the services it tests where the run says (the
 * endpoints given, or an in-process emulator with fast rotation retries). The files without the
 * `.emulator-only` suffix must hold against any implementation of the AWS API, real AWS included;
 * where the AWS documentation leaves a behaviour open, the test name says so.
 */
export function startTestAws(
  services: readonly AwsService[],
  emulator: EmulatorOptions = {},
): Promise<AwsWorld> {
  return startAws({ services, emulator: { rotation: { retries: 2, retryDelayMs: 0 }, ...emulator } });
}

/** The real SDK client, its endpoint and credentials from the standard settings, one attempt. */
export function secretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({ maxAttempts: 1, ...config });
}

/** A ClientRequestToken of the length the API accepts (32-64 characters). */
export function token(label: string): string {
  return `${label}-${crypto.randomUUID()}`.slice(0, 64).padEnd(32, '0');
}

let counter = 0;

/** A secret name unique within the test run (and apart from earlier runs against the same endpoint). */
export function uniqueName(prefix = 'test/secret'): string {
  counter += 1;
  return `${prefix}-${RUN_ID}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A raw HTTP request to an AWS endpoint, for the wire-level tests. */
export interface RawRequest {
  /** The endpoint URL, e.g. from `endpointOf`. */
  readonly endpoint: string;
  /** The SigV4 signing name (`secretsmanager`, `sts`, `lambda`, ...). */
  readonly signingName: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Signs with these; `undefined` sends the request unsigned. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default - now */
  readonly signingDate?: Date;
}

/**
 * Sends a request signed with the SDK's own SigV4 signer (or unsigned), for tests of the wire
 * protocol itself: what an SDK client would not send, and the raw error shapes.
 */
export async function rawRequest(request: RawRequest): Promise<Response> {
  const url = new URL(request.path ?? '/', request.endpoint);
  const headers: Record<string, string> = { host: url.host, ...request.headers };
  const body = request.body ?? '';
  let signed = headers;
  if (request.credentials !== undefined) {
    const signer = new SignatureV4({
      service: request.signingName,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: request.credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
    const result = await signer.sign(
      {
        method: request.method ?? 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        headers,
        body,
      },
      { signingDate: request.signingDate ?? new Date() },
    );
    signed = result.headers;
  }
  const { host: _host, ...sent } = signed;
  return fetch(url, {
    method: request.method ?? 'POST',
    headers: sent,
    ...(request.method === 'GET' ? {} : { body }),
  });
}

/** The endpoint a client of `service` resolves to (the given one, or the in-process emulator's). */
export function endpointOf(aws: AwsWorld, service: AwsService): string {
  const target = aws.targets[service];
  if (target.kind === 'given' && target.endpoint !== undefined) return target.endpoint;
  if (aws.emulator !== undefined) return aws.emulator.endpoint;
  throw new Error(`no endpoint URL for ${service}: it runs on AWS itself; the wire tests need an endpoint`);
}

/** A rotation function for the contract tests, and what it saw. */
export interface ProtocolFunction {
  readonly handler: RotationLambdaHandler;
  /** Every event it was invoked with, in order. */
  readonly events: RotationLambdaEvent[];
  /** Makes the next `times` calls of `step` throw. */
  failNext(step: RotationStep, times: number): void;
}

/**
 * A minimal rotation function that follows the protocol through the real SDK: createSecret puts
 * `<current>+rotated` as AWSPENDING (once per version), finishSecret moves AWSCURRENT to it. Each
 * invocation first waits for `gate`, if given.
 */
export function protocolFunction(
  client: SecretsManagerClient,
  options: { readonly gate?: Promise<void> } = {},
): ProtocolFunction {
  const events: RotationLambdaEvent[] = [];
  const failures = new Map<RotationStep, number>();
  const handler: RotationLambdaHandler = async (event) => {
    events.push(event);
    await options.gate;
    const left = failures.get(event.Step) ?? 0;
    if (left > 0) {
      failures.set(event.Step, left - 1);
      throw new Error(`${event.Step} failed on purpose`);
    }
    const { SecretId, ClientRequestToken } = event;
    if (event.Step === 'createSecret') {
      const pending = await client
        .send(
          new GetSecretValueCommand({ SecretId, VersionId: ClientRequestToken, VersionStage: 'AWSPENDING' }),
        )
        .catch((error: Error) => {
          if (error.name === 'ResourceNotFoundException') return undefined;
          throw error;
        });
      if (pending !== undefined) return;
      const current = await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
      await client.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken,
          SecretString: `${current.SecretString}+rotated`,
          VersionStages: ['AWSPENDING'],
          ...(event.RotationToken !== undefined && { RotationToken: event.RotationToken }),
        }),
      );
    }
    if (event.Step === 'finishSecret') {
      const described = await client.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
        s.includes('AWSCURRENT'),
      )?.[0];
      if (current === ClientRequestToken) return;
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: ClientRequestToken,
          RemoveFromVersionId: current,
        }),
      );
    }
  };
  return { handler, events, failNext: (step, times) => failures.set(step, times) };
}

/** An access key pair. */
export interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** IAM users and keys for the IAM / STS contract tests, made through the API with `iam`. */
export function iamFixtures(iam: IAMClient) {
  return {
    /** Creates an IAM user with a run-unique name (under `path`); returns its name. */
    async newUser(path?: string): Promise<string> {
      const name = uniqueName('user').replaceAll('/', '-');
      await iam.send(
        new CreateUserCommand({ UserName: name, ...(path === undefined ? {} : { Path: path }) }),
      );
      return name;
    },

    /** Creates an access key for `userName`; its secret is recorded for the log scan. */
    async newKey(userName: string): Promise<Key> {
      const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const key = {
        accessKeyId: out.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: out.AccessKey?.SecretAccessKey ?? '',
      };
      recordSecretMaterial(key.secretAccessKey, key.accessKeyId);
      return key;
    },

    /** The ARN STS answers for a call signed with `key`; rejects with STS's error. */
    async callerArn(key: Key, region?: string): Promise<string | undefined> {
      const client = new STSClient({
        maxAttempts: 1,
        credentials: key,
        ...(region !== undefined && { region }),
      });
      try {
        return (await client.send(new GetCallerIdentityCommand({}))).Arn;
      } finally {
        client.destroy();
      }
    },
  };
}
