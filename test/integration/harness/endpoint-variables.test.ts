import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskHeartbeatCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALL_SERVICES, type AwsService, endpointVariable } from '../../support/aws-targets';

/**
 * The harness decides each service's endpoint from the variable it believes the SDK reads: this
 * proves, with the real SDK clients, that each client sends its calls where that variable points.
 */
const credentials = { accessKeyId: 'probe', secretAccessKey: 'probe' };
const config = { region: 'us-east-1', credentials, maxAttempts: 1 };

/** One call of each service, by a client built without an endpoint. */
const CALLS: Record<AwsService, () => Promise<unknown>> = {
  secretsmanager: () => new SecretsManagerClient(config).send(new ListSecretsCommand({})),
  iam: () => new IAMClient(config).send(new ListUsersCommand({})),
  sts: () => new STSClient(config).send(new GetCallerIdentityCommand({})),
  cloudwatch: () => new CloudWatchClient(config).send(new ListMetricsCommand({})),
  rds: () => new RDSClient(config).send(new DescribeDBInstancesCommand({})),
  lambda: () => new LambdaClient(config).send(new GetFunctionConfigurationCommand({ FunctionName: 'probe' })),
  ssm: () => new SSMClient(config).send(new GetParameterCommand({ Name: 'probe' })),
  eventbridge: () =>
    new EventBridgeClient(config).send(
      new PutEventsCommand({ Entries: [{ Source: 'probe', DetailType: 'probe', Detail: '{}' }] }),
    ),
  sfn: () => new SFNClient(config).send(new SendTaskHeartbeatCommand({ taskToken: 'probe' })),
  sns: () => new SNSClient(config).send(new CreateTopicCommand({ Name: 'probe' })),
  cloudtrail: () => new CloudTrailClient(config).send(new LookupEventsCommand({})),
  dynamodb: () =>
    new DynamoDBClient(config).send(new GetItemCommand({ TableName: 'probe', Key: { id: { S: 'probe' } } })),
};

let server: Server;
let endpoint: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    request.on('end', () => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  vi.unstubAllEnvs();
  received.length = 0;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('Endpoint variables: what the harness decides is what the SDK does', () => {
  it.each(ALL_SERVICES)('sends %s calls to the URL in its per-service variable', async (service) => {
    for (const other of ALL_SERVICES) vi.stubEnv(endpointVariable(other), '');
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
    vi.stubEnv(endpointVariable(service), endpoint);

    await CALLS[service]().catch(() => undefined);

    expect(received).toHaveLength(1);
    expect(String(received[0]?.authorization)).toContain('Credential=probe/');
  });
});
