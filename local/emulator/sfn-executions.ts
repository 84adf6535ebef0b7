import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
import type {
  CreateStateMachineOutput,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  GetExecutionHistoryOutput,
  HistoryEvent,
  HistoryEventType,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsServiceError } from './errors';
import {
  type OperationInput,
  optionalBoolean,
  optionalInteger,
  optionalString,
  requireString,
} from './input';

/**
 * Step Functions state machines and executions for the emulator: CreateStateMachine,
 * DescribeStateMachine, ListStateMachines, DeleteStateMachine, StartExecution, DescribeExecution,
 * GetExecutionHistory, ListExecutions and StopExecution. A STANDARD state machine's definition
 * (Amazon States Language, JSONPath) runs in-process with `aws-local-stepfunctions`; its Task
 * states call what the emulator can run:
 *
 * - `arn:aws:states:::lambda:invoke` (`{ FunctionName, Payload }` in, `{ StatusCode, Payload }`
 *   out) and a function ARN as `Resource` (the payload in, the result out) invoke a function the
 *   emulated Lambda runs (registered in-process with a handler); a function error keeps its name,
 *   so `Retry` and `Catch` match it as they match Lambda's `errorType`;
 * - `arn:aws:states:::lambda:invoke.waitForTaskToken` mints a task token (the one the emulator's
 *   SendTaskSuccess / SendTaskFailure complete), puts it wherever the parameters say
 *   `$$.Task.Token`, invokes the function, and waits.
 *
 * Semantics kept from Step Functions: StartExecution is idempotent for a running execution of the
 * same name and input, and `ExecutionAlreadyExists` otherwise (names are unique per state machine);
 * executions are `RUNNING`, then `SUCCEEDED`, `FAILED` (error and cause of the Fail state or of the
 * unhandled error), `TIMED_OUT` or `ABORTED` (StopExecution); the history lists the events of the
 * execution, its states (`<Type>StateEntered` / `<Type>StateExited` with their input and output,
 * also inside Map iterations) and its end, oldest first (or newest first with `reverseOrder`),
 * paginated; input and output must be JSON of at most 256 KiB.
 *
 * Not emulated: EXPRESS state machines, activities, versions and aliases, JSONata, distributed maps
 * (aws-local-stepfunctions ignores them), integrations other than Lambda, IAM roles (the role ARN
 * is kept, never assumed), redrive, task and Lambda history events (only state and execution
 * events are recorded).
 */

/** Every state machine and execution operation the emulator implements. */
export const SFN_EXECUTION_OPERATIONS = [
  'CreateStateMachine',
  'DeleteStateMachine',
  'DescribeExecution',
  'DescribeStateMachine',
  'GetExecutionHistory',
  'ListExecutions',
  'ListStateMachines',
  'StartExecution',
  'StopExecution',
] as const;
/** A state machine or execution operation. */
export type SfnExecutionOperation = (typeof SFN_EXECUTION_OPERATIONS)[number];

/** Exception names of the state machine and execution operations. */
export const SFN_EXECUTION_ERROR = {
  stateMachineDoesNotExist: 'StateMachineDoesNotExist',
  stateMachineAlreadyExists: 'StateMachineAlreadyExists',
  executionDoesNotExist: 'ExecutionDoesNotExist',
  executionAlreadyExists: 'ExecutionAlreadyExists',
  invalidDefinition: 'InvalidDefinition',
  invalidArn: 'InvalidArn',
  invalidName: 'InvalidName',
  invalidExecutionInput: 'InvalidExecutionInput',
  validation: 'ValidationException',
} as const;

/** A function a Task state invokes: the payload in, the result out; throws to fail the task. */
export type TaskFunction = (functionName: string, payload: unknown) => Promise<unknown>;

/** The task tokens a `.waitForTaskToken` task mints and waits on (the emulator's `StepFunctionsService`). */
export interface TaskTokens {
  createTaskToken(): string;
  waitForTaskToken(token: string, timeoutMs: number): Promise<unknown>;
}

/** Options of {@link StateMachines}. */
export interface StateMachinesOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Invokes Lambda functions for Task states. @default - every Lambda task fails `Lambda.ResourceNotFoundException` */
  readonly invoke?: TaskFunction;
  /** The task tokens of `.waitForTaskToken` tasks. */
  readonly tokens: TaskTokens;
  /**
   * The longest a Wait state or a retry interval really lasts, in milliseconds, so tests need not
   * sleep what a definition says (`Seconds: 3600` then lasts this long). Also settable later
   * through {@link StateMachines.maxWaitMs}.
   * @default - as the definition says
   */
  readonly maxWaitMs?: number;
}

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface StateMachineRecord {
  readonly name: string;
  readonly arn: string;
  readonly definition: string;
  readonly parsed: AslDefinition;
  readonly roleArn: string;
  readonly creationDate: Date;
  readonly machine: StateMachine;
}

interface ExecutionRecord {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: HistoryEvent[];
  abort?: () => void;
  done: Promise<void>;
}

/** A state of a definition, as far as the runner needs to know it. */
interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly TimeoutSecondsPath?: string;
  readonly Retry?: unknown;
  readonly Iterator?: { readonly States: Record<string, AslState> };
  readonly ItemProcessor?: { readonly States: Record<string, AslState> };
  readonly Branches?: ReadonlyArray<{ readonly States: Record<string, AslState> }>;
  readonly [field: string]: unknown;
}

/** A state machine definition (Amazon States Language). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [field: string]: unknown;
}

/** One event of the runner's log (the library does not export the type). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

const NAME_FORBIDDEN = /[\s?*<>{}[\]:;,\\|^~$#%&`"]/;
/** Names: 1 to 80 characters, no whitespace, wildcards, brackets, special or control characters. */
const validName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !NAME_FORBIDDEN.test(name) &&
  ![...name].some((char) => {
    const code = char.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
const MAX_PAYLOAD_BYTES = 256 * 1024;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const WAIT_FOR_TOKEN = `${LAMBDA_INVOKE}.waitForTaskToken`;
/** What `$$.Task.Token` resolves to before a `.waitForTaskToken` task replaces it with the real token. */
const TOKEN_PLACEHOLDER = 'EMULATOR_TASK_TOKEN_PLACEHOLDER';

/** Every state of a definition, with the states of Map item processors and Parallel branches. */
export function allStates(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...allStates((state.ItemProcessor ?? state.Iterator)?.States ?? {}),
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
  ]);
}

/**
 * Step Functions evaluates `TimeoutSecondsPath` against the state input; aws-local-stepfunctions
 * 3.0.0 evaluates it against the input after `Parameters`. Where the parameters copy the field
 * (`"consumer.$": "$.consumer"`, at the top or in `Payload`), the copy is what the runner sees:
 * point the path there, so a definition keeps the path Step Functions reads.
 */
export function adaptDefinitionForRunner<D extends AslDefinition>(definition: D): D {
  const copy = structuredClone(definition);
  for (const [, state] of allStates(copy.States)) {
    const path = state.TimeoutSecondsPath;
    if (typeof path !== 'string' || state.Parameters === undefined) continue;
    const key = /^\$\.([^.]+)/.exec(path)?.[1];
    if (key === undefined) continue;
    const payload = state.Parameters.Payload as Record<string, unknown> | undefined;
    const rewritten =
      payload?.[`${key}.$`] === `$.${key}`
        ? `$.Payload.${path.slice(2)}`
        : state.Parameters[`${key}.$`] === `$.${key}`
          ? path
          : undefined;
    if (rewritten !== undefined) (state as { TimeoutSecondsPath?: string }).TimeoutSecondsPath = rewritten;
  }
  return copy;
}

/**
 * Step Functions' default task timeout is 99999999 seconds (the runner's own default is 60 s); a
 * Node timer holds at most 2^31 - 1 ms, so the emulator's default is the longest one: 24.8 days.
 */
const DEFAULT_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Gives every Task state without a timeout Step Functions' default one. */
function withTaskTimeouts<D extends AslDefinition>(definition: D): D {
  for (const [, state] of allStates(definition.States)) {
    if (
      state.Type === 'Task' &&
      state.TimeoutSeconds === undefined &&
      state.TimeoutSecondsPath === undefined
    ) {
      (state as { TimeoutSeconds?: number }).TimeoutSeconds = DEFAULT_TASK_TIMEOUT_SECONDS;
    }
  }
  return definition;
}

const notFound = (type: string, message: string) => new AwsServiceError(type, message);

/** Replaces the token placeholder wherever the parameters put `$$.Task.Token`. */
function withToken(value: unknown, token: string): unknown {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withToken(item, token)]));
  }
  return value;
}

function checkJson(text: string, member: string): void {
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new AwsServiceError(SFN_EXECUTION_ERROR.invalidExecutionInput, `${member} is larger than 256 KiB`);
  }
  try {
    JSON.parse(text);
  } catch {
    throw new AwsServiceError(SFN_EXECUTION_ERROR.invalidExecutionInput, `${member} is not valid JSON`);
  }
}

/** `Task` -> `TaskStateEntered`. */
const stateEvent = (type: string, phase: 'Entered' | 'Exited') => `${type}State${phase}` as HistoryEventType;

/**
 * The state machines and executions: definitions run in-process, the history recorded as Step
 * Functions records it. Pure logic and timers, no HTTP.
 *
 * @example
 * ```ts
 * const machines = new StateMachines({ tokens, invoke: (name, payload) => handlers[name](payload) });
 * const { stateMachineArn } = machines.invoke('CreateStateMachine', { name, definition, roleArn });
 * const { executionArn } = machines.invoke('StartExecution', { stateMachineArn, input: '{}' });
 * await machines.waitForExecution(executionArn);
 * ```
 */
export class StateMachines {
  readonly region: string;
  readonly accountId: string;
  /** The longest a Wait state or a retry interval lasts, in milliseconds; `undefined`: as defined. */
  maxWaitMs: number | undefined;
  readonly #invoke: TaskFunction;
  readonly #tokens: TaskTokens;
  readonly #machines = new Map<string, StateMachineRecord>();
  readonly #executions = new Map<string, ExecutionRecord>();

  readonly #operations: Record<SfnExecutionOperation, (input: OperationInput) => object> = {
    CreateStateMachine: (input) => this.#createStateMachine(input),
    DeleteStateMachine: (input) => this.#deleteStateMachine(input),
    DescribeExecution: (input) => this.#describeExecution(input),
    DescribeStateMachine: (input) => this.#describeStateMachine(input),
    GetExecutionHistory: (input) => this.#getExecutionHistory(input),
    ListExecutions: (input) => this.#listExecutions(input),
    ListStateMachines: (input) => this.#listStateMachines(input),
    StartExecution: (input) => this.#startExecution(input),
    StopExecution: (input) => this.#stopExecution(input),
  };

  constructor(options: StateMachinesOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.maxWaitMs = options.maxWaitMs;
    this.#tokens = options.tokens;
    this.#invoke =
      options.invoke ??
      (async (name) => {
        const error = new Error(`Function not found: ${name}`);
        error.name = 'Lambda.ResourceNotFoundException';
        throw error;
      });
  }

  /** Whether `operation` is a state machine or execution operation. */
  static isOperation(operation: string): operation is SfnExecutionOperation {
    return (SFN_EXECUTION_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: SfnExecutionOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Resolves when the execution has ended (at once when it has); rejects for an unknown ARN. */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const execution = this.#execution(executionArn);
    await execution.done;
    return this.#describe(execution);
  }

  /** Every execution still running, by ARN. */
  runningExecutions(): string[] {
    return [...this.#executions.values()].filter((e) => e.status === 'RUNNING').map((e) => e.arn);
  }

  /** Aborts every running execution (the emulator is closing). */
  dispose(): void {
    for (const execution of this.#executions.values()) execution.abort?.();
  }

  #machine(arn: string): StateMachineRecord {
    const machine = this.#machines.get(arn);
    if (machine === undefined) {
      throw notFound(SFN_EXECUTION_ERROR.stateMachineDoesNotExist, `State Machine Does Not Exist: '${arn}'`);
    }
    return machine;
  }

  #execution(arn: string): ExecutionRecord {
    const execution = this.#executions.get(arn);
    if (execution === undefined) {
      throw notFound(SFN_EXECUTION_ERROR.executionDoesNotExist, `Execution Does Not Exist: '${arn}'`);
    }
    return execution;
  }

  #createStateMachine(input: OperationInput): CreateStateMachineOutput {
    const name = requireString(input, 'name');
    const definition = requireString(input, 'definition');
    const roleArn = requireString(input, 'roleArn');
    const type = optionalString(input, 'type') ?? 'STANDARD';
    if (!validName(name)) {
      throw new AwsServiceError(SFN_EXECUTION_ERROR.invalidName, `Invalid Name: '${name}'`);
    }
    if (type !== 'STANDARD') {
      throw new AwsServiceError(
        SFN_EXECUTION_ERROR.validation,
        'The emulator runs STANDARD state machines only.',
      );
    }
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
    const existing = this.#machines.get(arn);
    if (existing !== undefined) {
      // Idempotent for the same definition and role, as Step Functions is.
      if (existing.definition === definition && existing.roleArn === roleArn) {
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      }
      throw new AwsServiceError(
        SFN_EXECUTION_ERROR.stateMachineAlreadyExists,
        `State Machine Already Exists: '${arn}'`,
      );
    }
    let parsed: AslDefinition;
    let machine: StateMachine;
    try {
      parsed = withTaskTimeouts(adaptDefinitionForRunner(JSON.parse(definition) as AslDefinition));
      machine = new StateMachine(parsed as never, {
        validationOptions: { checkArn: false, checkPaths: true },
      });
    } catch (error) {
      throw new AwsServiceError(
        SFN_EXECUTION_ERROR.invalidDefinition,
        `Invalid State Machine Definition: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const creationDate = new Date();
    this.#machines.set(arn, { name, arn, definition, parsed, roleArn, creationDate, machine });
    return { stateMachineArn: arn, creationDate };
  }

  #deleteStateMachine(input: OperationInput): object {
    this.#machines.delete(requireString(input, 'stateMachineArn'));
    return {};
  }

  #describeStateMachine(input: OperationInput): DescribeStateMachineOutput {
    const machine = this.#machine(requireString(input, 'stateMachineArn'));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate,
    };
  }

  #listStateMachines(input: OperationInput): ListStateMachinesOutput {
    const machines = [...this.#machines.values()];
    const { items, nextToken } = pageOf(machines, input);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: m.creationDate,
      })),
      ...(nextToken !== undefined && { nextToken }),
    };
  }

  #startExecution(input: OperationInput): StartExecutionOutput {
    const machine = this.#machine(requireString(input, 'stateMachineArn'));
    const name = optionalString(input, 'name') ?? randomUUID();
    if (!validName(name)) {
      throw new AwsServiceError(SFN_EXECUTION_ERROR.invalidName, `Invalid Name: '${name}'`);
    }
    const text = optionalString(input, 'input') ?? '{}';
    checkJson(text, 'input');
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.#executions.get(arn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new AwsServiceError(
        SFN_EXECUTION_ERROR.executionAlreadyExists,
        `Execution Already Exists: '${arn}'`,
      );
    }
    const execution: ExecutionRecord = {
      arn,
      name,
      stateMachineArn: machine.arn,
      input: text,
      startDate: new Date(),
      status: 'RUNNING',
      events: [],
      done: Promise.resolve(),
    };
    this.#executions.set(arn, execution);
    this.#run(machine, execution);
    return { executionArn: arn, startDate: execution.startDate };
  }

  #run(machine: StateMachineRecord, execution: ExecutionRecord): void {
    const run = machine.machine.run(JSON.parse(execution.input), {
      overrides: {
        taskResourceLocalHandlers: this.#taskHandlers(machine.parsed) as never,
        ...this.#timeOverrides(machine.parsed),
      },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          Input: JSON.parse(execution.input),
          StartTime: execution.startDate.toISOString(),
          RoleArn: machine.roleArn,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      } as never,
    });
    execution.abort = run.abort;
    const record = (async () => {
      for await (const event of run.eventLogs) this.#record(execution, event);
    })().catch(() => undefined);
    // The end is recorded after the runner's last state event, as the history orders them.
    execution.done = run.result.then(
      async (output) => {
        await record;
        this.#end(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      async (error: unknown) => {
        await record;
        if (execution.status !== 'RUNNING') return;
        const name = error instanceof Error ? error.constructor.name : '';
        if (name === 'ExecutionAbortedError') {
          this.#end(execution, 'ABORTED', {});
          return;
        }
        if (name === 'ExecutionTimeoutError') {
          this.#end(execution, 'TIMED_OUT', { error: 'States.Timeout' });
          return;
        }
        const cause = (error as { cause?: unknown }).cause;
        const failure = cause instanceof Error ? cause : error instanceof Error ? error : undefined;
        this.#end(execution, 'FAILED', {
          error: failure?.name ?? 'States.Runtime',
          cause: failure?.message ?? String(error),
        });
      },
    );
  }

  #end(
    execution: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    outcome: { output?: string; error?: string; cause?: string },
  ): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = new Date();
    if (outcome.output !== undefined) execution.output = outcome.output;
    if (outcome.error !== undefined) execution.error = outcome.error;
    if (outcome.cause !== undefined) execution.cause = outcome.cause;
    const details: Partial<HistoryEvent> =
      status === 'SUCCEEDED'
        ? { executionSucceededEventDetails: { output: execution.output ?? 'null' } }
        : status === 'FAILED'
          ? { executionFailedEventDetails: { error: execution.error ?? '', cause: execution.cause ?? '' } }
          : status === 'TIMED_OUT'
            ? { executionTimedOutEventDetails: { error: 'States.Timeout' } }
            : {
                executionAbortedEventDetails: { error: execution.error ?? '', cause: execution.cause ?? '' },
              };
    const type: HistoryEventType =
      status === 'SUCCEEDED'
        ? 'ExecutionSucceeded'
        : status === 'FAILED'
          ? 'ExecutionFailed'
          : status === 'TIMED_OUT'
            ? 'ExecutionTimedOut'
            : 'ExecutionAborted';
    this.#append(execution, type, details);
  }

  #append(execution: ExecutionRecord, type: HistoryEventType, details: Partial<HistoryEvent>): void {
    const id = execution.events.length + 1;
    execution.events.push({
      timestamp: new Date(),
      type,
      id,
      previousEventId: id - 1,
      ...details,
    });
  }

  /** The library's event log, as Step Functions' history events. */
  #record(execution: ExecutionRecord, event: EventLog): void {
    switch (event.type) {
      case 'ExecutionStarted':
        this.#append(execution, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: execution.input,
            roleArn: this.#machine(execution.stateMachineArn).roleArn,
          },
        });
        return;
      case 'StateEntered':
        this.#append(execution, stateEvent(event.state.type, 'Entered'), {
          stateEnteredEventDetails: {
            name: event.state.name,
            input: JSON.stringify(event.state.input ?? null),
          },
        });
        return;
      case 'StateExited':
        this.#append(execution, stateEvent(event.state.type, 'Exited'), {
          stateExitedEventDetails: {
            name: event.state.name,
            output: JSON.stringify(event.state.output ?? null),
          },
        });
        return;
      case 'StateFailed':
        if (event.state.type === 'Task') {
          this.#append(execution, 'TaskFailed', {
            taskFailedEventDetails: {
              resourceType: 'lambda',
              resource: 'invoke',
              error: event.Error,
              cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? null),
            },
          });
        }
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.#append(execution, event.type, {
          mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index },
        });
        return;
      default:
        return;
    }
  }

  #taskHandlers(definition: AslDefinition): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(definition.States)) {
      if (state.Type !== 'Task' || state.Resource === undefined) continue;
      const resource = state.Resource.replace(/^arn:aws[\w-]*:states:::/, 'arn:aws:states:::');
      if (resource === LAMBDA_INVOKE) {
        handlers[name] = async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
          return { StatusCode: 200, Payload: await this.#invoke(FunctionName, Payload ?? {}) };
        };
      } else if (resource === WAIT_FOR_TOKEN) {
        handlers[name] = async (input) => {
          const token = this.#tokens.createTaskToken();
          // The runner enforces the state's timeout; the token's own wait only has to outlast it.
          const outcome = this.#tokens.waitForTaskToken(token, 366 * 24 * 3600 * 1000);
          const { FunctionName, Payload } = withToken(input, token) as {
            FunctionName: string;
            Payload?: unknown;
          };
          await this.#invoke(FunctionName, Payload ?? {});
          return outcome;
        };
      } else if (/^arn:aws[\w-]*:lambda:/.test(state.Resource)) {
        const fn = state.Resource;
        handlers[name] = (input) => this.#invoke(fn, input);
      } else {
        handlers[name] = async () => {
          const error = new Error(`The emulator runs no integration for ${state.Resource}`);
          error.name = 'States.Runtime';
          throw error;
        };
      }
    }
    return handlers;
  }

  #timeOverrides(definition: AslDefinition): {
    waitTimeOverrides?: Record<string, number>;
    retryIntervalOverrides?: Record<string, number>;
  } {
    const cap = this.maxWaitMs;
    if (cap === undefined) return {};
    const waits: Record<string, number> = {};
    const retries: Record<string, number> = {};
    for (const [name, state] of allStates(definition.States)) {
      if (state.Type === 'Wait') {
        const seconds = typeof state.Seconds === 'number' ? state.Seconds * 1000 : cap;
        waits[name] = Math.min(cap, seconds);
      }
      if (Array.isArray(state.Retry)) retries[name] = cap;
    }
    return { waitTimeOverrides: waits, retryIntervalOverrides: retries };
  }

  #describe(execution: ExecutionRecord): DescribeExecutionOutput {
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      ...(execution.stopDate !== undefined && { stopDate: execution.stopDate }),
      input: execution.input,
      ...(execution.output !== undefined && { output: execution.output }),
      ...(execution.error !== undefined && { error: execution.error }),
      ...(execution.cause !== undefined && { cause: execution.cause }),
    };
  }

  #describeExecution(input: OperationInput): DescribeExecutionOutput {
    return this.#describe(this.#execution(requireString(input, 'executionArn')));
  }

  #getExecutionHistory(input: OperationInput): GetExecutionHistoryOutput {
    const execution = this.#execution(requireString(input, 'executionArn'));
    const reverse = optionalBoolean(input, 'reverseOrder') ?? false;
    const withData = optionalBoolean(input, 'includeExecutionData') ?? true;
    let events = reverse ? [...execution.events].reverse() : [...execution.events];
    if (!withData) events = events.map(withoutData);
    const { items, nextToken } = pageOf(events, input, 1000);
    return { events: items, ...(nextToken !== undefined && { nextToken }) };
  }

  #listExecutions(input: OperationInput): ListExecutionsOutput {
    const machineArn = requireString(input, 'stateMachineArn');
    this.#machine(machineArn);
    const status = optionalString(input, 'statusFilter');
    const executions = [...this.#executions.values()]
      .filter((e) => e.stateMachineArn === machineArn && (status === undefined || e.status === status))
      .reverse();
    const { items, nextToken } = pageOf(executions, input, 1000);
    return {
      executions: items.map(
        (e): ExecutionListItem => ({
          executionArn: e.arn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          ...(e.stopDate !== undefined && { stopDate: e.stopDate }),
        }),
      ),
      ...(nextToken !== undefined && { nextToken }),
    };
  }

  #stopExecution(input: OperationInput): StopExecutionOutput {
    const execution = this.#execution(requireString(input, 'executionArn'));
    if (execution.status === 'RUNNING') {
      const error = optionalString(input, 'error');
      const cause = optionalString(input, 'cause');
      if (error !== undefined) execution.error = error;
      if (cause !== undefined) execution.cause = cause;
      this.#end(execution, 'ABORTED', {});
      execution.abort?.();
    }
    return { stopDate: execution.stopDate ?? new Date() };
  }
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy = structuredClone(event) as unknown as Record<string, unknown>;
  for (const value of Object.values(copy)) {
    if (typeof value === 'object' && value !== null) {
      for (const member of ['input', 'output']) delete (value as Record<string, unknown>)[member];
    }
  }
  return copy as unknown as HistoryEvent;
}

/** Step Functions' pagination: `maxResults` (0 = the service's page size) and an opaque `nextToken`. */
function pageOf<T>(
  items: readonly T[],
  input: OperationInput,
  pageSize = 100,
): { items: T[]; nextToken?: string } {
  const max = optionalInteger(input, 'maxResults', 0, 1000) || pageSize;
  const token = optionalString(input, 'nextToken');
  const offset = token === undefined ? 0 : Number.parseInt(Buffer.from(token, 'base64').toString('utf8'), 10);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new AwsServiceError('InvalidToken', 'Invalid Token: the nextToken is not one this service issued');
  }
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
  return { items: slice, ...(next !== undefined && { nextToken: next }) };
}
