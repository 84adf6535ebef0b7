import { describe, expect, it } from 'vitest';
import { runSandbox, STANDARD_PRICE_PER_TRANSITION_USD } from '../../local/sandbox/run';

describe('Sandbox: npm start', () => {
  it('rotates, rolls out through the synthesized workflow and revokes, with zero failed requests on the zero-downtime paths', async () => {
    const result = await runSandbox({ rounds: 2, clientsPerStrategy: 2, print: false });

    // Every rotation succeeds while the clients keep working.
    const byMode = Object.fromEntries(result.strategies.map((s) => [s.mode, s]));
    for (const summary of result.strategies) {
      expect(summary.rotationsFailed).toBe(0);
      expect(summary.logins).toBeGreaterThan(20);
    }
    expect(byMode['alternating-users']?.failedLogins).toBe(0);
    // Single-user's failures, if any, fall inside the rotation windows, never all run long.
    expect(byMode['single-user']?.failedLogins).toBeLessThan(byMode['single-user']?.logins ?? 0);

    // Zero failed requests for every client kind of the zero-downtime paths.
    const clients = Object.fromEntries(result.clients.map((c) => [c.kind, c]));
    expect(Object.keys(clients).sort()).toEqual([
      'billing-apps',
      'database-pool',
      'orders-service-client',
      'webhook-receiver',
    ]);
    for (const client of result.clients) {
      expect(client.requests, client.kind).toBeGreaterThan(0);
      expect(client.failed, client.kind).toBe(0);
    }

    // Each PostgreSQL rotation is rolled out: consumers updated, usage gate passed, old user revoked.
    const postgres = result.rollouts.filter((r) => r.secret === 'postgres');
    expect(postgres).toHaveLength(2);
    for (const rollout of postgres) {
      expect(rollout.status).toBe('SUCCEEDED');
      expect(rollout.revoked).toBe(true);
      expect(rollout.usageChecks).toBeGreaterThanOrEqual(1);
      expect(rollout.consumersUpdated).toEqual(['mirror', 'partner']);
    }
    // The shared key is rolled out too; its gate sees the clients' old-key requests (CloudWatch's
    // 1-minute periods) and keeps the old key rather than revoking it.
    const shared = result.rollouts.find((r) => r.secret === 'shared-key');
    expect(shared?.consumersUpdated).toEqual(['mirror', 'partner']);
    expect(shared?.error).toBe('Handover.OldCredentialStillInUse');
    expect(shared?.revoked).toBe(false);
    // The seed incident: the app nobody declared is named (CloudTrail: its own IAM user), the old
    // credential is kept while it holds it, and revoked once it has read the secret again.
    const billing = result.rollouts.find((r) => r.secret === 'billing');
    expect(billing?.status).toBe('SUCCEEDED');
    expect(billing?.revoked).toBe(true);
    expect(billing?.stragglersNamed).toEqual(['arn:aws:iam::123456789012:user/billing-reports']);
    expect(billing?.usageChecks).toBeGreaterThanOrEqual(2);
    expect(billing?.consumersUpdated).toEqual(['billing-prod', 'billing-staging']);
    // ...which the summary labels as the expected outcome, like every other rollout here.
    expect(result.rollouts.every((rollout) => rollout.asExpected)).toBe(true);

    // The overlap scene: a rotation inside a rollout's grace window is refused by the interlock,
    // its retry passes once the rollout is done, both are rolled out, and no client fails a login.
    expect(result.overlap).toMatchObject({
      secondRotation: 'refused',
      retried: 'succeeded',
      failedLogins: 0,
    });
    expect(result.overlap.logins).toBeGreaterThan(20);
    expect(result.overlap.rollouts.map((rollout) => rollout.revoked)).toEqual([true, true]);

    // State transitions are counted and priced at Standard rates.
    for (const rollout of result.rollouts) {
      expect(rollout.transitions).toBeGreaterThan(10);
      expect(rollout.costUsd).toBeCloseTo(rollout.transitions * STANDARD_PRICE_PER_TRANSITION_USD, 12);
    }
    expect(result.durationMs).toBeLessThan(60_000);
  });
});
