import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import './promise-with-resolvers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StepFunctionsService } from '../emulator/sfn';
import { type AslDefinition, allStates } from './definition';

/** A function the local Step Functions can invoke: the real handler code. */
export type LocalFunction = (payload: unknown) => Promise<unknown>;

/** How an execution ended, with what the cost figure needs. */
export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** The Fail state's error, when it failed. */
  error?: string;
  cause?: string;
  output?: unknown;
  /** Billable state transitions: every state entered (Map iterations' states included) and every retry. */
  transitions: number;
  /** The names of the states entered, in order (Map iterations' states included). */
  readonly states: string[];
}

/** Options of {@link LocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** Function ARN -> handler. Every Task state invokes through it. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** The emulator's task tokens: `.waitForTaskToken` tasks mint one and wait on it. */
  readonly tokens: StepFunctionsService;
  /**
   * Milliseconds each Wait state pauses, by state name (the definition's seconds are not slept).
   * @default - 0 for every Wait state
   */
  readonly waitMs?: Readonly<Record<string, number>>;
  /**
   * Called when an execution enters a state (Map iterations' states included), e.g. for a timeline.
   * @default - nothing is called
   */
  readonly onStateEntered?: (record: ExecutionRecord, state: string) => void;
}

/** The execution events the harness reads (the library does not export its event types). */
type EventLog = { readonly type: string; readonly state?: { readonly name: string } };

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Handover-rollout';
const TOKEN_PLACEHOLDER = 'LOCAL_TASK_TOKEN';

/**
 * The synthesized state machine, executed in-process by aws-local-stepfunctions, with every Task
 * state wired to the real handler code the way Step Functions would call it: a function ARN as
 * Resource gets the payload and returns the result; `lambda:invoke` gets `{ FunctionName, Payload }`
 * and returns `{ StatusCode, Payload }`; `lambda:invoke.waitForTaskToken` mints a task token (the
 * emulator's), invokes the function with it and waits for SendTaskSuccess / SendTaskFailure.
 * It also answers DescribeExecution and StopExecution for the executions it runs (the rollout lock).
 */
export class LocalStepFunctions {
  readonly #machine: StateMachine;
  readonly #options: LocalStepFunctionsOptions;
  readonly #definition: AslDefinition;
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #aborts = new Map<string, () => void>();
  #sequence = 0;

  constructor(definition: AslDefinition, options: LocalStepFunctionsOptions) {
    this.#definition = LocalStepFunctions.#forRunner(definition);
    this.#options = options;
    this.#machine = new StateMachine(this.#definition as never, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
  }

  /** Every execution so far, by ARN. */
  get executions(): readonly ExecutionRecord[] {
    return [...this.#executions.values()];
  }

  /** The ARN an execution of this name gets. */
  static executionArn(name: string): string {
    return `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /**
   * Starts an execution; `done` settles when it ends (never rejects: read `status`). `waitMs`
   * overrides the runner's Wait state pauses for this execution only.
   */
  start(
    input: unknown,
    name = `rollout-${++this.#sequence}-${Date.now()}`,
    waitMs: Readonly<Record<string, number>> = {},
  ): {
    arn: string;
    record: ExecutionRecord;
    done: Promise<ExecutionRecord>;
  } {
    const arn = LocalStepFunctions.executionArn(name);
    const record: ExecutionRecord = { name, arn, status: 'RUNNING', transitions: 0, states: [] };
    this.#executions.set(arn, record);
    const execution = this.#machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.#taskHandlers() as never,
        waitTimeOverrides: this.#waitOverrides(waitMs),
        retryIntervalOverrides: this.#retryOverrides(),
      },
      context: { Execution: { Id: arn, Name: name }, Task: { Token: TOKEN_PLACEHOLDER } },
    });
    const counted = (async () => {
      for await (const event of execution.eventLogs as AsyncIterable<EventLog>) {
        if (event.type === 'StateEntered') {
          record.transitions += 1;
          record.states.push(event.state?.name ?? '');
          this.#options.onStateEntered?.(record, event.state?.name ?? '');
        } else if (event.type === 'StateRetried') {
          record.transitions += 1;
        }
      }
    })();
    this.#aborts.set(arn, () => execution.abort());
    const done = execution.result.then(
      (output: unknown) => {
        record.status = 'SUCCEEDED';
        record.output = output;
      },
      (error: unknown) => {
        // StopExecution set ABORTED, its error and cause already.
        if (record.status === 'ABORTED') return;
        const cause = (error as { cause?: unknown }).cause;
        record.status = 'FAILED';
        record.error = cause instanceof Error ? cause.name : String(error);
        record.cause = cause instanceof Error ? cause.message : undefined;
      },
    );
    return { arn, record, done: Promise.all([done, counted]).then(() => record) };
  }

  /**
   * DescribeExecution and StopExecution over the executions this runner knows (the rollout lock's
   * calls). StopExecution aborts a running execution (no further state starts; a task already
   * running finishes, as in Step Functions) and records its `error` and `cause`.
   */
  readonly sfn: Pick<SFNClient, 'send'> = {
    send: (async (command: unknown) => {
      if (!(command instanceof DescribeExecutionCommand) && !(command instanceof StopExecutionCommand)) {
        throw new Error('the local Step Functions answers DescribeExecution and StopExecution only');
      }
      const record = this.#executions.get(command.input.executionArn ?? '');
      if (record === undefined) {
        const error = new Error(`Execution Does Not Exist: '${command.input.executionArn}'`);
        error.name = 'ExecutionDoesNotExist';
        throw error;
      }
      if (command instanceof StopExecutionCommand) {
        if (record.status === 'RUNNING') {
          record.status = 'ABORTED';
          if (command.input.error !== undefined) record.error = command.input.error;
          if (command.input.cause !== undefined) record.cause = command.input.cause;
          this.#aborts.get(record.arn)?.();
        }
        return { stopDate: new Date() };
      }
      return { executionArn: record.arn, status: record.status };
    }) as Pick<SFNClient, 'send'>['send'],
  };

  /**
   * Step Functions evaluates `TimeoutSecondsPath` against the state input; aws-local-stepfunctions
   * 3.0.0 evaluates it against the input after `Parameters`. For a `lambda:invoke` task whose
   * payload copies the field (`"consumer.$": "$.consumer"`), the copy is at `$.Payload.consumer`:
   * point the runner there, so the deployed definition keeps the path Step Functions reads.
   */
  static #forRunner(definition: AslDefinition): AslDefinition {
    const copy = structuredClone(definition) as AslDefinition;
    for (const [, state] of allStates(copy.States)) {
      const path = state.TimeoutSecondsPath;
      const payload = (state.Parameters as { Payload?: Record<string, unknown> } | undefined)?.Payload;
      if (typeof path !== 'string' || payload === undefined) continue;
      const key = /^\$\.([^.]+)/.exec(path)?.[1];
      if (key !== undefined && payload[`${key}.$`] === `$.${key}`) {
        (state as Record<string, unknown>).TimeoutSecondsPath = `$.Payload.${path.slice(2)}`;
      }
    }
    return copy;
  }

  #invoke(functionArn: string, payload: unknown): Promise<unknown> {
    const fn = this.#options.functions.get(functionArn);
    if (fn === undefined) throw new Error(`no local function for ${functionArn}`);
    return fn(payload);
  }

  #taskHandlers(): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(this.#definition.States)) {
      if (state.Type !== 'Task' || state.Resource === undefined) continue;
      const resource = state.Resource;
      if (resource === LAMBDA_INVOKE) {
        handlers[name] = async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
          return { StatusCode: 200, Payload: await this.#invoke(FunctionName, Payload) };
        };
      } else if (resource === `${LAMBDA_INVOKE}.waitForTaskToken`) {
        handlers[name] = async (input) => {
          const { FunctionName, Payload } = input as {
            FunctionName: string;
            Payload: { taskToken?: string; consumer?: { timeoutSeconds?: number } };
          };
          const token = this.#options.tokens.createTaskToken();
          const timeoutMs = (Payload.consumer?.timeoutSeconds ?? 60) * 1000;
          const outcome = this.#options.tokens.waitForTaskToken(token, timeoutMs);
          // Keep a rejection handled while the function runs; it is awaited below.
          outcome.catch(() => undefined);
          await this.#invoke(FunctionName, { ...Payload, taskToken: token });
          return outcome;
        };
      } else if (resource.startsWith('arn:aws:lambda:')) {
        handlers[name] = (input) => this.#invoke(resource, input);
      } else {
        throw new Error(`state ${name}: no local integration for ${resource}`);
      }
    }
    return handlers;
  }

  #waitOverrides(waitMs: Readonly<Record<string, number>>): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const [name, state] of allStates(this.#definition.States)) {
      if (state.Type === 'Wait') overrides[name] = waitMs[name] ?? this.#options.waitMs?.[name] ?? 0;
    }
    return overrides;
  }

  #retryOverrides(): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const [name, state] of allStates(this.#definition.States)) {
      if (Array.isArray(state.Retry)) overrides[name] = 0;
    }
    return overrides;
  }
}
