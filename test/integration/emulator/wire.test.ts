import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';
import { endpointOf, errorOf, rawRequest, secretsManagerClient, startTestAws, uniqueName } from './harness';

/**
 * The wire contract every AWS service keeps before it looks at an operation: SigV4 authentication
 * (a signature made with the wrong secret, an access key id that is unknown, Inactive or deleted,
 * a stale `X-Amz-Date`, no signature) and the error each protocol answers with: AWS JSON
 * (`{"__type", "message"}`, HTTP 400), Query (`<ErrorResponse>` XML, HTTP 403), REST-JSON
 * (`x-amzn-errortype`, HTTP 403). Against the emulator or any given endpoint.
 */
let aws: AwsWorld;
let credentials: { accessKeyId: string; secretAccessKey: string };
let iam: IAMClient;

const MINUTE = 60_000;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

beforeAll(async () => {
  aws = await startTestAws(['secretsmanager', 'sts', 'iam', 'lambda']);
  const probe = new STSClient({});
  const resolved = await probe.config.credentials();
  probe.destroy();
  credentials = { accessKeyId: resolved.accessKeyId, secretAccessKey: resolved.secretAccessKey };
  iam = new IAMClient({ maxAttempts: 1 });
});

afterAll(async () => {
  iam.destroy();
  await aws.close();
});

const wrongSecret = () => ({ ...credentials, secretAccessKey: `${credentials.secretAccessKey}-wrong` });
const unknownKey = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x'.repeat(40) };

/** A JSON request to Secrets Manager (ListSecrets), signed with `signer` at `signingDate`. */
function secretsManagerRequest(options: {
  credentials?: { accessKeyId: string; secretAccessKey: string };
  target?: string;
  body?: string;
  signingDate?: Date;
}) {
  return rawRequest({
    endpoint: endpointOf(aws, 'secretsmanager'),
    signingName: 'secretsmanager',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `secretsmanager.${options.target ?? 'ListSecrets'}`,
    },
    body: options.body ?? '{}',
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    ...(options.signingDate !== undefined && { signingDate: options.signingDate }),
  });
}

/** An STS GetCallerIdentity request (Query protocol), signed with `signer` at `signingDate`. */
function stsRequest(options: {
  credentials?: { accessKeyId: string; secretAccessKey: string };
  signingDate?: Date;
}) {
  return rawRequest({
    endpoint: endpointOf(aws, 'sts'),
    signingName: 'sts',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    ...(options.signingDate !== undefined && { signingDate: options.signingDate }),
  });
}

/** The `<Code>` of a Query error, checking the `<ErrorResponse>` shape around it. */
function queryErrorCode(body: string): string | undefined {
  expect(body).toMatch(
    /<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>[A-Za-z]+<\/Code>\s*<Message>[^<]+<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>/,
  );
  return /<Code>([A-Za-z]+)<\/Code>/.exec(body)?.[1];
}

/** The exception name of an AWS JSON error body (`__type` may carry a namespace before `#`). */
function jsonErrorType(body: unknown): string | undefined {
  const type = (body as { __type?: unknown }).__type;
  return typeof type === 'string' ? type.split('#').at(-1) : undefined;
}

/** An IAM user with one access key. */
async function newKey(): Promise<{
  userName: string;
  key: { accessKeyId: string; secretAccessKey: string };
}> {
  const userName = uniqueName('wire').replaceAll('/', '-');
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const key = {
    accessKeyId: AccessKey?.AccessKeyId ?? '',
    secretAccessKey: AccessKey?.SecretAccessKey ?? '',
  };
  recordSecretMaterial(key.secretAccessKey, key.accessKeyId);
  return { userName, key };
}

describe('AWS JSON 1.1 (Secrets Manager): authentication and errors', () => {
  it('answers a signed request for an unknown operation with UnknownOperationException, HTTP 400', async () => {
    const response = await secretsManagerRequest({ credentials, target: 'FlyToTheMoon' });

    expect(response.status).toBe(400);
    expect(jsonErrorType(await response.json())).toBe('UnknownOperationException');
  });

  it('answers a signed request whose body is not JSON with SerializationException, HTTP 400', async () => {
    const response = await secretsManagerRequest({
      credentials,
      target: 'DescribeSecret',
      body: '{not json',
    });

    expect(response.status).toBe(400);
    expect(jsonErrorType(await response.json())).toBe('SerializationException');
  });

  it('rejects a signature made with the wrong secret: InvalidSignatureException, HTTP 400, {__type, message}', async () => {
    const response = await secretsManagerRequest({ credentials: wrongSecret() });
    const body = (await response.json()) as { __type?: string; message?: string };

    expect(response.status).toBe(400);
    expect(jsonErrorType(body)).toBe('InvalidSignatureException');
    expect(body.message).toBe(SIGNATURE_MISMATCH);
  });

  it('rejects an access key id it does not know: UnrecognizedClientException, HTTP 400', async () => {
    const client = secretsManagerClient({ credentials: unknownKey });

    const error = await errorOf(client.send(new ListSecretsCommand({})));
    client.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.message).toBe(INVALID_TOKEN);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('rejects a request signed 20 minutes ago: InvalidSignatureException "Signature expired" (AWS also lists RequestExpired among its common errors)', async () => {
    const response = await secretsManagerRequest({
      credentials,
      signingDate: new Date(Date.now() - 20 * MINUTE),
    });
    const body = (await response.json()) as { __type?: string; message?: string };

    expect(response.status).toBe(400);
    expect(jsonErrorType(body)).toBe('InvalidSignatureException');
    expect(body.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/);
  });

  it('rejects a request signed 20 minutes in the future: InvalidSignatureException "Signature not yet current"', async () => {
    const response = await secretsManagerRequest({
      credentials,
      signingDate: new Date(Date.now() + 20 * MINUTE),
    });
    const body = (await response.json()) as { __type?: string; message?: string };

    expect(response.status).toBe(400);
    expect(jsonErrorType(body)).toBe('InvalidSignatureException');
    expect(body.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than/);
  });

  it('accepts a request signed 5 minutes ago (within the 15 minutes AWS allows)', async () => {
    const response = await secretsManagerRequest({
      credentials,
      signingDate: new Date(Date.now() - 5 * MINUTE),
    });

    expect(response.status).toBe(200);
  });

  it('rejects an unsigned request: MissingAuthenticationTokenException, HTTP 400 (the JSON code is not documented)', async () => {
    const response = await secretsManagerRequest({});

    expect(response.status).toBe(400);
    expect(jsonErrorType(await response.json())).toBe('MissingAuthenticationTokenException');
  });
});

describe('AWS Query (STS): authentication and errors', () => {
  it('rejects a signature made with the wrong secret: SignatureDoesNotMatch, HTTP 403, <ErrorResponse>', async () => {
    const response = await stsRequest({ credentials: wrongSecret() });
    const body = await response.text();

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(queryErrorCode(body)).toBe('SignatureDoesNotMatch');
    expect(body).toContain(`<Message>${SIGNATURE_MISMATCH}</Message>`);
  });

  it('rejects an access key id it does not know: InvalidClientTokenId, HTTP 403', async () => {
    const response = await stsRequest({ credentials: unknownKey });
    const body = await response.text();

    expect(response.status).toBe(403);
    expect(queryErrorCode(body)).toBe('InvalidClientTokenId');
    expect(body).toContain(`<Message>${INVALID_TOKEN}</Message>`);
  });

  it('rejects a request signed 20 minutes ago: SignatureDoesNotMatch "Signature expired", HTTP 403 (AWS also lists RequestExpired among its common errors)', async () => {
    const response = await stsRequest({ credentials, signingDate: new Date(Date.now() - 20 * MINUTE) });
    const body = await response.text();

    expect(response.status).toBe(403);
    expect(queryErrorCode(body)).toBe('SignatureDoesNotMatch');
    expect(body).toMatch(/<Message>Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });

  it('rejects an unsigned request: MissingAuthenticationToken, HTTP 403', async () => {
    const response = await stsRequest({});

    expect(response.status).toBe(403);
    expect(queryErrorCode(await response.text())).toBe('MissingAuthenticationToken');
  });

  it('surfaces SignatureDoesNotMatch to the SDK as an error of that name', async () => {
    const sts = new STSClient({ credentials: wrongSecret(), maxAttempts: 1 });

    const error = await errorOf(sts.send(new GetCallerIdentityCommand({})));
    sts.destroy();

    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});

describe('REST-JSON (Lambda): authentication and errors', () => {
  it('rejects an access key id it does not know: UnrecognizedClientException in x-amzn-errortype, HTTP 403', async () => {
    const lambda = new LambdaClient({ credentials: unknownKey, maxAttempts: 1 });

    const error = await errorOf(
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'anything' })),
    );
    lambda.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('rejects a signature made with the wrong secret: InvalidSignatureException, HTTP 403', async () => {
    const response = await rawRequest({
      endpoint: endpointOf(aws, 'lambda'),
      signingName: 'lambda',
      method: 'GET',
      path: '/2015-03-31/functions/anything/configuration',
      headers: {},
      credentials: wrongSecret(),
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('InvalidSignatureException');
  });
});

describe('IAM access keys that may no longer sign', () => {
  it('accepts a key IAM issued: STS names its user, Secrets Manager serves it', async () => {
    const { userName, key } = await newKey();
    const sts = new STSClient({ credentials: key, maxAttempts: 1 });
    const sm = secretsManagerClient({ credentials: key });

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const listed = await sm.send(new ListSecretsCommand({ MaxResults: 1 }));
    sts.destroy();
    sm.destroy();

    expect(identity.Arn).toBe(`arn:aws:iam::${await aws.accountId()}:user/${userName}`);
    expect(listed.$metadata.httpStatusCode).toBe(200);
  });

  it.each([
    ['Inactive', 'update'],
    ['deleted', 'delete'],
  ] as const)(
    'rejects a %s key like an unknown one: InvalidClientTokenId in STS, UnrecognizedClientException in Secrets Manager',
    async (_state, change) => {
      const { userName, key } = await newKey();
      if (change === 'update') {
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: userName,
            AccessKeyId: key.accessKeyId,
            Status: 'Inactive',
          }),
        );
      } else {
        await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: key.accessKeyId }));
      }
      const sts = new STSClient({ credentials: key, maxAttempts: 1 });
      const sm = secretsManagerClient({ credentials: key });

      const stsError = await errorOf(sts.send(new GetCallerIdentityCommand({})));
      const smError = await errorOf(sm.send(new ListSecretsCommand({})));
      sts.destroy();
      sm.destroy();

      expect(stsError.name).toBe('InvalidClientTokenId');
      expect(stsError.$metadata?.httpStatusCode).toBe(403);
      expect(smError.name).toBe('UnrecognizedClientException');
      expect(smError.$metadata?.httpStatusCode).toBe(400);
    },
  );

  it('rejects a key signed with another secret than the one IAM issued with it: SignatureDoesNotMatch', async () => {
    const { key } = await newKey();
    const sts = new STSClient({ credentials: { ...key, secretAccessKey: 'x'.repeat(40) }, maxAttempts: 1 });

    const error = await errorOf(sts.send(new GetCallerIdentityCommand({})));
    sts.destroy();

    expect(error.name).toBe('SignatureDoesNotMatch');
  });
});
