import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ManualRolloutInput, ROLLOUT_ERRORS } from '../lambdas/rollout/contract';
import type { ConsumerOutcome, RolloutPlan, WorkflowState } from '../lambdas/rollout/plan';
import type { CliContext } from './context';
import { CliError, EXIT, errorCode, fromAwsError } from './errors';

/** How a rollout execution ended (or stands). */
export type ExecutionStatus = NonNullable<DescribeExecutionOutput['status']>;

/** Where a rollout is, read from its execution history. */
export interface RolloutProgress {
  /** The state entered last. */
  readonly currentState?: string;
  /** The consumer wave running or last run: `canary`, `main` or `rollback`. */
  readonly wave?: string;
  /** Consumers updated and verified (or acknowledged). */
  readonly done: readonly string[];
  /** Consumers that failed, with the error. */
  readonly failed: ReadonlyArray<{ readonly consumer: string; readonly error: string }>;
  /** The state document as the last top-level state left it. */
  readonly state: WorkflowState;
}

/** An execution name for a rollout the CLI starts: unique, or derived from `key` (idempotent retries). */
export function executionName(mode: string, key?: string): string {
  const suffix =
    key === undefined
      ? `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`
      : createHash('sha256').update(key).digest('hex').slice(0, 24);
  return `handover-${mode}-${suffix}`;
}

/**
 * Starts the rollout workflow exactly as the console does: StartExecution with
 * `{ "secretId", "mode", "reason" }`. With a fixed `name`, starting again is idempotent while the
 * execution runs (Step Functions returns the same execution), and `ExecutionAlreadyExists` once it
 * ended: the caller then reads the execution it started earlier.
 */
export async function startRollout(
  ctx: CliContext,
  input: ManualRolloutInput,
  name: string = executionName(input.mode),
): Promise<{ readonly executionArn: string; readonly existed: boolean }> {
  const stateMachineArn = await ctx.stateMachineArn();
  try {
    const out = await ctx.aws.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return { executionArn: out.executionArn ?? '', existed: false };
  } catch (error) {
    if (errorCode(error) === 'ExecutionAlreadyExists') {
      return {
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        existed: true,
      };
    }
    throw fromAwsError(error, `states:StartExecution on ${stateMachineArn}`, (code) =>
      code === 'StateMachineDoesNotExist'
        ? new CliError(
            EXIT.notFound,
            `the rollout state machine ${stateMachineArn} does not exist`,
            'Pass --state-machine <name or ARN> (the stack output RolloutStateMachineArn), set HANDOVER_STATE_MACHINE, or check --region',
          )
        : undefined,
    );
  }
}

/** DescribeExecution. */
export async function describeExecution(
  ctx: CliContext,
  executionArn: string,
): Promise<DescribeExecutionOutput> {
  try {
    return await ctx.aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    throw fromAwsError(error, `states:DescribeExecution on ${executionArn}`);
  }
}

/** Every event of an execution's history so far, oldest first. */
export async function executionHistory(ctx: CliContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await ctx.aws.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    throw fromAwsError(error, `states:GetExecutionHistory on ${executionArn}`);
  }
  return events;
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const WAVES: Readonly<Record<string, string>> = {
  'Canary wave': 'canary',
  'Main wave': 'main',
  'Re-point consumers': 'rollback',
};

/**
 * Reads a rollout's progress from its history: the state entered last, the wave, each consumer's
 * outcome (the wave item states' outputs), and the state document the last top-level state left.
 * State names are the workflow's public contract (`infra/constructs/rollout-definition.ts`).
 */
export function progressOf(events: readonly HistoryEvent[]): RolloutProgress {
  let currentState: string | undefined;
  let wave: string | undefined;
  let state: WorkflowState = {};
  const done = new Map<string, true>();
  const failed = new Map<string, string>();
  for (const event of events) {
    const entered = event.stateEnteredEventDetails?.name;
    if (entered !== undefined) {
      currentState = entered;
      const waveOf = WAVES[entered] ?? /^(Canary|Main|Re-point):/.exec(entered)?.[1];
      if (waveOf !== undefined)
        wave = WAVES[entered] ?? (waveOf === 'Re-point' ? 'rollback' : waveOf.toLowerCase());
    }
    const exited = event.stateExitedEventDetails;
    if (exited === undefined) continue;
    const output = parse(exited.output);
    if (!isRecord(output)) continue;
    if (typeof output.consumer === 'string' && typeof output.ok === 'boolean') {
      const outcome = output as unknown as ConsumerOutcome;
      if (outcome.ok) {
        done.set(outcome.consumer, true);
        failed.delete(outcome.consumer);
      } else {
        failed.set(outcome.consumer, outcome.error);
      }
    } else if ('rollout' in output || 'failure' in output || 'report' in output) {
      state = output as WorkflowState;
    }
  }
  return {
    ...(currentState === undefined ? {} : { currentState }),
    ...(wave === undefined ? {} : { wave }),
    done: [...done.keys()],
    failed: [...failed].map(([consumer, error]) => ({ consumer, error })),
    state,
  };
}

/**
 * Who an emergency rotation breaks, from the rollout's own output: every consumer of its plan
 * (the old credential is revoked before they move), and what its usage check before revoking
 * reported. The ONE place the CLI derives it: when the rollout reports more (readers it found),
 * this is what changes.
 */
export function whoWillBreak(state: {
  readonly rollout?: Pick<RolloutPlan, 'waves'>;
  readonly precheck?: WorkflowState['precheck'];
}): {
  readonly consumers: readonly string[];
  readonly usage?: { readonly inUse: boolean; readonly observable: boolean; readonly evidence: string };
} {
  const waves = state.rollout?.waves;
  const consumers =
    waves === undefined ? [] : [...waves.canary, ...waves.main].map((consumer) => consumer.name);
  const precheck = state.precheck;
  return {
    consumers,
    ...(precheck === undefined
      ? {}
      : { usage: { inUse: precheck.inUse, observable: precheck.observable, evidence: precheck.evidence } }),
  };
}

/** What following a rollout reports as it goes. */
export interface FollowEvents {
  /** A state was entered. */
  readonly onState?: (name: string, at: Date) => void;
  /** A consumer's outcome arrived. */
  readonly onConsumer?: (consumer: string, ok: boolean, detail: string) => void;
  /** A top-level state left a new state document. */
  readonly onStateDocument?: (state: WorkflowState) => void;
}

/** How a followed rollout ended. */
export interface RolloutEnd {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly error?: string;
  readonly cause?: string;
  readonly progress: RolloutProgress;
}

/**
 * Follows an execution until it ends, reading its history every `pollMs` and reporting new events.
 */
export async function followRollout(
  ctx: CliContext,
  executionArn: string,
  events: FollowEvents = {},
  pollMs = 2000,
): Promise<RolloutEnd> {
  let seen = 0;
  for (;;) {
    const execution = await describeExecution(ctx, executionArn);
    const history = await executionHistory(ctx, executionArn);
    for (const event of history.slice(seen)) {
      const entered = event.stateEnteredEventDetails?.name;
      if (entered !== undefined) events.onState?.(entered, event.timestamp ?? ctx.now());
      const output = parse(event.stateExitedEventDetails?.output);
      if (isRecord(output) && typeof output.consumer === 'string' && typeof output.ok === 'boolean') {
        const outcome = output as unknown as ConsumerOutcome;
        events.onConsumer?.(outcome.consumer, outcome.ok, outcome.ok ? outcome.detail : outcome.error);
      } else if (isRecord(output) && 'rollout' in output) {
        events.onStateDocument?.(output as WorkflowState);
      }
    }
    seen = history.length;
    if (ctx.signal?.aborted === true) {
      throw new CliError(
        EXIT.interrupted,
        `stopped following ${executionArn}; the rollout goes on`,
        'Follow it with handover status, or in the Step Functions console',
      );
    }
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
      return {
        executionArn,
        status: execution.status ?? 'FAILED',
        ...(execution.error === undefined ? {} : { error: execution.error }),
        ...(execution.cause === undefined ? {} : { cause: execution.cause }),
        progress: progressOf(history),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The exit code of a finished rollout: refused by its preflight, failed, or fine. */
export function exitOf(end: Pick<RolloutEnd, 'status' | 'error'>): number {
  if (end.status === 'SUCCEEDED') return EXIT.ok;
  if (end.error === ROLLOUT_ERRORS.refused) return EXIT.refused;
  return EXIT.rolloutFailed;
}
