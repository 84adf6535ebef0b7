import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../local/workflow/local-step-functions';
import { type RolloutWorld, startRolloutWorld } from './world';

/**
 * The readers check in the synthesized state machine, executed locally against the emulator, whose
 * CloudTrail records every call with the identity of the key that signed it: applications here read
 * the secret with their own IAM users' keys, so CloudTrail names them.
 */
let world: RolloutWorld;
const transitions: Record<string, number> = {};

beforeAll(async () => {
  world = await startRolloutWorld();
});
afterAll(async () => {
  process.stdout.write(
    `workflow (readers): state transitions per execution: ${JSON.stringify(transitions)}\n`,
  );
  await world?.close();
});

const failure = (record: ExecutionRecord) => `${record.status} ${record.error ?? ''}: ${record.cause ?? ''}`;
const count = (record: ExecutionRecord, state: string) =>
  record.states.filter((name) => name === state).length;

/** Everything published about a secret: SNS messages and EventBridge events. */
function published(secretArn: string, secretName: string): string {
  return JSON.stringify([
    world.summaries(secretName),
    world.emulator.eventBridge
      .events({ source: 'handover.rollout' })
      .filter((event) => (event.detail as { secretArn?: string }).secretArn === secretArn),
  ]);
}

describe('Workflow: who reads the secret', () => {
  it('names a reader nobody declared, does not revoke while it holds the old version, and fails naming it', async () => {
    // GIVEN: a third application nobody declared read the secret before the rotation
    const fn = `orders-api-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const secret = await world.createSecret({
      consumers: [{ kind: 'lambda', name: 'orders-api', functionName: fn, canary: true }],
      usageMaxChecks: 3,
      readers: world.readers(),
    });
    const reports = await world.newApp('billing-reports');
    await reports.read(secret.arn);
    const event = await world.rotateAndReport(secret.arn);

    // WHEN
    const record = await world.local.start(event).done;
    transitions['undeclared reader holds the old version (3 checks)'] = record.transitions;
    reports.close();

    // THEN: not revoked, and the failure names who, from where, when
    expect(failure(record)).toMatch(/^FAILED Handover\.OldCredentialStillInUse: .*after 3 checks/);
    expect(record.cause).toContain(reports.arn);
    expect(record.cause).toContain('1 reader still holds the old version (CloudTrail)');
    expect(count(record, 'Check readers')).toBe(3);
    expect(count(record, 'Revoke old credential')).toBe(0);
    expect(await world.logsIn(secret.username, secret.password)).toBe(true);
    // Preflight named it: an EventBridge event, an SNS message, a metric.
    const undeclared = world.emulator.eventBridge
      .events({ source: 'handover.rollout', detailType: 'Handover Rollout UndeclaredReaders' })
      .find((found) => (found.detail as { secretArn?: string }).secretArn === secret.arn);
    const readers = (undeclared?.detail as { undeclaredReaders?: Array<Record<string, string>> })
      ?.undeclaredReaders;
    expect(readers).toEqual([
      expect.objectContaining({ identity: reports.arn, from: '127.0.0.1', lastSeen: expect.any(String) }),
    ]);
    const [notice] = world.summaries(secret.name);
    expect(notice?.subject).toBe(`Handover: 1 undeclared reader of ${secret.name}`);
    expect(notice?.message).toContain(reports.arn);
    expect(notice?.message).toContain('aws-sdk-js');
    expect(world.metrics).toContainEqual(['UndeclaredReaders', 'postgres']);
    const summary = world.summaries(secret.name).at(-1);
    expect(summary?.message).toContain('Still holding the old version (CloudTrail):');
    expect(summary?.message).toContain(`  - ${reports.arn} from 127.0.0.1, last seen`);
    // The handler's own reads (root) are not readers; no secret anywhere.
    expect(published(secret.arn, secret.name)).not.toContain(world.handoverPrincipal);
    expect(published(secret.arn, secret.name)).not.toContain(secret.password);
  });

  it('revokes once the straggler has read the new version', async () => {
    // GIVEN
    const secret = await world.createSecret({ consumers: [], usageMaxChecks: 4, readers: world.readers() });
    const reports = await world.newApp('billing-reports');
    await reports.read(secret.arn);
    const event = await world.rotateAndReport(secret.arn);
    // It restarts (and reads the secret again) while the gate waits, a second later (CloudTrail
    // records times to the second: a read in the rotation's second counts as the old version's).
    let restarted = false;
    world.onStateEntered((_record, state) => {
      if (state === 'Wait before re-checking' && !restarted) {
        restarted = true;
        setTimeout(() => void reports.read(secret.arn), 1100);
      }
    });

    // WHEN
    const record = await world.local.start(event, undefined, { 'Wait before re-checking': 1500 }).done;
    world.onStateEntered(undefined);
    transitions['straggler re-reads, then revoked'] = record.transitions;
    reports.close();

    // THEN
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    expect(restarted).toBe(true);
    expect(count(record, 'Check readers')).toBeGreaterThanOrEqual(2);
    expect(count(record, 'Revoke old credential')).toBe(1);
    expect(await world.logsIn(secret.username, secret.password)).toBe(false);
    expect(world.summaries(secret.name).at(-1)?.message).toContain(
      'Readers check: no reader holds the old version',
    );
  });

  it('counts the reads of a declared consumer (its principals) as the consumer, which the rollout moved', async () => {
    // GIVEN: the consumer's application read the old version and has not read the new one yet
    const app = await world.newApp('orders-worker');
    const fn = `orders-worker-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const secret = await world.createSecret({
      consumers: [{ kind: 'lambda', name: 'orders-worker', functionName: fn, principals: [app.arn] }],
      readers: world.readers(),
    });
    await app.read(secret.arn);
    const event = await world.rotateAndReport(secret.arn);

    // WHEN
    const record = await world.local.start(event).done;
    app.close();

    // THEN: declared and updated (new execution environments read the new version): not a straggler
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    expect(count(record, 'Revoke old credential')).toBe(1);
    expect(world.summaries(secret.name).map((message) => message.subject ?? '')).not.toContain(
      `Handover: 1 undeclared reader of ${secret.name}`,
    );
  });

  it('in emergency mode lists the readers of the old version as "will break", and how each consumer is refreshed', async () => {
    // GIVEN
    const fn = `payments-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const secret = await world.createSecret({
      consumers: [
        { kind: 'lambda', name: 'payments-api', functionName: fn },
        {
          kind: 'ssm-parameter',
          name: 'payments-mirror',
          parameterName: `/payments/${fn}/db`,
          cache: { via: 'sdk-cache', staleSeconds: 3600 },
        },
      ],
      readers: world.readers(),
    });
    const batch = await world.newApp('nightly-batch');
    await batch.read(secret.arn);

    // WHEN
    const record = await world.local.start({
      secretId: secret.arn,
      mode: 'emergency',
      reason: 'password in a public gist',
    }).done;
    await world.recordValues(secret.arn);
    transitions['emergency with readers (2 consumers)'] = record.transitions;
    batch.close();

    // THEN: revoked at once, whoever read the old version named as breaking
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    expect(record.states.indexOf('Check readers before revoking')).toBeLessThan(
      record.states.indexOf('Revoke compromised credential'),
    );
    const alert = world.summaries(secret.name).find((message) => message.subject?.includes('EMERGENCY'));
    expect(alert?.message).toContain('Readers of the old version (CloudTrail), who will break:');
    expect(alert?.message).toContain(`  - ${batch.arn} from 127.0.0.1`);
    expect(alert?.message).toContain('will break: undeclared, nobody updates it');
    expect(alert?.message).toContain(
      '  - payments-api (lambda): refreshed: new execution environments: a configuration update retires the running ones',
    );
    expect(alert?.message).toContain(
      '  - payments-mirror (ssm-parameter): CANNOT be forced to re-read: the parameter holds the new value; its readers keep what they cached until their cache expires; worst case 1 h (sdk-cache)',
    );
  });
});

describe('Workflow: a secret Handover follows (rotated by RDS)', () => {
  it('rolls the rotation AWS performed out to the consumers, revokes nothing, and names who holds the old value', async () => {
    // GIVEN: an RDS-managed master user secret, a declared consumer, and a legacy app nobody declared
    const fn = `admin-tool-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const parameter = `/ops/${fn}/master`;
    const secret = await world.createFollowedSecret({
      rotatedBy: 'rds',
      consumers: [
        { kind: 'lambda', name: 'admin-tool', functionName: fn, canary: true },
        { kind: 'ssm-parameter', name: 'ops-mirror', parameterName: parameter },
      ],
      readers: world.readers(),
    });
    const legacy = await world.newApp('legacy-cron');
    await legacy.read(secret.arn);
    const event = await world.rotateByOwner(secret.arn);
    const { current } = await world.describe(secret.arn);

    // WHEN
    const record = await world.local.start(event).done;
    transitions['followed RDS secret (2 consumers)'] = record.transitions;
    legacy.close();

    // THEN: consumers moved and verified; nothing of ours described, rotated or revoked
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    expect(record.states).toContain('Followed: no strategy of ours');
    expect(record.states).toContain('Followed: nothing to revoke');
    for (const state of [
      'Describe strategy',
      'Start rotation',
      'Grace window',
      'Check old credential usage',
    ]) {
      expect(record.states).not.toContain(state);
    }
    expect(
      world.emulator.lambda.functionConfiguration(fn)?.Environment?.Variables?.HANDOVER_SECRET_VERSION,
    ).toBe(current);
    expect(world.emulator.ssm.parameter(parameter)?.value).toBe(
      JSON.stringify(await world.value(secret.arn, { VersionStage: 'AWSCURRENT' })),
    );
    const summary = world.summaries(secret.name).at(-1);
    expect(summary?.subject).toBe(`Handover: rollout of ${secret.name} succeeded`);
    expect(summary?.message).toContain('Type:        followed rotated by rds');
    expect(summary?.message).toContain('the old value is already gone and Handover revokes nothing');
    expect(summary?.message).toContain('Still holding the old value, which no longer works (CloudTrail):');
    expect(summary?.message).toContain(`  - ${legacy.arn} from 127.0.0.1`);
    expect(world.milestones(secret.arn)).toEqual([
      'Handover Rollout Started',
      'Handover Rollout UndeclaredReaders',
      'Handover Rollout ConsumersUpdated',
      'Handover Rollout Succeeded',
    ]);
    expect(published(secret.arn, secret.name)).not.toContain(secret.password);
  });

  it('refuses an emergency rollout of a followed secret: it cannot rotate it', async () => {
    // GIVEN
    const secret = await world.createFollowedSecret({ rotatedBy: 'rds', consumers: [] });

    // WHEN
    const record = await world.local.start({ secretId: secret.arn, mode: 'emergency', reason: 'leaked' })
      .done;

    // THEN
    expect(failure(record)).toMatch(
      /^FAILED Handover\.InvalidInput: .*is followed, not rotated, by Handover/,
    );
    expect(record.cause).toContain('rotate-master-user-password');
  });
});
