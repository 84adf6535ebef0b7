import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  createCloudWatchMetricsSink,
  createVerifier,
  generateSharedKey,
  type Verifier,
  type VerifierOptions,
} from '../../../lambdas/verifier';
import { createAuthServer } from '../../../lambdas/verifier/examples/node-http';
import type { RotationOutcome } from '../../../local/emulator';
import { startAws } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';

/** What a client got back for one request. */
export interface Answer {
  readonly status: number;
  readonly outcome: string;
  readonly keyId: string | undefined;
  readonly body: string;
  /** The `x-handover-key` response header. */
  readonly keyHeader: string | null;
}

/**
 * One test file's world: Secrets Manager and CloudWatch (endpoints given, or the emulator) reached
 * through the STANDARD endpoint variables (`AWS_ENDPOINT_URL_SECRETS_MANAGER`,
 * `AWS_ENDPOINT_URL_CLOUDWATCH`), the real shared-key rotation Lambda (its `handler.ts` composition
 * root, SDK clients and all) registered as the rotation function, a real verifier publishing its
 * metrics with PutMetricData, and the real `node:http` example server.
 */
export async function startWorld() {
  const aws = await startAws({ services: ['secretsmanager', 'cloudwatch'] });
  // Imported after the environment is set: the composition root builds its clients at load.
  const { handler } = await import('../../../lambdas/credentials/shared-key/handler');
  const functionArn = await aws.rotation.register('shared-key', handler);
  // No endpoints here: the clients resolve them from the standard variables.
  const sm = new SecretsManagerClient({});
  const cloudWatch = new CloudWatchClient({});
  // The verifiers' own client: a middleware records every command it sends.
  const verifierClient = new SecretsManagerClient({});
  const verifierCalls: string[] = [];
  verifierClient.middlewareStack.add(
    (next, context) => (args) => {
      verifierCalls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countVerifierCalls' },
  );
  const servers: Server[] = [];
  const verifiers: Verifier[] = [];

  const world = {
    aws,
    sm,
    cloudWatch,
    /** Every Secrets Manager call the verifiers made. */
    verifierCalls,

    /** Creates a shared-key secret holding a fresh key; returns its name, ARN and key. */
    async createSecret() {
      const key = generateSharedKey();
      recordSecretMaterial(key, key.slice(16));
      const name = `app/shared-key-${crypto.randomUUID().slice(0, 8)}`;
      const created = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({ key, keyId: key.slice(3, 15), owner: 'orders' }),
        }),
      );
      return { name, arn: created.ARN ?? '', key };
    },

    /** A verifier whose Secrets Manager calls are counted, publishing to CloudWatch. */
    async verifier(secretId: string, options: Partial<VerifierOptions> = {}): Promise<Verifier> {
      const verifier = await createVerifier({
        secretId,
        client: verifierClient,
        metrics: createCloudWatchMetricsSink({ client: cloudWatch }),
        refreshIntervalMs: 1000,
        metricsFlushIntervalMs: 60_000,
        ...options,
      });
      verifiers.push(verifier);
      return verifier;
    },

    /** Starts the `node:http` example server for `verifier`; returns its URL. */
    async serve(verifier: Verifier): Promise<string> {
      const server = createAuthServer(verifier);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    },

    /** One request with `Authorization: Bearer <key>`, over real HTTP. */
    async call(url: string, key: string, clientId?: string): Promise<Answer> {
      const response = await fetch(url, {
        headers: {
          authorization: `Bearer ${key}`,
          ...(clientId === undefined ? {} : { 'x-client-id': clientId }),
        },
      });
      const body = await response.text();
      const json = JSON.parse(body) as { outcome?: string; key_id?: string };
      return {
        status: response.status,
        outcome: json.outcome ?? '',
        keyId: json.key_id,
        body,
        keyHeader: response.headers.get('x-handover-key'),
      };
    },

    /** RotateSecret through the SDK, then wait for the rotation Lambda to finish. */
    async rotate(arn: string): Promise<{ outcome: RotationOutcome; key: string }> {
      const outcome = await aws.rotation.rotate(arn, functionArn);
      const key = await world.key(arn, 'AWSCURRENT');
      recordSecretMaterial(key, key.slice(16));
      return { outcome, key };
    },

    async key(arn: string, stage: string): Promise<string> {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
      return (JSON.parse(out.SecretString ?? '{}') as { key: string }).key;
    },

    async close() {
      await Promise.all(verifiers.map((v) => v.close()));
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      sm.destroy();
      verifierClient.destroy();
      cloudWatch.destroy();
      await aws.close();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/**
 * Clients hammering `url` with `key` until stopped, like a consumer that still holds the old key.
 * Every answer is kept.
 */
export function startClients(world: World, url: string, key: () => string, count = 4) {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: count }, async () => {
    while (running) {
      answers.push(await world.call(url, key()));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}
