/**
 * Composition root of the rollout function (every task of the rollout state machine): settings
 * from the environment, SDK clients at module scope (reused across invocations; they reach AWS, the
 * local emulator or any other implementation through the standard endpoint variables), the consumer
 * adapters, notifications, metrics and logs.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createLogger } from '../shared/observability';
import { createConsumerAdapters } from './consumers';
import { rolloutEnvironment } from './env';
import { createRolloutMetrics } from './metrics';
import { createNotifier } from './notify';
import { createReaderSources } from './readers/sources';
import { createRolloutHandler } from './rollout-handler';
import { SECRETS_MANAGER_RETRY } from './secret-state';

const settings = rolloutEnvironment();
const logger = createLogger();
const secretsManager = new SecretsManagerClient(SECRETS_MANAGER_RETRY);
const ssm = new SSMClient({});
const eventBridge = new EventBridgeClient({});

export const handler = createRolloutHandler({
  secretsManager,
  ssm,
  sfn: new SFNClient({}),
  dynamodb: new DynamoDBClient({}),
  adapters: createConsumerAdapters({
    lambda: new LambdaClient({}),
    ecs: new ECSClient({}),
    ssm,
    eventBridge,
    secretsManager,
    logger,
  }),
  notifier: createNotifier({
    sns: new SNSClient({}),
    eventBridge,
    topicArn: settings.topicArn,
    eventBusName: settings.eventBusName,
    runbookUrl: settings.runbookUrl,
    logger,
  }),
  metrics: createRolloutMetrics(),
  readerSources: createReaderSources({ cloudTrail: new CloudTrailClient({}) }),
  logger,
  settings,
});
