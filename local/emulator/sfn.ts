import { randomBytes } from 'node:crypto';
import { createAwsJsonHandler } from './aws-json-protocol';
import { AwsServiceError } from './errors';
import { type OperationInput, optionalString } from './input';
import type { ProtocolHandler } from './protocol';
import { SFN_EXECUTION_OPERATIONS, StateMachines, type StateMachinesOptions } from './sfn-executions';

/**
 * Step Functions for the emulator over the protocol the installed `@aws-sdk/client-sfn` speaks:
 * AWS JSON 1.0 (`X-Amz-Target: AWSStepFunctions.<Operation>`). This file holds the task token
 * callbacks, SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: a running execution (or the
 * local workflow runner) waits on a token with {@link StepFunctionsService.waitForTaskToken};
 * consumers complete it over HTTP through the SDK, exactly as against AWS. State machines and
 * executions (CreateStateMachine, StartExecution, DescribeExecution, GetExecutionHistory, ...) are
 * in `sfn-executions.ts`; this service serves both.
 *
 * Semantics kept from Step Functions: an unknown token is `TaskDoesNotExist`; a token whose task
 * already succeeded, failed or timed out is `TaskTimedOut`; `output` must be JSON (`InvalidOutput`);
 * a token that is not a plausible token is `InvalidToken`; a heartbeat resets the heartbeat timer.
 *
 * Not emulated: activities.
 */

/** Every Step Functions operation the emulator implements. */
export const SFN_OPERATIONS = [
  'SendTaskFailure',
  'SendTaskHeartbeat',
  'SendTaskSuccess',
  ...SFN_EXECUTION_OPERATIONS,
] as const;
/** A Step Functions operation the emulator implements. */
export type SfnOperation = (typeof SFN_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of Step Functions. */
export const SFN_TARGET_PREFIX = 'AWSStepFunctions';

/** Exception names (`__type`) Step Functions returns. */
export const SFN_ERROR = {
  taskDoesNotExist: 'TaskDoesNotExist',
  taskTimedOut: 'TaskTimedOut',
  invalidToken: 'InvalidToken',
  invalidOutput: 'InvalidOutput',
  validation: 'ValidationException',
} as const;

/** The error names a waiting task fails with, as a state machine's Retry / Catch sees them. */
export const TASK_FAILURE = {
  timeout: 'States.Timeout',
  heartbeatTimeout: 'States.HeartbeatTimeout',
  /** SendTaskFailure without an `error`. */
  taskFailed: 'States.TaskFailed',
} as const;

const MAX_TOKEN_LENGTH = 2048;
const MAX_OUTPUT_BYTES = 256 * 1024;
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

/**
 * How a waiting task ended with a failure: `name` is the error name the state machine's Retry and
 * Catch match (the `error` of SendTaskFailure, or `States.Timeout` / `States.HeartbeatTimeout`),
 * `message` is the cause.
 */
export class TaskFailedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Options of {@link StepFunctionsService.waitForTaskToken}. */
export interface WaitForTaskTokenOptions {
  /**
   * The task fails with `States.HeartbeatTimeout` when no SendTaskHeartbeat (or completion)
   * arrives for this long.
   * @default - no heartbeat timeout
   */
  readonly heartbeatMs?: number;
}

type TaskState =
  | { readonly status: 'open' }
  | { readonly status: 'succeeded'; readonly output: unknown }
  | { readonly status: 'failed'; readonly error: string; readonly cause: string }
  | { readonly status: 'timed-out'; readonly error: string };

interface Task {
  state: TaskState;
  /** Whether the runner waits on it. */
  waiting: boolean;
  /** The result was handed to a waiter (so the token is closed for good). */
  delivered: boolean;
  resolve?: (output: unknown) => void;
  reject?: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
  heartbeat?: { readonly ms: number; timer?: ReturnType<typeof setTimeout> };
}

/** Where a token is, as tests read it. */
export type TaskTokenStatus = TaskState['status'] | 'unknown';

/**
 * The task token registry. Tokens are known from {@link createTaskToken} or from the first
 * {@link waitForTaskToken}; a result sent before the runner starts waiting is kept and delivered
 * when it does. Pure logic and timers, no HTTP.
 *
 * @example
 * ```ts
 * const token = emulator.stepFunctions.createTaskToken();
 * const output = emulator.stepFunctions.waitForTaskToken(token, 60_000); // start waiting first
 * await adapter.update(consumer, { ...update, taskToken: token });      // the consumer acknowledges
 * expect(await output).toEqual({ ok: true });
 * ```
 */
export class StepFunctionsService {
  /** State machines and executions: definitions run in-process, histories as Step Functions keeps them. */
  readonly stateMachines: StateMachines;
  readonly #tasks = new Map<string, Task>();

  readonly #operations: Record<SfnOperation, (input: OperationInput) => object>;

  constructor(options: Omit<StateMachinesOptions, 'tokens'> = {}) {
    this.stateMachines = new StateMachines({ ...options, tokens: this });
    const executions = Object.fromEntries(
      SFN_EXECUTION_OPERATIONS.map((operation) => [
        operation,
        (input: OperationInput) => this.stateMachines.invoke(operation, input),
      ]),
    ) as Record<(typeof SFN_EXECUTION_OPERATIONS)[number], (input: OperationInput) => object>;
    this.#operations = {
      SendTaskFailure: (input) => this.#sendTaskFailure(input),
      SendTaskHeartbeat: (input) => this.#sendTaskHeartbeat(input),
      SendTaskSuccess: (input) => this.#sendTaskSuccess(input),
      ...executions,
    };
  }

  /** Whether `operation` is a Step Functions operation the emulator implements. */
  static isOperation(operation: string): operation is SfnOperation {
    return (SFN_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: SfnOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Mints a new task token (opaque, base64, as long as real ones) and registers it as open. */
  createTaskToken(): string {
    const token = randomBytes(240).toString('base64');
    this.#tasks.set(token, { state: { status: 'open' }, waiting: false, delivered: false });
    return token;
  }

  /**
   * Waits for the task with this token to be completed by SendTaskSuccess (resolves with the parsed
   * `output`) or SendTaskFailure (rejects with a {@link TaskFailedError} named by its `error`), or
   * to time out after `timeoutMs` (`States.Timeout`). A token not minted by
   * {@link createTaskToken} is registered now. Call it BEFORE handing the token out (a consumer
   * may answer at once) and await the promise afterwards. Only one wait per token.
   */
  waitForTaskToken(
    token: string,
    timeoutMs: number,
    options: WaitForTaskTokenOptions = {},
  ): Promise<unknown> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`timeoutMs must be a non-negative number, got ${timeoutMs}`);
    }
    let task = this.#tasks.get(token);
    if (task === undefined) {
      task = { state: { status: 'open' }, waiting: false, delivered: false };
      this.#tasks.set(token, task);
    }
    if (task.waiting) throw new Error('waitForTaskToken: this token is already waited on');
    task.waiting = true;
    const current = task;
    const outcome = new Promise<unknown>((resolve, reject) => {
      current.resolve = resolve;
      current.reject = reject;
      if (current.state.status !== 'open') {
        this.#deliver(current);
        return;
      }
      current.timer = setTimeout(() => this.#timeOut(current, TASK_FAILURE.timeout), timeoutMs);
      if (options.heartbeatMs !== undefined) {
        current.heartbeat = { ms: options.heartbeatMs };
        this.#armHeartbeat(current);
      }
    });
    // The caller starts waiting before it hands the token out and awaits later: a failure that
    // arrives in between must not count as an unhandled rejection. Awaiting still rejects.
    outcome.catch(() => undefined);
    return outcome;
  }

  /** Where the task of a token is: `open`, `succeeded`, `failed`, `timed-out`, or `unknown`. */
  taskStatus(token: string): TaskTokenStatus {
    return this.#tasks.get(token)?.state.status ?? 'unknown';
  }

  /** Aborts every running execution, fails every wait still pending (`States.Timeout`) and clears its timers. */
  dispose(): void {
    this.stateMachines.dispose();
    for (const task of this.#tasks.values()) {
      if (task.state.status === 'open' && task.waiting) this.#timeOut(task, TASK_FAILURE.timeout);
      this.#clearTimers(task);
    }
  }

  #clearTimers(task: Task): void {
    if (task.timer !== undefined) clearTimeout(task.timer);
    if (task.heartbeat?.timer !== undefined) clearTimeout(task.heartbeat.timer);
  }

  #armHeartbeat(task: Task): void {
    const heartbeat = task.heartbeat;
    if (heartbeat === undefined) return;
    if (heartbeat.timer !== undefined) clearTimeout(heartbeat.timer);
    heartbeat.timer = setTimeout(() => this.#timeOut(task, TASK_FAILURE.heartbeatTimeout), heartbeat.ms);
  }

  #timeOut(task: Task, error: string): void {
    if (task.state.status !== 'open') return;
    task.state = { status: 'timed-out', error };
    this.#deliver(task);
  }

  #deliver(task: Task): void {
    if (!task.waiting || task.delivered || task.resolve === undefined || task.reject === undefined) return;
    const state = task.state;
    if (state.status === 'open') return;
    task.delivered = true;
    this.#clearTimers(task);
    if (state.status === 'succeeded') task.resolve(state.output);
    else if (state.status === 'failed') task.reject(new TaskFailedError(state.error, state.cause));
    else task.reject(new TaskFailedError(state.error, 'The task timed out waiting for its task token.'));
  }

  /** The open task of a token, or the error Step Functions returns for it. */
  #openTask(input: OperationInput): Task {
    const token = input.taskToken;
    if (typeof token !== 'string' || token === '') {
      throw new AwsServiceError(
        SFN_ERROR.validation,
        "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
      );
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AwsServiceError(SFN_ERROR.invalidToken, 'Invalid Token: the task token is too long');
    }
    const task = this.#tasks.get(token);
    if (task === undefined)
      throw new AwsServiceError(SFN_ERROR.taskDoesNotExist, 'Task does not exist anymore');
    if (task.state.status !== 'open') throw new AwsServiceError(SFN_ERROR.taskTimedOut, 'Task Timed Out');
    return task;
  }

  #sendTaskSuccess(input: OperationInput): object {
    const task = this.#openTask(input);
    const raw = input.output;
    if (typeof raw !== 'string') {
      throw new AwsServiceError(
        SFN_ERROR.validation,
        "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null",
      );
    }
    if (Buffer.byteLength(raw) > MAX_OUTPUT_BYTES) {
      throw new AwsServiceError(SFN_ERROR.invalidOutput, 'Invalid Output: the output is larger than 256 KiB');
    }
    let output: unknown;
    try {
      output = JSON.parse(raw);
    } catch {
      throw new AwsServiceError(SFN_ERROR.invalidOutput, 'Invalid Output: the output is not valid JSON');
    }
    task.state = { status: 'succeeded', output };
    this.#deliver(task);
    return {};
  }

  #sendTaskFailure(input: OperationInput): object {
    const task = this.#openTask(input);
    const error = optionalString(input, 'error') ?? TASK_FAILURE.taskFailed;
    const cause = optionalString(input, 'cause') ?? '';
    if (error.length > MAX_ERROR_LENGTH || cause.length > MAX_CAUSE_LENGTH) {
      throw new AwsServiceError(
        SFN_ERROR.validation,
        'error must be at most 256 and cause at most 32768 characters',
      );
    }
    task.state = { status: 'failed', error, cause };
    this.#deliver(task);
    return {};
  }

  #sendTaskHeartbeat(input: OperationInput): object {
    const task = this.#openTask(input);
    if (task.waiting) this.#armHeartbeat(task);
    return {};
  }
}

/** Serves a {@link StepFunctionsService} over AWS JSON 1.0. */
export function createStepFunctionsHandler(stepFunctions: StepFunctionsService): ProtocolHandler {
  return createAwsJsonHandler({
    service: 'states',
    targetPrefix: SFN_TARGET_PREFIX,
    jsonVersion: '1.0',
    isOperation: (operation) => StepFunctionsService.isOperation(operation),
    invoke: (operation, input) => {
      if (!StepFunctionsService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return stepFunctions.invoke(operation, input);
    },
    // Never log the token: it is a capability. Executions and state machines are named by ARN.
    resourceMembers: ['executionArn', 'stateMachineArn'],
  });
}
