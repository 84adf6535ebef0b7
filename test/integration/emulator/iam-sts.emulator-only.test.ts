import {
  CreateAccessKeyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, iamFixtures, type Key, startTestAws } from './harness';

/**
 * EMULATOR ONLY: what only the emulator offers: IAM's propagation delay made on purpose, the call
 * log, fault injection, and its bootstrap credentials, which act as the account's root (on AWS the
 * caller's identity is whatever the credentials of the run belong to).
 */
let aws: AwsWorld;
let emulator: Emulator;
let iam: IAMClient;

const base = () => ({ maxAttempts: 1 });

beforeAll(async () => {
  aws = await startTestAws(['iam', 'sts']);
  emulator = aws.requireEmulator();
  iam = new IAMClient(base());
  fixtures = iamFixtures(iam);
});

afterEach(() => {
  emulator.faults.clear();
  emulator.iam.propagationDelayMs = 0;
});

afterAll(async () => {
  iam.destroy();
  await aws.close();
});

let fixtures: ReturnType<typeof iamFixtures>;
const newUser = (path?: string) => fixtures.newUser(path);
const newKey = (userName: string) => fixtures.newKey(userName);
const callerArn = (key: Key) => fixtures.callerArn(key);

describe('Emulator: IAM propagation and the bootstrap credentials', () => {
  it('answers GetCallerIdentity signed with the bootstrap credentials as the account root', async () => {
    const identity = await callerArn(emulator.bootstrapCredentials);

    expect(identity).toBe(`arn:aws:iam::${emulator.iam.accountId}:root`);
  });

  it('takes the bootstrap credentials from an option instead of the environment', async () => {
    const pinned = await startEmulator({
      credentials: { accessKeyId: 'AKIAPINNED', secretAccessKey: 'pinned-secret' },
    });
    const sts = (credentials: Key) =>
      new STSClient({ endpoint: pinned.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const pinnedClient = sts({ accessKeyId: 'AKIAPINNED', secretAccessKey: 'pinned-secret' });
      const envClient = sts({
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      });
      const identity = await pinnedClient.send(new GetCallerIdentityCommand({}));
      const rejected = await errorOf(envClient.send(new GetCallerIdentityCommand({})));
      pinnedClient.destroy();
      envClient.destroy();

      expect(identity.Arn).toBe('arn:aws:iam::123456789012:root');
      expect(rejected.name).toBe('InvalidClientTokenId');
    } finally {
      await pinned.close();
    }
  });

  it('rejects a new key until the propagation delay has passed, in every service', async () => {
    emulator.iam.propagationDelayMs = 400;
    const name = await newUser();
    const key = await newKey(name);
    const selfIam = new IAMClient({ ...base(), credentials: key });

    const early = await errorOf(callerArn(key));
    const earlyIam = await errorOf(selfIam.send(new GetUserCommand({})));
    await new Promise((resolve) => setTimeout(resolve, 450));
    const late = await callerArn(key);
    const lateIam = await selfIam.send(new GetUserCommand({}));
    selfIam.destroy();

    expect(early.name).toBe('InvalidClientTokenId');
    expect(earlyIam.name).toBe('InvalidClientTokenId');
    expect(late).toBe(`arn:aws:iam::${emulator.iam.accountId}:user/${name}`);
    expect(lateIam.User?.UserName).toBe(name);
  });
});

describe('Emulator: call log and faults for IAM and STS', () => {
  it('logs IAM and STS calls with their service and the user they are about', async () => {
    const name = await newUser();
    emulator.resetCalls();
    const key = await newKey(name);
    await callerArn(key);

    expect(
      emulator.calls.map(({ service, operation, secretId }) => ({ service, operation, secretId })),
    ).toEqual([
      { service: 'iam', operation: 'CreateAccessKey', secretId: name },
      { service: 'sts', operation: 'GetCallerIdentity', secretId: undefined },
    ]);
  });

  it('fails an IAM call with an injected error, and lets the next one through', async () => {
    const name = await newUser();
    const fault = emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      error: { type: 'ServiceFailure', message: 'injected', status: 500 },
    });

    const error = await errorOf(iam.send(new CreateAccessKeyCommand({ UserName: name })));
    const key = await newKey(name);

    expect(error.name).toBe('ServiceFailureException');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(fault.hits).toBe(1);
    expect(key.accessKeyId).toMatch(/^AKIA/);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata).toHaveLength(1);
  });

  it('fails an STS call with an injected error', async () => {
    const name = await newUser();
    const key = await newKey(name);
    emulator.faults.add({ service: 'sts', operation: 'GetCallerIdentity', error: 'throttle' });

    const error = await errorOf(callerArn(key));

    expect(error.name).toBe('ThrottlingException');
    expect(await callerArn(key)).toBe(`arn:aws:iam::${emulator.iam.accountId}:user/${name}`);
  });
});
