import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Emulator, startEmulator } from '../emulator';
import { startPostgres, type TestPostgres } from '../postgres';
import type { Timeline } from './timeline';

/** What every scene plays on: the database, the AWS emulator, and a way to clean up. */
export interface Stage {
  readonly database: TestPostgres;
  readonly emulator: Emulator;
  /** The test CA of the database, as a file (the rotation functions' `HANDOVER_TLS_CA_FILE`). */
  readonly caFile: string;
  /** Secrets Manager, for the sandbox's own reads (clients, checks). */
  readonly sm: SecretsManagerClient;
  /** Registers a clean-up, run in reverse order by {@link Stage.close}. */
  onClose(stop: () => Promise<void>): void;
  /** Stops every scene (newest first), then the emulator and the database, and removes the temp dir. */
  close(): Promise<void>;
}

/**
 * Starts the real PostgreSQL server (TLS, test CA) and the AWS emulator, and points the AWS SDK's
 * standard environment at the emulator, so the rotation and rollout code imported after this
 * reads it unchanged.
 */
export async function setStage(timeline: Timeline): Promise<Stage> {
  const work = mkdtempSync(join(tmpdir(), 'handover-sandbox-'));
  const database = await startPostgres();
  const emulator = await startEmulator({
    rotation: { retries: 2, retryDelayMs: 100 },
    lambda: { updateDelayMs: 0 },
  });
  const stops: Array<() => Promise<void>> = [];
  timeline.line(
    `Handover sandbox: PostgreSQL ${database.majorVersion} (TLS, test CA) on 127.0.0.1:${database.port}`,
  );
  timeline.line(
    `                  AWS emulator (Secrets Manager, SSM, CloudWatch, CloudTrail, DynamoDB, SNS, EventBridge) at ${emulator.endpoint}`,
  );
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, database.ca);
  const region = 'us-east-1';
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const sm = new SecretsManagerClient({
    region,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    endpoint: emulator.endpoint,
  });
  return {
    database,
    emulator,
    caFile,
    sm,
    onClose: (stop) => stops.push(stop),
    async close() {
      for (const stop of stops.reverse()) await stop();
      await emulator.close();
      await database.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
