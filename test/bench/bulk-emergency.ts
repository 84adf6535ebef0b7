/**
 * Bulk emergency benchmark: `handover emergency --prefix ... --yes` over BENCH_BULK_SECRETS (1000)
 * managed secrets, against the emulator running the synthesized rollout state machine with the real
 * rollout and shared-key rotation functions, under AWS's quotas and injected throttling:
 *
 * - Secrets Manager writes (RotateSecret, PutSecretValue, UpdateSecretVersionStage, TagResource,
 *   UntagResource): 50 per second, shared, as the account quota (not raisable);
 * - StartExecution: a token bucket of 800 refilled at 150 per second (the smaller regions' quota),
 *   plus 10% of starts (at most 200) throttled at random;
 * - DescribeExecution: 250 refilled at 20 per second.
 *
 * It reports the wall time from the command's start to its report, the rollouts that did not
 * succeed (must be 0), and how many calls the quotas throttled (the CLI and the SDK backed off).
 *
 * ```sh
 * BENCH_BULK_SECRETS=200 npx tsx test/bench/bulk-emergency.ts
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../cli/errors';
import { startCliWorld } from '../support/cli-world';

const SECRETS = Number(process.env.BENCH_BULK_SECRETS ?? 1000);
const SECRETS_MANAGER_WRITES = [
  'RotateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'TagResource',
  'UntagResource',
];

/** Runs the bulk emergency benchmark and returns its lines (Markdown). */
export async function benchBulkEmergency(): Promise<string[]> {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // Wait states last at most 1 s (the workflow polls a rotation every 5 s), rotations may take the
  // workflow's default 900 s: the figure is the quotas', not the emulator's.
  const world = await startCliWorld({
    emulator: { stepFunctions: { maxWaitMs: 1000 } },
    rotationTimeoutSeconds: 900,
  });
  const work = mkdtempSync(join(tmpdir(), 'handover-bench-bulk-'));
  try {
    for (let i = 0; i < SECRETS; i += 1) {
      await world.managedSecret(`bench/bulk/${String(i).padStart(4, '0')}`, {
        consumers: [{ kind: 'ssm-parameter', name: 'mirror', parameterName: `/bench/bulk/${i}` }],
      });
    }
    const writes = world.emulator.faults.rateLimit({
      service: 'secretsmanager',
      operations: SECRETS_MANAGER_WRITES,
      perSecond: 50,
    });
    const starts = world.emulator.faults.rateLimit({
      service: 'states',
      operations: ['StartExecution'],
      perSecond: 150,
      burst: 800,
    });
    const polls = world.emulator.faults.rateLimit({
      service: 'states',
      operations: ['DescribeExecution'],
      perSecond: 20,
      burst: 250,
    });
    const random = world.emulator.faults.add({
      service: 'states',
      operation: 'StartExecution',
      error: 'throttle',
      times: Math.max(1, Math.round(SECRETS / 5)),
      when: () => Math.random() < 0.1,
    });
    world.emulator.resetCalls();
    const started = performance.now();
    const run = await world.run([
      'emergency',
      '--prefix',
      'bench/bulk/',
      '--reason',
      'bulk emergency benchmark',
      '--yes',
      '--journal',
      join(work, 'journal.jsonl'),
      '--json',
    ]);
    const seconds = (performance.now() - started) / 1000;
    const result =
      run.code === EXIT.ok || run.code === EXIT.rolloutFailed
        ? run.json<{ succeeded: number; failed: number }>()
        : undefined;
    const calls = world.emulator.callCounts();
    const throttled = writes.throttled + starts.throttled + polls.throttled + random.hits;
    return [
      `### Bulk emergency rotation (${SECRETS} secrets, one SSM consumer each; this machine, emulator)`,
      '',
      '| figure | value |',
      '|---|---|',
      `| wall time, command start to report | **${seconds.toFixed(1)} s** (${(SECRETS / seconds).toFixed(1)} rollouts/s, default --rate 3) |`,
      `| rollouts succeeded / not | ${result?.succeeded ?? 0} / ${result?.failed ?? SECRETS}${run.code === EXIT.ok ? '' : ` (exit ${run.code}: ${run.stderr.trim().split('\n').at(-1)})`} |`,
      `| calls throttled (quotas + injected) | ${throttled}: writes ${writes.throttled}, StartExecution ${starts.throttled + random.hits}, DescribeExecution ${polls.throttled} |`,
      `| StartExecution calls | ${calls.StartExecution ?? 0} |`,
    ];
  } finally {
    await world.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${(await benchBulkEmergency()).join('\n')}\n`);
}
