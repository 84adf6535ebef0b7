import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';
import { endpointOf, errorOf, iamFixtures, type Key, rawRequest, startTestAws, uniqueName } from './harness';

/** IAM and STS through the real SDK over HTTP (Query protocol, XML), against the emulator or any given endpoint. */
let aws: AwsWorld;
let iam: IAMClient;
let account: string;

const base = () => ({ maxAttempts: 1 });
const stsWith = (key: Key, region = aws.region) => new STSClient({ ...base(), region, credentials: key });

beforeAll(async () => {
  aws = await startTestAws(['iam', 'sts', 'secretsmanager']);
  iam = new IAMClient(base());
  fixtures = iamFixtures(iam);
  account = await aws.accountId();
});

afterAll(async () => {
  iam.destroy();
  await aws.close();
});

let fixtures: ReturnType<typeof iamFixtures>;
const newUser = (path?: string) => fixtures.newUser(path);
const newKey = (userName: string) => fixtures.newKey(userName);
const callerArn = (key: Key) => fixtures.callerArn(key);

describe('IAM users and access keys', () => {
  it('creates a user with a path and returns its ARN, and GetUser finds it', async () => {
    const name = await newUser('/services/');

    const { User } = await iam.send(new GetUserCommand({ UserName: name }));

    expect(User).toMatchObject({
      UserName: name,
      Path: '/services/',
      Arn: `arn:aws:iam::${account}:user/services/${name}`,
    });
    expect(User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(User?.CreateDate).toBeInstanceOf(Date);
  });

  it('refuses a second user with the same name in another case: EntityAlreadyExists, HTTP 409', async () => {
    const name = await newUser();

    const error = await errorOf(iam.send(new CreateUserCommand({ UserName: name.toUpperCase() })));

    expect(error.name).toBe('EntityAlreadyExistsException');
    expect(error.$metadata?.httpStatusCode).toBe(409);
  });

  it('answers NoSuchEntity (HTTP 404) for an unknown user', async () => {
    const error = await errorOf(iam.send(new GetUserCommand({ UserName: 'nobody-here' })));

    expect(error.name).toBe('NoSuchEntityException');
    expect(error.message).toBe('The user with name nobody-here cannot be found.');
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('answers ValidationError (HTTP 400) for a user name IAM does not allow', async () => {
    const error = await errorOf(iam.send(new CreateUserCommand({ UserName: 'has space' })));

    expect(error.name).toBe('ValidationError');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('creates access keys in the AWS format and lists them without their secret', async () => {
    const name = await newUser();
    const first = await newKey(name);
    const second = await newKey(name);

    const { AccessKeyMetadata, IsTruncated } = await iam.send(new ListAccessKeysCommand({ UserName: name }));

    expect(first.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(first.secretAccessKey).toHaveLength(40);
    expect(IsTruncated).toBe(false);
    expect(AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status, k.UserName])).toEqual([
      [first.accessKeyId, 'Active', name],
      [second.accessKeyId, 'Active', name],
    ]);
    expect(JSON.stringify(AccessKeyMetadata)).not.toContain(first.secretAccessKey);
  });

  it('refuses a third access key with LimitExceeded, HTTP 409', async () => {
    const name = await newUser();
    await newKey(name);
    await newKey(name);

    const error = await errorOf(iam.send(new CreateAccessKeyCommand({ UserName: name })));

    expect(error.name).toBe('LimitExceededException');
    expect(error.message).toBe('Cannot exceed quota for AccessKeysPerUser: 2');
    expect(error.$metadata?.httpStatusCode).toBe(409);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata).toHaveLength(2);
  });

  it('deactivates and reactivates a key: STS rejects it while Inactive', async () => {
    const name = await newUser();
    const key = await newKey(name);

    await iam.send(
      new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.accessKeyId, Status: 'Inactive' }),
    );
    const rejected = await errorOf(callerArn(key));
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: name }));
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.accessKeyId, Status: 'Active' }),
    );

    expect(rejected.name).toBe('InvalidClientTokenId');
    expect(rejected.$metadata?.httpStatusCode).toBe(403);
    expect(listed.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
    expect(await callerArn(key)).toBe(`arn:aws:iam::${account}:user/${name}`);
  });

  it('refuses a status other than Active or Inactive with ValidationError', async () => {
    const name = await newUser();
    const key = await newKey(name);

    const error = await errorOf(
      iam.send(
        new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.accessKeyId, Status: 'Expired' }),
      ),
    );

    expect(error.name).toBe('ValidationError');
  });

  it('deletes a key: STS rejects it, and it is NoSuchEntity afterwards', async () => {
    const name = await newUser();
    const key = await newKey(name);

    await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.accessKeyId }));

    expect((await errorOf(callerArn(key))).name).toBe('InvalidClientTokenId');
    const again = await errorOf(
      iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.accessKeyId })),
    );
    expect(again.name).toBe('NoSuchEntityException');
    expect(again.$metadata?.httpStatusCode).toBe(404);
    const lastUsed = await errorOf(
      iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId })),
    );
    expect(lastUsed.name).toBe('NoSuchEntityException');
    expect((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata).toEqual([]);
  });

  it("answers NoSuchEntity for another user's key", async () => {
    const owner = await newUser();
    const other = await newUser();
    const key = await newKey(owner);

    const error = await errorOf(
      iam.send(
        new UpdateAccessKeyCommand({ UserName: other, AccessKeyId: key.accessKeyId, Status: 'Inactive' }),
      ),
    );

    expect(error.name).toBe('NoSuchEntityException');
    expect(error.message).toBe(`The Access Key with id ${key.accessKeyId} cannot be found.`);
  });

  it('reports N/A for a key never used, then the date, service and region of its last use', async () => {
    const name = await newUser();
    const key = await newKey(name);
    const before = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    const start = Date.now();

    const sts = stsWith(key, 'eu-west-1');
    await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    const afterSts = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    const sm = new SecretsManagerClient({ ...base(), region: 'eu-central-1', credentials: key });
    const secret = uniqueName('iam-sts');
    await sm.send(new CreateSecretCommand({ Name: secret, SecretString: 'value' }));
    await sm.send(new GetSecretValueCommand({ SecretId: secret }));
    sm.destroy();
    const afterSm = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));

    expect(before.UserName).toBe(name);
    expect(before.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    expect(afterSts.AccessKeyLastUsed).toMatchObject({ ServiceName: 'sts', Region: 'eu-west-1' });
    expect(afterSts.AccessKeyLastUsed?.LastUsedDate?.getTime()).toBeGreaterThanOrEqual(start);
    expect(afterSm.AccessKeyLastUsed).toMatchObject({
      ServiceName: 'secretsmanager',
      Region: 'eu-central-1',
    });
  });

  it('defaults GetUser and CreateAccessKey to the calling user when UserName is omitted', async () => {
    const name = await newUser();
    const key = await newKey(name);
    const self = new IAMClient({ ...base(), credentials: key });

    const { User } = await self.send(new GetUserCommand({}));
    const created = await self.send(new CreateAccessKeyCommand({}));
    recordSecretMaterial(created.AccessKey?.SecretAccessKey ?? '', created.AccessKey?.AccessKeyId ?? '');
    self.destroy();

    expect(User?.UserName).toBe(name);
    expect(created.AccessKey?.UserName).toBe(name);
  });
});

describe('STS GetCallerIdentity and authentication', () => {
  it('answers with the user ARN, user id and account of the signing key', async () => {
    const name = await newUser('/team/');
    const key = await newKey(name);
    const { User } = await iam.send(new GetUserCommand({ UserName: name }));
    const sts = stsWith(key);

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();

    expect(identity).toMatchObject({
      Arn: `arn:aws:iam::${account}:user/team/${name}`,
      UserId: User?.UserId,
      Account: account,
    });
  });

  it('rejects a key IAM never issued with InvalidClientTokenId, HTTP 403', async () => {
    const error = await errorOf(
      callerArn({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x'.repeat(40) }),
    );

    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.message).toBe('The security token included in the request is invalid.');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('speaks the Query protocol: XML errors with Type, Code, Message and RequestId', async () => {
    const response = await rawRequest({
      endpoint: endpointOf(aws, 'sts'),
      signingName: 'sts',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    const body = await response.text();

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\s*<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>MissingAuthenticationToken<\/Code>\s*<Message>Request is missing Authentication Token<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>\s*$/,
    );
  });

  it('refuses an action IAM does not have with InvalidAction, HTTP 400', async () => {
    const probe = new STSClient({});
    const credentials = await probe.config.credentials();
    probe.destroy();
    const response = await rawRequest({
      endpoint: endpointOf(aws, 'iam'),
      signingName: 'iam',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=GetCallerIdentity&Version=2010-05-08',
      credentials,
    });
    const body = await response.text();

    expect(response.status).toBe(400);
    expect(body).toMatch(/<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/">/);
    expect(body).toContain('<Code>InvalidAction</Code>');
    expect(body).toContain('Could not find operation GetCallerIdentity for version 2010-05-08');
  });
});
