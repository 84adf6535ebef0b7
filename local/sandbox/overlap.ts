import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startDatabaseClients } from './database-clients';
import type { OverlapSummary } from './results';
import type { RolledOutSecret, RunRollout } from './rollout';
import { describeAttempts } from './rotation-functions';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** How long the overlap scene's clients keep a secret value, and the grace window that outlasts it. */
const CACHE_MS = 800;
const GRACE_MS = 1200;

/**
 * The overlap scene (the interlock): clients that cache the alternating-users secret for 800 ms,
 * a rotation whose rollout waits out its grace window (1.2 s) while they still hold the previous
 * user, and a SECOND rotation started inside that grace window, as the schedule or a console
 * "Rotate secret immediately" would. The rotation functions read the rollout's lock (mirrored into
 * the secret's tags) and refuse it; the rollout finishes; Secrets Manager's retry of the same
 * version then passes and is rolled out in turn. The clients never fail a login.
 */
export async function playOverlap(
  stage: Stage,
  timeline: Timeline,
  rollout: RunRollout,
  secret: RolledOutSecret,
): Promise<OverlapSummary> {
  const { sm, emulator } = stage;
  timeline.line();
  timeline.line(
    `overlap: clients caching the secret ${CACHE_MS} ms; a rotation started inside the rollout's grace window (${GRACE_MS} ms)`,
  );
  const clients = startDatabaseClients(stage, new Map([['alternating-users', secret.arn]]), {
    clientsPerStrategy: 2,
    cacheMs: CACHE_MS,
  });
  try {
    await sm.send(new RotateSecretCommand({ SecretId: secret.arn }));
    const first = await emulator.secretsManager.waitForRotation(secret.arn);
    timeline.event(`overlap           rotation ${first.status} (${describeAttempts(first.steps)})`);

    let during: Promise<{ status: string; error?: string; versionId?: string }> | undefined;
    const firstRollout = await rollout(secret, 1, {
      graceMs: GRACE_MS,
      onStateEntered: (state) => {
        if (state !== 'Grace window' || during !== undefined) return;
        timeline.event(
          'overlap           RotateSecret inside the grace window, clients still on the old user',
        );
        during = sm.send(new RotateSecretCommand({ SecretId: secret.arn })).then(async (started) => ({
          ...(await emulator.secretsManager.waitForRotation(secret.arn)),
          ...(started.VersionId === undefined ? {} : { versionId: started.VersionId }),
        }));
      },
    });
    const refused = (await during) ?? { status: 'not started' };
    const reason = /RotationRefusedError: (\w+ refused)/.exec(refused.error ?? '')?.[1];
    timeline.event(
      `overlap           second rotation ${refused.status}${reason === undefined ? '' : ` (${reason}: the rollout holds the lock)`}`,
    );

    // Secrets Manager retries the refused rotation later, with the same version.
    await sm.send(
      new RotateSecretCommand({
        SecretId: secret.arn,
        ...(refused.versionId === undefined ? {} : { ClientRequestToken: refused.versionId }),
      }),
    );
    const retry = await emulator.secretsManager.waitForRotation(secret.arn);
    timeline.event(`overlap           retried rotation ${retry.status} (${describeAttempts(retry.steps)})`);
    const secondRollout =
      retry.status === 'succeeded' ? await rollout(secret, 2, { graceMs: GRACE_MS }) : undefined;
    await clients.stop();
    const stat = clients.stats.get('alternating-users') ?? { logins: 0, failed: [] };
    return {
      secondRotation: refused.status === 'failed' && reason !== undefined ? 'refused' : refused.status,
      retried: retry.status,
      rollouts: [firstRollout, ...(secondRollout === undefined ? [] : [secondRollout])],
      logins: stat.logins,
      failedLogins: stat.failed.length,
    };
  } finally {
    await clients.stop();
  }
}
