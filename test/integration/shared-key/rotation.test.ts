import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedKeyStrategy } from '../../../lambdas/credentials/shared-key';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import type { StrategyContext } from '../../../lambdas/rotation/strategy';
import { startClients, startWorld, type World } from './harness';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

/** The context the rollout workflow hands the strategy's inUse / revoke / restore. */
function context(secretId: string): StrategyContext & { readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ message, ...fields });
  };
  return {
    secretId,
    rotationId: crypto.randomUUID(),
    logger: { debug: log, info: log, warn: log },
    secrets: createSecretsManagerPort(world.sm),
    lines,
  };
}

/** Polls `check` until it returns true (background timers are real here). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Shared key rotation with a live verifier over real HTTP', () => {
  it('keeps old-key clients working through the grace window, accepts the new key, and rejects the old one once revoked', async () => {
    const started = new Date();
    const secret = await world.createSecret();
    const verifier = await world.verifier(secret.name);
    const url = await world.serve(verifier);
    const strategy = createSharedKeyStrategy({ cloudWatch: world.cloudWatch });
    const oldKeyId = secret.key.slice(3, 15);

    expect(await world.call(url, secret.key)).toMatchObject({
      status: 200,
      outcome: 'accepted-current',
      keyId: oldKeyId,
    });

    // Clients that keep the old key for the whole rotation.
    const callsBefore = world.verifierCalls.length;
    const phaseStart = Date.now();
    const oldClients = startClients(world, url, () => secret.key);
    const { outcome, key: newKey } = await world.rotate(secret.arn);
    expect(outcome.status).toBe('succeeded');
    expect(newKey).not.toBe(secret.key);
    const newKeyId = newKey.slice(3, 15);

    // The verifier picks the new key up on its own (timer, or the early refresh an unknown id asks for).
    await eventually(async () => (await world.call(url, newKey)).status === 200);
    expect(await world.call(url, newKey)).toMatchObject({
      status: 200,
      outcome: 'accepted-current',
      keyId: newKeyId,
    });
    // Let the old-key clients run a while on the previous key.
    await eventually(
      async () => oldClients.answers.filter((a) => a.outcome === 'accepted-previous').length >= 100,
    );
    const answers = await oldClients.stop();
    const phaseMs = Date.now() - phaseStart;

    expect(answers.length).toBeGreaterThanOrEqual(100);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const previous = answers.filter((a) => a.outcome === 'accepted-previous');
    expect(previous.every((a) => a.keyHeader === 'accepted-previous' && a.keyId === oldKeyId)).toBe(true);

    // The hot path never called AWS: only refreshes did (each timer tick, and the one early refresh
    // the unknown new key asked for: DescribeSecret, plus GetSecretValue for a new version).
    const refreshCalls = world.verifierCalls.length - callsBefore;
    expect(refreshCalls).toBeLessThanOrEqual(2 * (Math.ceil(phaseMs / 900) + 1));
    expect(refreshCalls).toBeLessThan(answers.length / 10);
    expect(new Set(world.verifierCalls)).toEqual(new Set(['DescribeSecret', 'GetSecretValue']));

    // inUse reads the previous-key accepts the verifier published through CloudWatch.
    await verifier.flushMetrics();
    const old = strategy.parse(JSON.stringify({ key: secret.key }));
    const usage = await strategy.inUse?.(old, started, context(secret.arn));
    expect(usage?.inUse).toBe(true);
    expect(usage?.evidence).toContain(
      `${previous.length} request${previous.length === 1 ? '' : 's'} accepted with previous key ${oldKeyId} of ${secret.name}`,
    );

    // Revoke: AWSPREVIOUS goes; on its next refresh the verifier answers rejected-revoked.
    const ctx = context(secret.arn);
    await strategy.revoke?.(old, ctx);
    expect(ctx.lines.at(-1)).toMatchObject({ outcome: 'revoked', key_id: oldKeyId });
    expect(await world.call(url, secret.key)).toMatchObject({ status: 200, outcome: 'accepted-previous' });
    await verifier.refresh();
    const rejected = await world.call(url, secret.key);
    expect(rejected).toMatchObject({ status: 401, outcome: 'rejected-revoked', keyId: oldKeyId });
    expect(JSON.parse(rejected.body)).toEqual({
      error: 'unauthorized',
      outcome: 'rejected-revoked',
      key_id: oldKeyId,
    });
    expect(rejected.body).not.toContain(secret.key.slice(16));
    expect(await world.call(url, newKey)).toMatchObject({ status: 200, outcome: 'accepted-current' });

    // Rollback: restore puts AWSPREVIOUS back and the old key works again from the next refresh.
    await strategy.restore?.(old, ctx);
    expect(ctx.lines.at(-1)).toMatchObject({ outcome: 'restored' });
    await verifier.refresh();
    expect(await world.call(url, secret.key)).toMatchObject({ status: 200, outcome: 'accepted-previous' });
  });

  it('names the callers that still present the previous key, by the bounded caller identity the verifier is given', async () => {
    const started = new Date();
    const secret = await world.createSecret();
    const verifier = await world.verifier(secret.name, { callers: { field: 'client_id', max: 2 } });
    const url = await world.serve(verifier);
    const strategy = createSharedKeyStrategy({ cloudWatch: world.cloudWatch });
    const { key: second } = await world.rotate(secret.arn);
    await verifier.refresh();

    // Three clients keep the old key; the verifier names two callers at most, the third is `other`.
    for (const client of ['billing-report', 'billing-report', 'nightly-export', 'legacy-cron']) {
      expect((await world.call(url, secret.key, client)).outcome).toBe('accepted-previous');
    }
    // A client on the new key is never counted per caller; one sending a key as its id is redacted.
    expect((await world.call(url, second, 'orders-api')).outcome).toBe('accepted-current');
    await verifier.flushMetrics();

    const old = strategy.parse(JSON.stringify({ key: secret.key }));
    const usage = await strategy.inUse?.(old, started, context(secret.arn));

    expect(usage?.inUse).toBe(true);
    expect(usage?.evidence).toContain('4 requests accepted with previous key');
    expect(usage?.evidence).toContain('3 callers named');
    const named = Object.fromEntries((usage?.stragglers ?? []).map((s) => [s.identity, s.evidence]));
    expect(Object.keys(named).sort()).toEqual([
      'caller billing-report',
      'caller nightly-export',
      "other callers (beyond the verifiers' bound on named callers)",
    ]);
    expect(named['caller billing-report']).toMatch(/^2 requests accepted with previous key /);
    expect(JSON.stringify(usage)).not.toContain(secret.key.slice(16));
  });

  it('reports a previous key nobody used as unused, and answers malformed and unknown keys with a named outcome', async () => {
    const started = new Date();
    const secret = await world.createSecret();
    const verifier = await world.verifier(secret.name);
    const url = await world.serve(verifier);
    const strategy = createSharedKeyStrategy({ cloudWatch: world.cloudWatch });

    // Clients use the first key only while it is current.
    for (let i = 0; i < 5; i++) expect((await world.call(url, secret.key)).outcome).toBe('accepted-current');
    const { key: second } = await world.rotate(secret.arn);
    await verifier.refresh();
    expect((await world.call(url, second)).outcome).toBe('accepted-current');
    await verifier.flushMetrics();

    const old = strategy.parse(JSON.stringify({ key: secret.key }));
    const usage = await strategy.inUse?.(old, started, context(secret.arn));
    expect(usage).toEqual({
      inUse: false,
      evidence: expect.stringMatching(
        /^no request accepted with previous key .* \([1-9]\d* verifier reports\)$/,
      ),
    });

    const malformed = await world.call(url, `${second.slice(0, 30)}`);
    expect(malformed).toMatchObject({
      status: 401,
      outcome: 'rejected-malformed',
      keyId: second.slice(3, 15),
    });
    const unknown = await world.call(url, `hk_${second.slice(3, 15)}_${secret.key.slice(16)}`);
    expect(unknown).toMatchObject({ status: 401, outcome: 'rejected-unknown', keyId: second.slice(3, 15) });
    expect(unknown.body).not.toContain(secret.key.slice(16));
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'unauthorized', outcome: 'rejected-malformed' });
  });
});
