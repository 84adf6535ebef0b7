import {
  InvalidOutput,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, TaskFailedError } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws } from './harness';

/**
 * EMULATOR ONLY: a task token exists only inside a running Step Functions execution; the emulator
 * mints one (`stepFunctions.createTaskToken`) and waits on it as the local workflow runner does.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: SFNClient;

beforeAll(async () => {
  aws = await startTestAws(['sfn']);
  emulator = aws.requireEmulator();
  client = new SFNClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Emulator: Step Functions task tokens', () => {
  it('resolves waitForTaskToken with the parsed output of SendTaskSuccess', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    const waiting = emulator.stepFunctions.waitForTaskToken(token, 5000);

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"acknowledged":true}' }));

    await expect(waiting).resolves.toEqual({ acknowledged: true });
    expect(emulator.stepFunctions.taskStatus(token)).toBe('succeeded');
  });

  it('delivers a success sent before the runner started waiting', async () => {
    const token = emulator.stepFunctions.createTaskToken();

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '[1]' }));

    await expect(emulator.stepFunctions.waitForTaskToken(token, 5000)).resolves.toEqual([1]);
  });

  it('rejects waitForTaskToken with the error and cause of SendTaskFailure', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    const waiting = emulator.stepFunctions.waitForTaskToken(token, 5000);

    await client.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: 'Handover.ConsumerRejected',
        cause: 'pipeline red',
      }),
    );
    const error = await errorOf(waiting);

    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.name).toBe('Handover.ConsumerRejected');
    expect(error.message).toBe('pipeline red');
  });

  it('names a failure without error States.TaskFailed', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    const waiting = emulator.stepFunctions.waitForTaskToken(token, 5000);

    await client.send(new SendTaskFailureCommand({ taskToken: token }));

    expect((await errorOf(waiting)).name).toBe('States.TaskFailed');
  });

  it('times out with States.Timeout, after which SendTaskSuccess is TaskTimedOut', async () => {
    const token = emulator.stepFunctions.createTaskToken();

    const error = await errorOf(emulator.stepFunctions.waitForTaskToken(token, 50));
    const late = await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));

    expect(error.name).toBe('States.Timeout');
    expect(late).toBeInstanceOf(TaskTimedOut);
    expect(emulator.stepFunctions.taskStatus(token)).toBe('timed-out');
  });

  it('answers TaskTimedOut to a second SendTaskSuccess on a completed task', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    const error = await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));

    expect(error).toBeInstanceOf(TaskTimedOut);
  });

  it('answers TaskDoesNotExist to an unknown token', async () => {
    const error = await errorOf(
      client.send(new SendTaskSuccessCommand({ taskToken: 'bm90LWEtdG9rZW4=', output: '{}' })),
    );

    expect(error).toBeInstanceOf(TaskDoesNotExist);
  });

  it('answers InvalidOutput to output that is not JSON, and leaves the task open', async () => {
    const token = emulator.stepFunctions.createTaskToken();

    const error = await errorOf(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' })),
    );

    expect(error).toBeInstanceOf(InvalidOutput);
    expect(emulator.stepFunctions.taskStatus(token)).toBe('open');
  });

  it('keeps a task alive with heartbeats and fails it with States.HeartbeatTimeout without them', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    const waiting = emulator.stepFunctions.waitForTaskToken(token, 5000, { heartbeatMs: 150 });

    for (let i = 0; i < 3; i += 1) {
      await sleep(80);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    expect(emulator.stepFunctions.taskStatus(token)).toBe('open');
    const error = await errorOf(waiting);

    expect(error.name).toBe('States.HeartbeatTimeout');
  });

  it('registers a token it did not mint when the runner waits on it', async () => {
    const token = 'external-token-from-the-workflow-runner';
    const waiting = emulator.stepFunctions.waitForTaskToken(token, 5000);

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '"ok"' }));

    await expect(waiting).resolves.toBe('ok');
  });

  it('refuses a second wait on the same token', () => {
    const token = emulator.stepFunctions.createTaskToken();
    void emulator.stepFunctions.waitForTaskToken(token, 10).catch(() => undefined);

    expect(() => emulator.stepFunctions.waitForTaskToken(token, 10)).toThrow('already waited on');
  });

  it('never records the token in the call log', async () => {
    const token = emulator.stepFunctions.createTaskToken();
    emulator.resetCalls();

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    expect(emulator.calls.map(({ service, operation }) => ({ service, operation }))).toEqual([
      { service: 'states', operation: 'SendTaskSuccess' },
    ]);
    expect(JSON.stringify(emulator.calls)).not.toContain(token);
  });
});
