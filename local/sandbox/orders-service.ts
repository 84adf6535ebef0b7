import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createCloudWatchMetricsSink, createVerifier, generateSharedKey } from '../../lambdas/verifier';
import { createAuthServer } from '../../lambdas/verifier/examples/node-http';
import type { LocalFunction } from '../workflow/local-step-functions';
import { registerRotationFunction } from './rotation-functions';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

export const SHARED_KEY_NAME = 'sandbox/orders/api-key';
export const SHARED_KEY_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handover-shared-key';
/** The verifier's refresh and metrics flush interval (its minimum: 1 s; 60 s in production). */
export const VERIFIER_REFRESH_MS = 1000;
/**
 * A shared-key client adopts a new AWSCURRENT key this long after it first reads it (keeping the
 * previous key meanwhile): verifiers learn a new key within one refresh interval (+10 % jitter), and
 * a key they do not know yet is rejected.
 */
export const ADOPT_AFTER_MS = 2 * VERIFIER_REFRESH_MS;

/** The orders service, its shared key and the key's rotation function. */
export interface OrdersService {
  /** The shared key secret's ARN. */
  readonly arn: string;
  /** The service's URL: `GET` with `authorization: Bearer <key>`. */
  readonly url: string;
  /** The real shared-key rotation function (it also serves the rollout's strategy actions). */
  readonly rotationFunction: LocalFunction;
}

/**
 * A shared key (`hk_…`) in Secrets Manager, rotated by the real shared-key strategy, and a
 * `node:http` service that accepts it through the verifier library (refresh every second, metrics
 * to CloudWatch, where the usage gate reads them).
 */
export async function startOrdersService(stage: Stage, timeline: Timeline): Promise<OrdersService> {
  const { createRotationLambda } = await import('../../lambdas/rotation/lambda');
  const { STRATEGIES } = await import('../../lambdas/credentials/registry');
  const shared = await stage.sm.send(
    new CreateSecretCommand({
      Name: SHARED_KEY_NAME,
      SecretString: JSON.stringify({ key: generateSharedKey() }),
    }),
  );
  const arn = shared.ARN ?? '';
  const rotationFunction = createRotationLambda(
    STRATEGIES['shared-key']({ HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT: 'true' }),
  );
  registerRotationFunction(stage, timeline, 'shared-key', SHARED_KEY_FUNCTION_ARN, rotationFunction);
  const verifier = await createVerifier({
    secretId: arn,
    client: stage.sm,
    refreshIntervalMs: VERIFIER_REFRESH_MS,
    metrics: createCloudWatchMetricsSink({ client: new CloudWatchClient({}) }),
    metricsFlushIntervalMs: VERIFIER_REFRESH_MS,
    unknownKeyRefreshMinIntervalMs: VERIFIER_REFRESH_MS,
  });
  const service = createAuthServer(verifier);
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  stage.onClose(async () => {
    await new Promise<void>((resolve) => service.close(() => resolve()));
    service.closeAllConnections();
    await verifier.close();
  });
  const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/orders`;
  timeline.line(`                  orders service (verifier, node:http) at ${url}`);
  return { arn, url, rotationFunction: rotationFunction as LocalFunction };
}
