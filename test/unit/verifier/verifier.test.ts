import { afterEach, describe, expect, it } from 'vitest';
import { HandoverError } from '../../../lambdas/shared/errors';
import {
  type AuthDecision,
  createVerifier,
  type Verifier,
  type VerifierOptions,
} from '../../../lambdas/verifier';
import { FakeClock, newKey, recordingLogger, recordingSink, type SecretWorld, secretWorld } from './fakes';

const INTERVAL = 30_000;
const open: Verifier[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

async function setup(options: Partial<VerifierOptions> = {}, world: SecretWorld = secretWorld()) {
  const clock = new FakeClock();
  const logger = recordingLogger();
  const metrics = recordingSink();
  const verifier = await createVerifier({
    secretId: world.name,
    client: world.client,
    refreshIntervalMs: INTERVAL,
    clock,
    logger,
    metrics,
    random: () => 0.5,
    ...options,
  });
  open.push(verifier);
  world.client.calls.length = 0;
  const rejections = () => logger.lines.filter((l) => l.message === 'shared key rejected');
  /** Every secret this world ever held must be absent from every log line. */
  const expectNoSecretLogged = (...keys: { key: string; secret: string }[]) => {
    for (const k of [world.first, ...keys]) {
      expect(logger.text()).not.toContain(k.secret);
      expect(logger.text()).not.toContain(k.key);
    }
  };
  return { world, clock, logger, metrics, verifier, rejections, expectNoSecretLogged };
}

/** The counters in the last published snapshot, by metric. */
function lastSnapshot(metrics: ReturnType<typeof recordingSink>) {
  const snapshot = metrics.snapshots.at(-1);
  if (snapshot === undefined) throw new Error('no snapshot published');
  return snapshot;
}

describe('Function: createVerifier', () => {
  it('accepts the AWSCURRENT key with a structured decision and does not log the accept', async () => {
    const s = await setup();
    const decision = s.verifier.verify(s.world.first.key);
    expect(decision).toEqual({
      outcome: 'accepted-current',
      accepted: true,
      keyId: s.world.first.keyId,
      versionId: s.world.firstVersion,
    });
    expect(s.logger.lines.filter((l) => l.message !== 'shared key verifier ready')).toEqual([]);
    s.expectNoSecretLogged();
  });

  it('loads the keys once at start and fails fast, naming the secret, when it cannot', async () => {
    const world = secretWorld();
    world.client.fail(5);
    const error = await createVerifier({
      secretId: world.name,
      client: world.client,
      logger: recordingLogger(),
      metrics: recordingSink(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoverError);
    expect((error as Error).message).toContain(world.name);
    expect((error as Error).message).toContain('InternalServiceError');
  });

  it('reports every invalid option at once', async () => {
    const world = secretWorld();
    const error = (await createVerifier({
      secretId: world.name,
      client: world.client,
      refreshIntervalMs: 10,
      refreshJitter: 2,
      metricsFlushIntervalMs: 1.5,
      rejectionLogMaxLines: 0,
      graceAcceptPrevious: new Date('nope'),
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(HandoverError);
    for (const problem of [
      /refreshIntervalMs must be an integer from 1000 to 86400000, got 10/,
      /refreshJitter must be from 0 to 0.5, got 2/,
      /metricsFlushIntervalMs .* got 1.5/,
      /rejectionLogMaxLines must be a positive integer, got 0/,
      /graceAcceptPrevious must be a boolean or a valid Date/,
    ]) {
      expect(error.message).toMatch(problem);
    }
    expect(world.client.calls).toEqual([]);
  });

  it('never calls AWS or returns a promise on the hot path', async () => {
    const s = await setup();
    s.world.rotate();
    const stranger = newKey();
    for (let i = 0; i < 10_000; i++) {
      const decision: AuthDecision = s.verifier.verify(
        i % 3 === 0 ? s.world.first.key : i % 3 === 1 ? stranger.key : 'garbage',
      );
      expect(decision).not.toBeInstanceOf(Promise);
    }
    // The unknown id scheduled (not ran) one refresh: nothing was sent during the loop.
    expect(s.world.client.calls).toEqual([]);
  });
});

describe('Grace window', () => {
  it('accepts the AWSPREVIOUS key while it is labelled, by default', async () => {
    const s = await setup();
    const next = s.world.rotate();
    await s.verifier.refresh();
    expect(s.verifier.verify(next.key.key)).toMatchObject({
      outcome: 'accepted-current',
      versionId: next.versionId,
    });
    expect(s.verifier.verify(s.world.first.key)).toEqual({
      outcome: 'accepted-previous',
      accepted: true,
      keyId: s.world.first.keyId,
      versionId: s.world.firstVersion,
    });
    expect(s.verifier.status()).toMatchObject({
      currentKeyId: next.key.keyId,
      previousKeyId: s.world.first.keyId,
      previousAccepted: true,
    });
  });

  it('never accepts the previous key with graceAcceptPrevious false', async () => {
    const s = await setup({ graceAcceptPrevious: false });
    s.world.rotate();
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key)).toMatchObject({
      outcome: 'rejected-revoked',
      keyId: s.world.first.keyId,
    });
    expect(s.verifier.status().previousAccepted).toBe(false);
  });

  it('accepts the previous key until the grace date, then answers rejected-revoked', async () => {
    const clockStart = new FakeClock().now();
    const s = await setup({ graceAcceptPrevious: new Date(clockStart + 60_000) });
    s.world.rotate();
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    await s.clock.advance(60_000);
    expect(s.verifier.verify(s.world.first.key)).toMatchObject({
      outcome: 'rejected-revoked',
      versionId: s.world.firstVersion,
    });
    expect(s.rejections().at(-1)?.fields.reason).toMatch(
      /grace window .* closed \(until 2026-11-21T10:01:00.000Z\)/,
    );
  });
});

describe('Bounded staleness', () => {
  const MINUTE = 60_000;

  it('rejects the previous key as rejected-stale once no refresh has succeeded for 15 minutes, and keeps accepting the current key', async () => {
    const s = await setup();
    const next = s.world.rotate();
    await s.verifier.refresh();
    // Secrets Manager (or KMS, or IAM) becomes unreachable; meanwhile the previous key is revoked.
    s.world.client.fail(1_000);
    s.world.revokePrevious();
    await s.clock.advance(14 * MINUTE);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    await s.clock.advance(MINUTE + 1);
    expect(s.verifier.verify(s.world.first.key)).toEqual({
      outcome: 'rejected-stale',
      accepted: false,
      keyId: s.world.first.keyId,
      versionId: s.world.firstVersion,
    });
    expect(s.verifier.verify(next.key.key).outcome).toBe('accepted-current');
    expect(s.verifier.status()).toMatchObject({ stale: true, previousAccepted: false });
    expect(s.verifier.status().consecutiveFailures).toBeGreaterThanOrEqual(28);
    const line = s.rejections().at(-1)?.fields;
    expect(line).toMatchObject({
      outcome: 'rejected-stale',
      key_id: s.world.first.keyId,
      max_staleness_ms: 15 * MINUTE,
      consecutive_failures: s.verifier.status().consecutiveFailures,
    });
    expect(line?.reason).toMatch(/no key refresh has succeeded for \d+ ms \(maxStalenessMs 900000\)/);
    expect(line?.keys_age_ms).toBeGreaterThan(15 * MINUTE);
    s.expectNoSecretLogged(next.key);
  });

  it('accepts the previous key again as soon as a refresh succeeds', async () => {
    const s = await setup({ maxStalenessMs: 5 * MINUTE });
    s.world.rotate();
    await s.verifier.refresh();
    s.world.client.fail(1_000);
    await s.clock.advance(5 * MINUTE + 1);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-stale');
    s.world.client.fail(0);
    expect(await s.verifier.refresh()).toBe(true);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    expect(s.verifier.status()).toMatchObject({
      stale: false,
      previousAccepted: true,
      consecutiveFailures: 0,
    });
    expect(s.logger.lines.find((l) => l.fields.outcome === 'refresh-recovered')?.fields).toMatchObject({
      failed_refreshes: expect.any(Number),
    });
  });

  it('applies the revocation it could not see once the refresh succeeds', async () => {
    const s = await setup({ maxStalenessMs: 5 * MINUTE });
    s.world.rotate();
    await s.verifier.refresh();
    s.world.client.fail(1_000);
    s.world.revokePrevious();
    await s.clock.advance(5 * MINUTE + 1);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-stale');
    s.world.client.fail(0);
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-revoked');
  });

  it('schedules an early refresh when it rejects a stale previous key', async () => {
    const s = await setup({ maxStalenessMs: 5 * MINUTE, refreshIntervalMs: 2 * MINUTE });
    s.world.rotate();
    await s.verifier.refresh();
    s.world.client.fail(2);
    await s.clock.advance(5 * MINUTE + 1);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-stale');
    expect(s.clock.pendingDelays()).toContain(0);
    await s.clock.advance(0);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
  });

  it('counts consecutive refresh failures in every snapshot until a refresh succeeds', async () => {
    const s = await setup({ metricsFlushIntervalMs: 10 * INTERVAL });
    s.world.client.fail(3);
    await s.clock.advance(3 * INTERVAL);
    await s.verifier.flushMetrics();
    expect(lastSnapshot(s.metrics)).toMatchObject({ refreshFailures: 3, consecutiveRefreshFailures: 3 });
    await s.clock.advance(INTERVAL);
    await s.verifier.flushMetrics();
    expect(lastSnapshot(s.metrics)).toMatchObject({ refreshFailures: 0, consecutiveRefreshFailures: 0 });
  });

  it('refuses a maxStalenessMs shorter than two refresh intervals with jitter', async () => {
    const world = secretWorld();
    const error = (await createVerifier({
      secretId: world.name,
      client: world.client,
      refreshIntervalMs: 60_000,
      refreshJitter: 0.1,
      maxStalenessMs: 100_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(HandoverError);
    expect(error.message).toMatch(
      /maxStalenessMs must be an integer of at least 2 × refreshIntervalMs × \(1 \+ refreshJitter\) = 132000, got 100000/,
    );
    expect(world.client.calls).toEqual([]);
  });

  it('defaults to three jittered refresh intervals when that is longer than 15 minutes', async () => {
    const s = await setup({ refreshIntervalMs: 10 * MINUTE, refreshJitter: 0 });
    s.world.rotate();
    await s.verifier.refresh();
    s.world.client.fail(1_000);
    await s.clock.advance(30 * MINUTE);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    await s.clock.advance(1);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-stale');
  });
});

describe('Decisions', () => {
  it('answers rejected-revoked for a key whose AWSPREVIOUS label was removed, from the next refresh', async () => {
    const s = await setup();
    s.world.rotate();
    await s.verifier.refresh();
    s.world.revokePrevious();
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key)).toEqual({
      outcome: 'rejected-revoked',
      accepted: false,
      keyId: s.world.first.keyId,
      versionId: s.world.firstVersion,
    });
    expect(s.verifier.status().retiredKeyIds).toEqual([s.world.first.keyId]);
    expect(
      s.logger.lines.find((l) => l.message === 'shared key verifier keys changed' && l.fields.retired_key_ids)
        ?.fields,
    ).toMatchObject({
      retired_key_ids: [s.world.first.keyId],
    });
  });

  it('answers rejected-revoked for a key pushed out by a later rotation', async () => {
    const s = await setup();
    const second = s.world.rotate();
    s.world.rotate();
    await s.verifier.refresh();
    // The verifier never saw `second` as previous... but it saw the first key as current.
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-revoked');
    expect(s.verifier.verify(second.key.key).outcome).toBe('accepted-previous');
  });

  it('accepts a restored key again', async () => {
    const s = await setup();
    s.world.rotate();
    await s.verifier.refresh();
    s.world.revokePrevious();
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('rejected-revoked');
    s.world.restorePrevious(s.world.firstVersion);
    await s.verifier.refresh();
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-previous');
    expect(s.verifier.status().retiredKeyIds).toEqual([]);
  });

  it('remembers a bounded number of retired key ids', async () => {
    const s = await setup({ retiredKeyIds: 2 });
    const keys = [s.world.first.key];
    for (let i = 0; i < 4; i++) {
      keys.push(s.world.rotate().key.key);
      await s.verifier.refresh();
    }
    // keys[0..2] are retired; only the two most recent are remembered.
    expect(s.verifier.status().retiredKeyIds).toHaveLength(2);
    expect(s.verifier.verify(keys[0]).outcome).toBe('rejected-unknown');
    expect(s.verifier.verify(keys[1]).outcome).toBe('rejected-revoked');
    expect(s.verifier.verify(keys[2]).outcome).toBe('rejected-revoked');
    expect(s.verifier.verify(keys[3]).outcome).toBe('accepted-previous');
  });

  it('answers rejected-unknown for a key it never held and logs why', async () => {
    const s = await setup();
    const stranger = newKey();
    expect(s.verifier.verify(stranger.key)).toEqual({
      outcome: 'rejected-unknown',
      accepted: false,
      keyId: stranger.keyId,
    });
    expect(s.verifier.verify(`hk_${s.world.first.keyId}_${stranger.secret}`)).toEqual({
      outcome: 'rejected-unknown',
      accepted: false,
      keyId: s.world.first.keyId,
    });
    expect(s.rejections().map((l) => l.fields.reason)).toEqual([
      'the key id is not the AWSCURRENT or AWSPREVIOUS key of the secret',
      'the key id is known but the secret part does not match',
    ]);
    s.expectNoSecretLogged(stranger);
  });

  it('answers rejected-malformed with the key id when the value starts like a key, and the length', async () => {
    const s = await setup();
    expect(s.verifier.verify(`${s.world.first.key}\n`)).toEqual({
      outcome: 'rejected-malformed',
      accepted: false,
      keyId: s.world.first.keyId,
    });
    expect(s.verifier.verify(undefined)).toEqual({ outcome: 'rejected-malformed', accepted: false });
    expect(s.rejections().map((l) => l.fields)).toEqual([
      expect.objectContaining({
        outcome: 'rejected-malformed',
        key_id: s.world.first.keyId,
        presented_length: 60,
      }),
      expect.objectContaining({ outcome: 'rejected-malformed', presented_length: 0 }),
    ]);
    s.expectNoSecretLogged();
  });

  it('writes one structured line per rejection with the observability fields and the caller context', async () => {
    const s = await setup();
    const stranger = newKey();
    s.verifier.verify(stranger.key, { remote_address: '10.0.1.7', path: '/orders' });
    expect(s.rejections()).toEqual([
      {
        level: 'warn',
        message: 'shared key rejected',
        fields: {
          remote_address: '10.0.1.7',
          path: '/orders',
          credential_type: 'shared-key',
          secret_id: s.world.arn,
          secret_name: s.world.name,
          outcome: 'rejected-unknown',
          reason: expect.any(String),
          key_id: stranger.keyId,
          key_fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
          log_window_ms: 60_000,
        },
      },
    ]);
  });
});

describe('Rejection log rate limit', () => {
  it('logs the first rejection per reason and key id per flush window and counts the rest', async () => {
    const s = await setup();
    const stranger = newKey();
    for (let i = 0; i < 1000; i++) s.verifier.verify(stranger.key);
    for (let i = 0; i < 1000; i++) s.verifier.verify('not a key');
    expect(s.rejections()).toHaveLength(2);
    await s.verifier.flushMetrics();
    expect(s.logger.lines.find((l) => l.fields.outcome === 'rejections-suppressed')?.fields).toMatchObject({
      suppressed_rejected_unknown: 999,
      suppressed_rejected_malformed: 999,
    });
    // A new window: the same rejection is logged once more.
    s.verifier.verify(stranger.key);
    s.verifier.verify(stranger.key);
    expect(s.rejections()).toHaveLength(3);
    await s.verifier.flushMetrics();
    const counted = s.metrics.snapshots.map((snapshot) => snapshot.rejections);
    expect(counted).toEqual([
      { 'rejected-unknown': 1000, 'rejected-revoked': 0, 'rejected-stale': 0, 'rejected-malformed': 1000 },
      { 'rejected-unknown': 2, 'rejected-revoked': 0, 'rejected-stale': 0, 'rejected-malformed': 0 },
    ]);
  });

  it('caps the lines per window however many key ids an attacker invents, and reports what it suppressed', async () => {
    const s = await setup({ rejectionLogMaxLines: 100, unknownKeyRefreshMinIntervalMs: false });
    for (let i = 0; i < 5000; i++)
      s.verifier.verify(
        `hk_${i
          .toString(32)
          .padStart(12, 'a')
          .replace(/[0189]/g, 'z')}_${s.world.first.secret}`,
      );
    expect(s.rejections()).toHaveLength(100);
    s.logger.lines.length = 0;
    await s.verifier.flushMetrics();
    const summary = s.logger.lines.find((l) => l.fields.outcome === 'rejections-suppressed');
    expect(summary?.fields).toMatchObject({
      suppressed_rejected_unknown: 4900,
      suppressed_rejected_malformed: 0,
    });
    expect(lastSnapshot(s.metrics).rejections['rejected-unknown']).toBe(5000);
    s.expectNoSecretLogged();
  });
});

describe('Background refresh', () => {
  it('schedules refreshes on an unref-able timer with jitter', async () => {
    const world = secretWorld();
    const early = await setup({ random: () => 0 }, world);
    const late = await setup({ random: () => 0.999999 }, world);
    expect(early.clock.pendingDelays()).toContain(INTERVAL * 0.9);
    expect(Math.max(...late.clock.pendingDelays())).toBeGreaterThanOrEqual(Math.round(INTERVAL * 1.1) - 1);
  });

  it('picks up a rotation on the next timer tick with one DescribeSecret and one GetSecretValue', async () => {
    const s = await setup({ unknownKeyRefreshMinIntervalMs: false });
    const next = s.world.rotate();
    expect(s.verifier.verify(next.key.key).outcome).toBe('rejected-unknown');
    await s.clock.advance(INTERVAL);
    expect(s.verifier.verify(next.key.key).outcome).toBe('accepted-current');
    expect(s.world.client.calls).toEqual(['DescribeSecret', 'GetSecretValue']);
  });

  it('costs one DescribeSecret per refresh when nothing changed', async () => {
    const s = await setup();
    await s.clock.advance(INTERVAL * 3);
    expect(s.world.client.calls).toEqual(['DescribeSecret', 'DescribeSecret', 'DescribeSecret']);
  });

  it('keeps the last good keys when a refresh fails, logs and counts it, and recovers', async () => {
    const s = await setup();
    const next = s.world.rotate();
    s.world.client.fail(1);
    await s.clock.advance(INTERVAL);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-current');
    expect(s.verifier.status().consecutiveFailures).toBe(1);
    const failure = s.logger.lines.find((l) => l.fields.outcome === 'refresh-failed');
    expect(failure?.level).toBe('warn');
    expect(failure?.fields).toMatchObject({
      secret_name: s.world.name,
      current_key_id: s.world.first.keyId,
      consecutive_failures: 1,
      reason: 'InternalServiceError: Secrets Manager is unavailable',
    });
    await s.verifier.flushMetrics();
    expect(lastSnapshot(s.metrics).refreshFailures).toBe(1);
    // The timer keeps going: the next tick succeeds.
    await s.clock.advance(INTERVAL);
    expect(s.verifier.verify(next.key.key).outcome).toBe('accepted-current');
    expect(s.verifier.status().consecutiveFailures).toBe(0);
    s.expectNoSecretLogged(next.key);
  });

  it('keeps the last good keys when AWSCURRENT no longer parses', async () => {
    const s = await setup();
    const versionId = s.world.putRawCurrent(JSON.stringify({ key: 'hk_short' }));
    expect(await s.verifier.refresh()).toBe(false);
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-current');
    const failure = s.logger.lines.find((l) => l.fields.outcome === 'refresh-failed');
    expect(failure?.fields.reason).toContain(`AWSCURRENT version ${versionId}`);
    expect(failure?.fields.reason).toContain('"key" must be a shared key');
  });

  it('loads without a previous key whose value does not parse, and says so', async () => {
    const garbage = secretWorld();
    garbage.putRawCurrent('not json');
    garbage.putRawCurrent(newKey().json);
    const s = await setup({}, garbage);
    expect(s.verifier.status().previousKeyId).toBeUndefined();
    expect(s.logger.lines[0]?.fields.previous_problem).toMatch(/AWSPREVIOUS version .* not valid JSON/);
  });

  it('schedules one early refresh for an unknown key id, at most once per interval, never for known ids', async () => {
    const s = await setup({ unknownKeyRefreshMinIntervalMs: 10_000 });
    const next = s.world.rotate();
    s.verifier.verify(`hk_${s.world.first.keyId}_${next.key.secret}`);
    s.verifier.verify('garbage');
    expect(s.clock.pendingDelays()).not.toContain(0);
    expect(s.verifier.verify(next.key.key).outcome).toBe('rejected-unknown');
    expect(s.verifier.verify(next.key.key).outcome).toBe('rejected-unknown');
    expect(s.clock.pendingDelays().filter((d) => d === 0)).toHaveLength(1);
    expect(s.world.client.calls).toEqual([]);
    await s.clock.advance(0);
    expect(s.verifier.verify(next.key.key).outcome).toBe('accepted-current');
    expect(s.world.client.calls).toEqual(['DescribeSecret', 'GetSecretValue']);
    // A second unknown id within 10 s does not trigger another refresh.
    s.verifier.verify(newKey().key);
    expect(s.clock.pendingDelays().filter((d) => d === 0)).toHaveLength(0);
    await s.clock.advance(10_000);
    s.verifier.verify(newKey().key);
    expect(s.clock.pendingDelays().filter((d) => d === 0)).toHaveLength(1);
  });

  it('does not refresh early when unknownKeyRefreshMinIntervalMs is false', async () => {
    const s = await setup({ unknownKeyRefreshMinIntervalMs: false });
    s.verifier.verify(newKey().key);
    expect(s.clock.pendingDelays()).not.toContain(0);
  });

  it('shares one refresh between concurrent callers', async () => {
    const s = await setup();
    const [a, b] = await Promise.all([s.verifier.refresh(), s.verifier.refresh()]);
    expect(a && b).toBe(true);
    expect(s.world.client.calls).toEqual(['DescribeSecret']);
  });
});

describe('Metrics', () => {
  it('counts current and previous accepts per key id and flushes them on the timer', async () => {
    const s = await setup({ metricsFlushIntervalMs: 60_000 });
    const next = s.world.rotate();
    await s.verifier.refresh();
    for (let i = 0; i < 5; i++) s.verifier.verify(next.key.key);
    for (let i = 0; i < 3; i++) s.verifier.verify(s.world.first.key);
    s.verifier.verify('nope');
    await s.clock.advance(60_000);
    expect(s.metrics.snapshots).toHaveLength(1);
    expect(lastSnapshot(s.metrics)).toEqual({
      secretName: s.world.name,
      timestamp: new Date(s.clock.now()),
      accepts: expect.arrayContaining([
        { keyId: next.key.keyId, stage: 'current', count: 5 },
        { keyId: s.world.first.keyId, stage: 'previous', count: 3 },
      ]),
      rejections: {
        'rejected-unknown': 0,
        'rejected-revoked': 0,
        'rejected-stale': 0,
        'rejected-malformed': 1,
      },
      refreshFailures: 0,
      consecutiveRefreshFailures: 0,
    });
    // Counters start again from zero; the heartbeat snapshot still goes out.
    await s.clock.advance(60_000);
    expect(lastSnapshot(s.metrics).accepts).toEqual([]);
  });

  it('keeps the accepts of a key that was swapped out before the flush', async () => {
    const s = await setup();
    for (let i = 0; i < 4; i++) s.verifier.verify(s.world.first.key);
    s.world.rotate();
    await s.verifier.refresh();
    s.verifier.verify(s.world.first.key);
    await s.verifier.flushMetrics();
    expect(lastSnapshot(s.metrics).accepts).toEqual(
      expect.arrayContaining([
        { keyId: s.world.first.keyId, stage: 'current', count: 4 },
        { keyId: s.world.first.keyId, stage: 'previous', count: 1 },
      ]),
    );
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    const s = await setup();
    s.world.rotate();
    await s.verifier.refresh();
    s.verifier.verify(s.world.first.key);
    s.metrics.failNext = 1;
    await s.verifier.flushMetrics();
    expect(s.metrics.snapshots).toHaveLength(0);
    expect(s.logger.lines.find((l) => l.fields.outcome === 'metrics-flush-failed')?.fields.reason).toBe(
      'Error: metrics endpoint unavailable',
    );
    s.verifier.verify(s.world.first.key);
    await s.verifier.flushMetrics();
    expect(lastSnapshot(s.metrics).accepts).toEqual([
      { keyId: s.world.first.keyId, stage: 'previous', count: 2 },
    ]);
  });
});

describe('Method: close', () => {
  it('stops every timer, flushes the counters and refreshes no more', async () => {
    const s = await setup();
    s.verifier.verify(s.world.first.key);
    s.verifier.verify(newKey().key);
    expect(s.clock.pending).toBeGreaterThan(0);
    await s.verifier.close();
    expect(s.clock.pending).toBe(0);
    expect(lastSnapshot(s.metrics).accepts).toEqual([
      { keyId: s.world.first.keyId, stage: 'current', count: 1 },
    ]);
    s.world.client.calls.length = 0;
    await s.clock.advance(INTERVAL * 10);
    expect(s.world.client.calls).toEqual([]);
    // Decisions still work from the last keys.
    expect(s.verifier.verify(s.world.first.key).outcome).toBe('accepted-current');
  });

  it('waits for a refresh in flight', async () => {
    const s = await setup();
    const next = s.world.rotate();
    const refreshing = s.verifier.refresh();
    await s.verifier.close();
    expect(await refreshing).toBe(true);
    expect(s.verifier.verify(next.key.key).outcome).toBe('accepted-current');
  });
});

describe('Secrets in logs', () => {
  it('writes no key and no secret part in any line across a rotation, revoke, failures and rejections', async () => {
    const s = await setup();
    const next = s.world.rotate();
    await s.verifier.refresh();
    s.world.client.fail(1);
    await s.verifier.refresh();
    s.verifier.verify(`${next.key.key}x`);
    s.verifier.verify(`hk_${next.key.keyId}_${s.world.first.secret}`);
    s.world.revokePrevious();
    await s.verifier.refresh();
    s.verifier.verify(s.world.first.key);
    await s.verifier.close();
    expect(s.logger.lines.length).toBeGreaterThan(5);
    s.expectNoSecretLogged(next.key);
  });
});
