import {
  EntityAlreadyExistsException,
  IAMServiceException,
  LimitExceededException,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { STSServiceException } from '@aws-sdk/client-sts';
import type {
  AccessKeyCredentials,
  IamSend,
  StsClientFactory,
} from '../../../../lambdas/credentials/iam-access-key';
import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import type { CloudTrailSend } from '../../../../lambdas/shared/cloudtrail';
import {
  AwsServiceError,
  authError,
  CloudTrailService,
  type IamOperation,
  IamService,
  type Principal,
  StsService,
} from '../../../../local/emulator';
import { recordSecretMaterial } from '../../../support/log-scan';
import { readOnlySecrets } from '../../../support/secrets-port';

/** Where an injected failure hits a call: before the service applies it, or after (a lost response). */
export type FaultTiming = 'before' | 'after';

/** A controllable clock shared by the IAM model and the strategy's `sleep` / `now`. */
export class FakeClock {
  ms = Date.UTC(2026, 0, 1);
  readonly sleeps: number[] = [];
  readonly date = (): Date => new Date(this.ms);
  readonly now = (): number => this.ms;
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.ms += ms;
  };
}

function toSdkError(error: unknown, service: 'iam' | 'sts'): unknown {
  if (!(error instanceof AwsServiceError)) return error;
  const options = { message: error.message, $metadata: { httpStatusCode: error.status } };
  if (service === 'iam') {
    if (error.type === 'NoSuchEntity') return new NoSuchEntityException(options);
    if (error.type === 'LimitExceeded') return new LimitExceededException(options);
    if (error.type === 'EntityAlreadyExists') return new EntityAlreadyExistsException(options);
  }
  const Base = service === 'iam' ? IAMServiceException : STSServiceException;
  return new Base({ ...options, name: error.type, $fault: error.status >= 500 ? 'server' : 'client' });
}

function injected(operation: string, timing: FaultTiming, service: 'iam' | 'sts'): Error {
  const Base = service === 'iam' ? IAMServiceException : STSServiceException;
  return new Base({
    name: 'ServiceFailure',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
    message: `injected failure ${timing} ${operation}`,
  });
}

/** The form of a Query request's input: every scalar a string. */
function asQueryInput(input: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]),
  );
}

/**
 * SDK-shaped IAM and STS clients that call the emulator's IAM model in-process: unit tests get the
 * real service semantics (two keys per user, NoSuchEntity, authentication of keys, last use) with no
 * network. Every call is recorded (`iam:Operation`, `sts:Operation`) and any one can be failed,
 * before or after it applies. Service errors become the SDK's exception classes.
 */
export function inProcessIam(options: { clock?: FakeClock; propagationDelayMs?: number } = {}) {
  const clock = options.clock ?? new FakeClock();
  const model = new IamService({ now: clock.date, propagationDelayMs: options.propagationDelayMs ?? 0 });
  const sts = new StsService();
  // Every accepted call signed with a key is a CloudTrail event, as the emulator records it.
  const trail = new CloudTrailService({ now: () => clock.ms, lookupsPerSecond: 1000 });
  /**
   * What the emulator's authenticator decides for a request signed with `credentials` (its
   * signature stood for by the secret): the caller, or `InvalidClientTokenId` for a key that is
   * unknown, deleted, Inactive or not propagated, `SignatureDoesNotMatch` for a wrong secret.
   * Records the key's last use, as an accepted call does.
   */
  const authenticate = (
    credentials: Pick<AccessKeyCredentials, 'accessKeyId'> & Partial<AccessKeyCredentials>,
    service: string,
  ): Principal => {
    const key = model.usableKey(credentials.accessKeyId);
    if (key === undefined) throw authError('unrecognizedClient', 'awsQuery');
    if (credentials.secretAccessKey !== undefined && credentials.secretAccessKey !== key.secretAccessKey) {
      throw authError('signatureDoesNotMatch', 'awsQuery');
    }
    model.recordUse(credentials.accessKeyId, service, 'us-east-1');
    const caller: Principal = {
      type: 'IAMUser',
      arn: key.identity.arn,
      accountId: key.identity.accountId,
      principalId: key.identity.userId,
      userName: key.identity.userName,
      accessKeyId: credentials.accessKeyId,
    };
    trail.record(
      {
        service,
        operation: service === 'sts' ? 'GetCallerIdentity' : 'GetSecretValue',
        time: clock.date(),
        requestId: crypto.randomUUID(),
        region: 'us-east-1',
        accessKeyId: credentials.accessKeyId,
        caller,
        sourceIp: '10.0.1.7',
        userAgent: 'aws-sdk-js/3 app/billing-report',
        requestParameters: {},
      },
      service,
    );
    return caller;
  };
  /** LookupEvents on the recorded events, shaped as the SDK answers (times as Dates). */
  const cloudTrail: CloudTrailSend = {
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the SDK's overloaded send signature
    send: (async (command: { input: Record<string, unknown> }): Promise<any> => {
      calls.push('cloudtrail:LookupEvents');
      const input = Object.fromEntries(
        Object.entries(command.input).map(([key, value]) => [
          key,
          value instanceof Date ? value.getTime() / 1000 : value,
        ]),
      );
      return trail.invoke('LookupEvents', input, 'us-east-1');
    }) as CloudTrailSend['send'],
  };
  const calls: string[] = [];
  let fault: { index: number; timing: FaultTiming } | undefined;
  const faults: { operation: string; error: unknown }[] = [];

  const run = async <T>(service: 'iam' | 'sts', operation: string, apply: () => T): Promise<T> => {
    const index = calls.push(`${service}:${operation}`) - 1;
    const scripted = faults.find((f) => f.operation === `${service}:${operation}`);
    if (scripted !== undefined) {
      faults.splice(faults.indexOf(scripted), 1);
      throw scripted.error;
    }
    const failing = fault?.index === index ? fault : undefined;
    if (failing?.timing === 'before') throw injected(operation, 'before', service);
    let output: T;
    try {
      output = apply();
    } catch (error) {
      throw toSdkError(error, service);
    }
    if (failing?.timing === 'after') throw injected(operation, 'after', service);
    return output;
  };

  const iam: IamSend = {
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the SDK's overloaded send signature
    send: (async (command: { constructor: { name: string }; input: object }): Promise<any> => {
      const operation = command.constructor.name.replace(/Command$/, '') as IamOperation;
      return run('iam', operation, () =>
        structuredClone(model.invoke(operation, asQueryInput(command.input))),
      );
    }) as IamSend['send'],
  };

  const stsFor: StsClientFactory = (credentials: AccessKeyCredentials) => ({
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the SDK's overloaded send signature
    send: (async (command: { constructor: { name: string }; input: object }): Promise<any> => {
      const operation = command.constructor.name.replace(/Command$/, '');
      return run('sts', operation, () =>
        sts.invoke('GetCallerIdentity', {}, authenticate(credentials, 'sts')),
      );
    }) as ReturnType<StsClientFactory>['send'],
  });

  return {
    model,
    clock,
    iam,
    sts: stsFor,
    cloudTrail,
    trail,
    calls,
    /** Fails call number `index` (0-based, over every IAM and STS call) before or after it applies. */
    failCall(index: number, timing: FaultTiming) {
      fault = { index, timing };
    },
    /** Makes the next call of `operation` (`iam:CreateAccessKey`) throw `error` without applying. */
    failNext(operation: string, error: unknown) {
      faults.push({ operation, error });
    },
    /** Creates an IAM user. */
    createUser(userName: string, path = '/') {
      model.invoke('CreateUser', { UserName: userName, Path: path });
    },
    /** Creates an access key for `userName` outside the strategy; its secret is recorded for the log scan. */
    createKey(userName: string): AccessKeyCredentials {
      const { AccessKey } = model.invoke('CreateAccessKey', { UserName: userName }) as {
        AccessKey: { AccessKeyId: string; SecretAccessKey: string };
      };
      recordSecretMaterial(AccessKey.SecretAccessKey, AccessKey.AccessKeyId);
      return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
    },
    /** The keys of a user as `id:Status`, oldest first. */
    keys(userName: string): string[] {
      const { AccessKeyMetadata } = model.invoke('ListAccessKeys', { UserName: userName }) as {
        AccessKeyMetadata: { AccessKeyId: string; Status: string }[];
      };
      return AccessKeyMetadata.map((key) => `${key.AccessKeyId}:${key.Status}`);
    },
    /** Whether STS accepts `accessKeyId` now (and records its use, as a real call would). */
    authenticates(accessKeyId: string, service = 'sts'): boolean {
      try {
        return authenticate({ accessKeyId }, service) !== undefined;
      } catch {
        return false;
      }
    },
  };
}

export type InProcessIam = ReturnType<typeof inProcessIam>;

/** A StrategyContext whose logger records every line and whose secret reader serves `secrets`. */
export function fakeContext(secrets: Record<string, string> = {}) {
  const lines: string[] = [];
  const reads: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const ctx: StrategyContext = {
    secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-key-AbCdEf',
    rotationId: '11111111-2222-3333-4444-555555555555',
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: readOnlySecrets((secretId) => {
      reads.push(secretId);
      return secrets[secretId];
    }),
  };
  return { ctx, lines, reads };
}
