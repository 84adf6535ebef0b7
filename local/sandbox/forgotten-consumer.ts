import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import pg from 'pg';
import { quoteIdent, quoteLiteral } from '../../lambdas/credentials/postgres/sql';
import type { ConsumerConfig } from '../../lambdas/rollout/contract';
import type { LocalFunction } from '../workflow/local-step-functions';
import { postgresFunctionArn } from './postgres-secrets';
import type { RolloutSummary } from './results';
import { type RolledOutSecret, type RunRollout, SANDBOX_DELIVERY_MS } from './rollout';
import { describeAttempts } from './rotation-functions';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** The billing database's secret: the seed incident plays on it. */
export const BILLING_SECRET_NAME = 'sandbox/billing/db';

/** The three client apps: two the policy declares, one nobody did. */
const APPS = [
  { name: 'billing-prod', declared: true },
  { name: 'billing-staging', declared: true },
  { name: 'billing-reports', declared: false },
] as const;
type AppName = (typeof APPS)[number]['name'];

/** A client app: its own IAM user (CloudTrail names it), its database session, its cached value. */
interface ClientApp {
  readonly name: AppName;
  readonly arn: string;
  readonly sm: SecretsManagerClient;
  session: pg.Client | undefined;
  /** The query in flight, if any: a session is closed only once its query has answered. */
  inflight: Promise<unknown> | undefined;
  /** The version its session logged in with. */
  version: string | undefined;
  queries: number;
  failed: number;
}

/** The scene: the secret, what the rollout needs of it, and how it went. */
export interface ForgottenConsumerScene {
  /** The secret as the rollout runner takes it. */
  readonly secret: Omit<RolledOutSecret, 'graceMs'>;
  /** Rotates the secret and rolls the rotation out; the undeclared app is named, then restarts. */
  play(rollout: RunRollout): Promise<RolloutSummary | undefined>;
  /** Queries the apps made, and how many failed. */
  readonly stats: () => { requests: number; failed: number };
  stop(): Promise<void>;
}

/**
 * The seed incident, replayed: a database credential with three client apps. Prod and staging are
 * declared consumers (`event` consumers, each naming its IAM user as `principals`): on the
 * rollout's event they read the new version and reconnect, then acknowledge. A third app, billing
 * reports, nobody declared: it read the secret once at start with its own IAM user's key and keeps
 * its session on the old credential. The rollout finds it in CloudTrail at preflight (an SNS alarm
 * and an event name it), the usage gate names it (its database session, and CloudTrail: it read
 * the old version and not the new one) and keeps the old credential; once the app restarts and
 * reads the secret again, the gate revokes. CloudTrail's delivery delay is shortened to
 * {@link SANDBOX_DELIVERY_MS} ms here (AWS documents about 5 minutes on average).
 */
export async function setForgottenConsumerScene(
  stage: Stage,
  timeline: Timeline,
  options: { readonly masterArn: string; readonly rotationFunction: LocalFunction },
): Promise<ForgottenConsumerScene> {
  const { database, sm, emulator } = stage;
  // Events arrive in LookupEvents after a delay, as in AWS (shortened).
  emulator.cloudTrail.deliveryDelayMs = SANDBOX_DELIVERY_MS / 2;
  const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
  const username = 'billing_app';
  const password = `Initial-billing-${Math.random().toString(36).slice(2)}`;
  await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
  const created = await sm.send(
    new CreateSecretCommand({
      Name: BILLING_SECRET_NAME,
      SecretString: JSON.stringify({ ...connection, username, password, masterarn: options.masterArn }),
    }),
  );
  const arn = created.ARN ?? '';

  // Each app gets its own IAM user and key: CloudTrail records its reads under its name.
  const iam = new IAMClient({});
  const apps = new Map<AppName, ClientApp>();
  for (const { name } of APPS) {
    const user = await iam.send(new CreateUserCommand({ UserName: name }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    const credentials = {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    };
    apps.set(name, {
      name,
      arn: user.User?.Arn ?? '',
      sm: new SecretsManagerClient({ credentials }),
      session: undefined,
      inflight: undefined,
      version: undefined,
      queries: 0,
      failed: 0,
    });
  }
  iam.destroy();
  const app = (name: AppName) => apps.get(name) as ClientApp;

  /** Reads AWSCURRENT with the app's own key and (re)connects with it, closing the old session. */
  const connect = async (client: ClientApp, why: string) => {
    const got = await client.sm.send(new GetSecretValueCommand({ SecretId: arn }));
    const value = JSON.parse(got.SecretString ?? '{}') as { username: string; password: string };
    const session = new pg.Client({
      host: 'localhost',
      port: database.port,
      database: 'postgres',
      user: value.username,
      password: value.password,
      application_name: client.name,
      ssl: { ca: database.ca, rejectUnauthorized: true },
    });
    session.on('error', () => undefined);
    await session.connect();
    const previous = client.session;
    client.session = session;
    client.version = got.VersionId;
    await client.inflight?.catch(() => undefined);
    await previous?.end().catch(() => undefined);
    timeline.event(
      `client app        ${client.name.padEnd(16)} ${why}: read v=${got.VersionId?.slice(0, 8)} as ${client.arn.split(':').pop()}, connected as ${value.username}`,
    );
  };
  for (const { name, declared } of APPS) {
    await connect(app(name), declared ? 'starts (declared consumer)' : 'starts (nobody declared it)');
  }

  // Every app queries its database all along.
  let running = true;
  const loops = [...apps.values()].map(async (client) => {
    while (running) {
      try {
        client.inflight = client.session?.query('SELECT 1');
        await client.inflight;
        client.queries += 1;
      } catch {
        client.failed += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  // The declared apps follow the rollout's event: read the new version, reconnect, acknowledge.
  const sfn = new SFNClient({});
  const unsubscribe = emulator.eventBridge.subscribe(
    { source: 'handover', detailType: 'Handover Credential Rotated' },
    async (event) => {
      const detail = event.detail as { consumer: string; secretArn: string; taskToken: string };
      const client = apps.get(detail.consumer as AppName);
      if (client === undefined || detail.secretArn !== arn) return;
      await connect(client, 'told of the rotation');
      await sfn.send(new SendTaskSuccessCommand({ taskToken: detail.taskToken, output: '{}' }));
    },
  );

  const consumers: ConsumerConfig[] = APPS.filter((entry) => entry.declared).map((entry) => ({
    kind: 'event',
    name: entry.name,
    timeoutSeconds: 30,
    principals: [app(entry.name).arn],
  }));
  let restarted = false;
  const secret: Omit<RolledOutSecret, 'graceMs'> = {
    secret: 'billing',
    arn,
    name: BILLING_SECRET_NAME,
    credentialType: 'postgres',
    functionArn: postgresFunctionArn('alternating-users'),
    rotationFunction: options.rotationFunction,
    usageMaxChecks: 12,
    consumers,
    readers: {
      source: { kind: 'cloudtrail' },
      // A setting: 15 minutes by default in a policy; the sandbox shortens it (and its Wait state).
      deliveryDelaySeconds: SANDBOX_DELIVERY_MS / 1000,
      // Handover's functions sign with the emulator's bootstrap credentials: the account's root.
      handover: [`arn:aws:iam::${emulator.iam.accountId}:root`],
      ignore: [],
    },
    consumersUpdated: (current) =>
      APPS.filter((entry) => entry.declared && app(entry.name).version === current).map(
        (entry) => entry.name,
      ),
    // Named and kept twice, the forgotten app is found and restarted (it reads the secret again).
    onUsageCheck: (blocked, check) => {
      if (!blocked || restarted || check < 2) return;
      restarted = true;
      timeline.event(
        'on-call           billing-reports is named by the gate: restart it, so it reads the secret again',
      );
      void connect(app('billing-reports'), 'restarted');
    },
    oldStillWorks: async (old) => {
      const probe = new pg.Client({
        host: 'localhost',
        port: database.port,
        database: 'postgres',
        user: old.username,
        password: old.password,
        ssl: { ca: database.ca, rejectUnauthorized: true },
      });
      try {
        await probe.connect();
        return true;
      } catch {
        return false;
      } finally {
        await probe.end().catch(() => undefined);
      }
    },
  };

  return {
    secret,
    async play(rollout) {
      timeline.line();
      timeline.line(
        `The seed incident: ${BILLING_SECRET_NAME} has three client apps; the policy declares two (prod, staging).`,
      );
      timeline.line(
        `CloudTrail's delivery delay is ${SANDBOX_DELIVERY_MS} ms here (AWS: about 5 minutes on average; the gate waits 15 minutes by default).`,
      );
      await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: postgresFunctionArn('alternating-users'),
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      const outcome = await emulator.secretsManager.waitForRotation(arn);
      timeline.event(`billing           rotation ${outcome.status} (${describeAttempts(outcome.steps)})`);
      if (outcome.status !== 'succeeded') return undefined;
      return rollout({ ...secret, graceMs: 300 }, 1);
    },
    stats: () => ({
      requests: [...apps.values()].reduce((n, client) => n + client.queries, 0),
      failed: [...apps.values()].reduce((n, client) => n + client.failed, 0),
    }),
    async stop() {
      if (!running) return;
      running = false;
      unsubscribe();
      await Promise.all(loops);
      for (const client of apps.values()) {
        await client.session?.end().catch(() => undefined);
        client.sm.destroy();
      }
      sfn.destroy();
    },
  };
}
