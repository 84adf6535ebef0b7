import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import { quoteIdent, quoteLiteral } from '../../lambdas/credentials/postgres/sql';
import {
  ROLLOUT_ERRORS,
  ROLLOUT_TAKEN_OVER,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import { rotationSucceededEvent } from '../../local/workflow/events';
import type { ExecutionRecord } from '../../local/workflow/local-step-functions';
import type { DropPlan } from './proxy';
import { type ChaosWorld, functionArn, type StepKill, type TaskKill } from './world';

/** One AWS call failing: before it takes effect, or after (a lost response), `times` times. */
export interface AwsFault {
  readonly service: 'secretsmanager' | 'dynamodb' | 'ssm' | 'events' | 'sns';
  readonly operation: string;
  readonly phase: 'before' | 'after';
  readonly error: 'internal' | 'throttle';
  /** Matching calls let through first. */
  readonly after: number;
  /** Calls failed (the SDK retries 3 times: 3 or more reach the caller). */
  readonly times: number;
}

/** What happens a second time, and when. */
export interface SecondAction {
  readonly action: 'rotation' | 'scheduled' | 'emergency' | 'duplicate-event';
  /** A state of the first rollout, `setSecret` of the first rotation, or `start` (at once). */
  readonly at: string;
}

/** One randomized fault schedule. */
export interface Schedule {
  readonly variant: PostgresMode;
  /** The first thing: a scheduled rotation (then its rollout), or a manual start. */
  readonly start: 'rotation' | 'scheduled' | 'emergency';
  readonly faults: readonly AwsFault[];
  readonly disconnect?: DropPlan;
  readonly stepKill?: StepKill;
  readonly taskKill?: TaskKill;
  readonly second?: SecondAction;
  /** A client nobody declared keeps a session open on the first user. */
  readonly straggler: boolean;
}

const OPERATIONS: ReadonlyArray<[AwsFault['service'], string]> = [
  ['secretsmanager', 'DescribeSecret'],
  ['secretsmanager', 'GetSecretValue'],
  ['secretsmanager', 'PutSecretValue'],
  ['secretsmanager', 'UpdateSecretVersionStage'],
  ['secretsmanager', 'TagResource'],
  ['secretsmanager', 'UntagResource'],
  ['secretsmanager', 'RotateSecret'],
  ['dynamodb', 'UpdateItem'],
  ['dynamodb', 'GetItem'],
  ['ssm', 'GetParameter'],
  ['ssm', 'PutParameter'],
  ['events', 'PutEvents'],
  ['sns', 'Publish'],
];

const TRIGGER_STATES = [
  'start',
  'setSecret',
  'Preflight',
  'Describe strategy',
  'Check rotation',
  'Canary: update and verify consumer',
  'Consumers updated',
  'Grace window',
  'Check old credential usage',
  'Revoke old credential',
  'Revoke compromised credential',
  'Report success',
  'Report failure',
] as const;

const TASKS = [
  'preflight',
  'start-rotation',
  'check-rotation',
  'update-consumer',
  'consumers-updated',
  'finish',
];

/** The fast-check arbitrary of a schedule. */
export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record(
  {
    variant: fc.constantFrom<PostgresMode>(
      'alternating-users',
      'alternating-users',
      'alternating-users',
      'single-user',
    ),
    start: fc.constantFrom<Schedule['start']>('rotation', 'rotation', 'scheduled', 'emergency'),
    faults: fc.array(
      fc
        .record({
          target: fc.constantFrom(...OPERATIONS),
          phase: fc.constantFrom<AwsFault['phase']>('before', 'after'),
          error: fc.constantFrom<AwsFault['error']>('internal', 'throttle'),
          after: fc.integer({ min: 0, max: 6 }),
          times: fc.integer({ min: 1, max: 4 }),
        })
        .map(({ target, ...fault }) => ({ service: target[0], operation: target[1], ...fault })),
      { maxLength: 3 },
    ),
    disconnect: fc.option(
      fc.record({
        connection: fc.integer({ min: 1, max: 6 }),
        direction: fc.constantFrom<DropPlan['direction']>('up', 'down'),
        afterBytes: fc.integer({ min: 0, max: 4000 }),
      }),
      { nil: undefined },
    ),
    stepKill: fc.option(
      fc.record({
        step: fc.constantFrom<StepKill['step']>('createSecret', 'setSecret', 'testSecret', 'finishSecret'),
        call: fc.integer({ min: 1, max: 4 }),
        phase: fc.constantFrom<StepKill['phase']>('before', 'after'),
      }),
      { nil: undefined },
    ),
    taskKill: fc.option(
      fc.record({
        task: fc.constantFrom(...TASKS),
        phase: fc.constantFrom<TaskKill['phase']>('before', 'after'),
      }),
      { freq: 4, nil: undefined },
    ),
    second: fc.option(
      fc.record({
        action: fc.constantFrom<SecondAction['action']>(
          'rotation',
          'rotation',
          'scheduled',
          'emergency',
          'duplicate-event',
        ),
        at: fc.constantFrom<string>(...TRIGGER_STATES),
      }),
      { freq: 5, nil: undefined },
    ),
    straggler: fc.boolean(),
  },
  { requiredKeys: ['variant', 'start', 'faults', 'straggler'] },
);

/** A login failure a probe saw (the credential did not change between its read and its login). */
interface FailedLogin {
  readonly at: number;
  readonly who: 'consumer' | 'straggler' | 'current';
  readonly username: string;
}

/** What one schedule did, and every invariant it broke. */
export interface ScheduleReport {
  readonly violations: string[];
  readonly executions: ReadonlyArray<Pick<ExecutionRecord, 'name' | 'status' | 'error' | 'cause'>>;
  readonly rotations: ReadonlyArray<{ readonly status: string; readonly refused: boolean }>;
  readonly logins: number;
  readonly durationMs: number;
}

const NAMED = new Set<string>(Object.values(ROLLOUT_ERRORS));
let counter = 0;

async function logsIn(world: ChaosWorld, username: string, password: string): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: world.database.port,
    database: 'postgres',
    user: username,
    password,
    ssl: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs one schedule against the world: a fresh role and secret, its faults installed, probes
 * logging in as the consumer, as AWSCURRENT and as the straggler every few milliseconds, the first
 * action and the second at its moment, EventBridge's part (an execution for every RotationSucceeded),
 * until nothing runs any more; then the invariants.
 */
export async function runSchedule(world: ChaosWorld, schedule: Schedule): Promise<ScheduleReport> {
  const started = performance.now();
  const { emulator } = world;
  const sm = emulator.secretsManager;
  counter += 1;
  const id = `${counter}_${randomBytes(3).toString('hex')}`;
  const username = `chaos_${id}`;
  const password = `Initial-${randomBytes(12).toString('base64url')}`;
  await world.database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
  const alternating = schedule.variant === 'alternating-users';
  const initial = {
    engine: 'postgres',
    host: 'localhost',
    port: world.proxy.port,
    dbname: 'postgres',
    username,
    password,
    ...(alternating ? { masterarn: world.masterArn } : {}),
  };
  const name = `chaos/${id}`;
  const { ARN: arn } = sm.invoke('CreateSecret', { Name: name, SecretString: JSON.stringify(initial) }) as {
    ARN: string;
  };
  sm.configureRotation(arn, functionArn(schedule.variant));
  const parameterName = `/chaos/${id}/db`;
  const config: RolloutConfig = {
    secretArn: arn,
    credentialType: 'postgres',
    rotationFunctionArn: functionArn(schedule.variant),
    graceSeconds: 60,
    usageRecheckSeconds: 60,
    usageMaxChecks: 2,
    maxConcurrency: 2,
    consumers: [{ kind: 'ssm-parameter', name: 'app', parameterName, canary: true }],
  };
  emulator.ssm.invoke('PutParameter', {
    Name: rolloutConfigParameterName(name),
    Value: JSON.stringify(config),
    Type: 'String',
  });
  emulator.ssm.invoke('PutParameter', {
    Name: parameterName,
    Value: JSON.stringify(initial),
    Type: 'SecureString',
  });

  const straggler = schedule.straggler
    ? new pg.Client({
        host: '127.0.0.1',
        port: world.database.port,
        database: 'postgres',
        user: username,
        password,
      })
    : undefined;
  straggler?.on('error', () => undefined);
  await straggler?.connect();

  // Faults: AWS (reaching both functions' SDK clients), the database connection, Lambda timeouts.
  emulator.faults.clear();
  for (const fault of schedule.faults) {
    emulator.faults.add({
      service: fault.service,
      operation: fault.operation,
      phase: fault.phase,
      error: fault.error,
      after: fault.after,
      times: fault.times,
    });
  }
  world.proxy.plan(schedule.disconnect);
  world.plan(schedule.stepKill, schedule.taskKill);

  // Probes.
  const failed: FailedLogin[] = [];
  const currents = new Map<string, string>();
  let logins = 0;
  let probing = true;
  const currentValue = () => {
    const out = sm.invoke('GetSecretValue', { SecretId: arn }) as { VersionId: string; SecretString: string };
    currents.set(out.VersionId, out.SecretString);
    return out.SecretString;
  };
  const consumerValue = () => emulator.ssm.parameter(parameterName)?.value ?? '';
  const probe = async (who: FailedLogin['who'], read: () => string) => {
    const value = read();
    const credential = JSON.parse(value) as { username: string; password: string };
    logins += 1;
    if (await logsIn(world, credential.username, credential.password)) return;
    // Moved in the meantime (the rollout, a rotation): not a failure of the credential it holds.
    if (read() !== value) return;
    failed.push({ at: performance.now(), who, username: credential.username });
  };
  const probes = (async () => {
    while (probing) {
      await probe('consumer', consumerValue);
      await probe('current', currentValue);
      if (straggler !== undefined) await probe('straggler', () => JSON.stringify(initial));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  })();

  // The actions.
  const executions: Array<{
    arn: string;
    record: ExecutionRecord;
    done: Promise<ExecutionRecord>;
    emergency: boolean;
    at: number;
  }> = [];
  let sequence = 0;
  const start = (input: unknown, onState?: (state: string) => void) => {
    sequence += 1;
    const execution = world.startExecution(arn, input, `chaos-${id}-${sequence}`, onState);
    const emergency = (input as { mode?: string }).mode === 'emergency';
    executions.push({ ...execution, emergency, at: performance.now() });
    return execution;
  };
  const rotate = (token?: string) => {
    try {
      sm.invoke('RotateSecret', {
        SecretId: arn,
        ...(token === undefined ? {} : { ClientRequestToken: token }),
      });
    } catch {
      // A rotation in progress: Secrets Manager refuses a second one ("isn't complete").
    }
  };
  let secondDone = schedule.second === undefined;
  const second = () => {
    if (secondDone || schedule.second === undefined) return;
    secondDone = true;
    const action = schedule.second.action;
    if (action === 'rotation') rotate();
    else if (action === 'duplicate-event') start(rotationSucceededEvent(arn));
    else start({ secretId: arn, mode: action, reason: `chaos ${action} start` });
  };
  let first: string | undefined;
  const firstListener = (state: string) => {
    if (schedule.second?.at === state) second();
  };
  world.onStep((fn, step) => {
    if (fn === functionArn(schedule.variant) && step === 'setSecret' && schedule.second?.at === 'setSecret')
      second();
  });
  if (schedule.second?.at === 'start') second();
  if (schedule.start === 'rotation') rotate();
  else first = start({ secretId: arn, mode: schedule.start, reason: 'chaos first start' }, firstListener).arn;

  // EventBridge's part, until nothing runs: an execution for every rotation that succeeded.
  const announced = new Set<number>();
  const deadline = Date.now() + 60_000;
  let settled = false;
  for (;;) {
    const rotations = sm.rotationsOf(arn);
    rotations.forEach((rotation, index) => {
      if (rotation.status === 'succeeded' && !announced.has(index)) {
        announced.add(index);
        const execution = start(rotationSucceededEvent(arn), first === undefined ? firstListener : undefined);
        first ??= execution.arn;
      }
    });
    const running =
      rotations.some((rotation) => rotation.status === 'running') ||
      executions.some((execution) => execution.record.status === 'RUNNING');
    if (!running) {
      // The second action at a state the first rollout never reached: now.
      if (!secondDone) {
        second();
        continue;
      }
      settled = true;
      break;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(executions.map((execution) => execution.done));
  probing = false;
  await probes;
  await straggler?.end().catch(() => undefined);
  world.onStep(undefined);
  emulator.faults.clear();
  world.proxy.plan(undefined);
  world.plan(undefined, undefined);
  currentValue();

  // The invariants.
  const violations: string[] = [];
  if (!settled) violations.push('did not settle within 60 s (a rotation or an execution still running)');
  const firstEmergency = Math.min(
    ...executions.filter((e) => e.emergency).map((e) => e.at),
    Number.POSITIVE_INFINITY,
  );
  for (const failure of failed) {
    if (!alternating) {
      // Single-user replaces the one password in setSecret: clients on the old value fail until they
      // re-read (documented); only AWSCURRENT at rest is checked below.
      continue;
    }
    if (failure.who !== 'current' && failure.at >= firstEmergency) continue; // an emergency's declared break
    violations.push(
      failure.who === 'current'
        ? `AWSCURRENT (user ${failure.username}) did not log in`
        : `the ${failure.who} holding user ${failure.username} (the credential it was last given) could not log in`,
    );
  }
  const current = JSON.parse(currentValue()) as { username: string; password: string };
  if (!(await logsIn(world, current.username, current.password))) {
    violations.push(`AWSCURRENT (user ${current.username}) does not log in at the end`);
  }
  for (const [versionId, value] of currents) {
    let stored: string | undefined;
    try {
      stored = (
        sm.invoke('GetSecretValue', { SecretId: arn, VersionId: versionId }) as { SecretString: string }
      ).SecretString;
    } catch {
      stored = undefined;
    }
    if (stored !== value) violations.push(`version ${versionId}, once AWSCURRENT, is lost or changed`);
  }
  const held = consumerValue();
  const versions = sm.invoke('ListSecretVersionIds', { SecretId: arn, IncludeDeprecated: true }) as {
    Versions: Array<{ VersionId: string }>;
  };
  const heldStored = versions.Versions.some((version) => {
    try {
      return (
        (
          sm.invoke('GetSecretValue', { SecretId: arn, VersionId: version.VersionId }) as {
            SecretString: string;
          }
        ).SecretString === held
      );
    } catch {
      return false;
    }
  });
  if (!heldStored) violations.push('the value the consumer holds is no version of the secret');
  for (const acting of world.actingOutsideLock.splice(0).filter((a) => a.secretArn === arn)) {
    violations.push(
      `${acting.execution.split(':').at(-1)} entered "${acting.state}" while ${acting.holder ?? 'nobody'} held the lock`,
    );
  }
  const logs = world.logs.splice(0);
  // No password of any version ever reaches a log line.
  const passwords = versions.Versions.flatMap((version) => {
    try {
      const value = sm.invoke('GetSecretValue', { SecretId: arn, VersionId: version.VersionId }) as {
        SecretString: string;
      };
      return [(JSON.parse(value.SecretString) as { password: string }).password];
    } catch {
      return [];
    }
  });
  const text = logs.map((line) => JSON.stringify(line)).join('\n');
  for (const secretValue of passwords) {
    if (text.includes(secretValue)) violations.push('a password of the secret reached a log line');
  }
  for (const execution of executions) {
    violations.push(...executionProblems(execution.record, arn, logs, emulator));
  }
  const rotations = sm.rotationsOf(arn);
  for (const rotation of rotations.filter((r) => r.status === 'failed')) {
    const step = /^(createSecret|setSecret|testSecret|finishSecret) failed/.exec(rotation.error ?? '')?.[1];
    const logged = logs.some(
      (line) =>
        line.level === 'ERROR' &&
        line.secret_id === arn &&
        line.rotation_id === rotation.versionId &&
        line.step === step &&
        typeof line.reason === 'string' &&
        line.reason !== '',
    );
    if (step === undefined || !logged) {
      violations.push(
        `rotation ${rotation.versionId} failed without a named step and a log line with the secret, version, step and reason: ${rotation.error ?? ''}`,
      );
    }
  }
  return {
    violations,
    executions: executions.map(({ record }) => ({
      name: record.name,
      status: record.status,
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    })),
    rotations: rotations.map((rotation) => ({
      status: rotation.status,
      refused: (rotation.error ?? '').includes('RotationRefusedError'),
    })),
    logins,
    durationMs: performance.now() - started,
  };
}

/** I5: an execution ended in a named state, and its failure names the secret, the version, the step and the reason. */
function executionProblems(
  record: ExecutionRecord,
  arn: string,
  logs: ReadonlyArray<Record<string, unknown>>,
  emulator: ChaosWorld['emulator'],
): string[] {
  const name = record.name;
  if (record.status === 'SUCCEEDED') return [];
  if (record.status === 'RUNNING') return [`${name} still running`];
  if (record.status === 'ABORTED') {
    return record.error === ROLLOUT_TAKEN_OVER && (record.cause ?? '').includes('takes over')
      ? []
      : record.error === ROLLOUT_TAKEN_OVER && (record.cause ?? '').includes('stale lock')
        ? []
        : [
            `${name} was stopped without the named error and who took over: ${record.error} ${record.cause ?? ''}`,
          ];
  }
  if (!NAMED.has(record.error ?? '') || (record.cause ?? '') === '') {
    return [`${name} failed outside a named state: ${record.error ?? ''}: ${record.cause ?? ''}`];
  }
  const rotated = record.states.includes('Canary wave') || record.states.includes('Emergency?');
  const milestone = emulator.eventBridge
    .events({ source: 'handover.rollout' })
    .map((event) => event.detail as Record<string, unknown>)
    .find((detail) => detail.rolloutId === name && detail.error === record.error && detail.secretArn === arn);
  const logged = logs.find(
    (line) =>
      line.message === 'rollout failed' &&
      line.rotation_id === name &&
      line.secret_id === arn &&
      line.error === record.error &&
      typeof line.reason === 'string',
  );
  if (milestone === undefined && logged === undefined) {
    // The report itself failed after its retries: the named state keeps the failure's own cause.
    if ((record.cause ?? '').includes('(the failure report did not complete')) return [];
    return [
      `${name} failed (${record.error}) with no Failed event or log line naming the secret and the reason`,
    ];
  }
  const versioned = milestone?.newVersionId !== undefined || logged?.version_id !== undefined;
  if (rotated && !versioned)
    return [`${name} failed (${record.error}) after rotating, with no version in its record`];
  return [];
}
