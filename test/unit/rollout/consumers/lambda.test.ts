import {
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConsumerNotReadyError,
  createLambdaAdapter,
  DEFAULT_VERSION_VARIABLE,
  type LambdaAdapterOptions,
} from '../../../../lambdas/rollout/consumers';
import type { LambdaConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import {
  anUpdate,
  type FakeClock,
  fakeClock,
  NEW_VERSION,
  OLD_VERSION,
  recordingLogger,
  rejectionOf,
} from './helpers';

captureProcessOutput();

const consumer: LambdaConsumer = { kind: 'lambda', name: 'billing-api', functionName: 'billing-api' };
/** An unrelated variable holding a secret: it must survive every write and never be logged. */
const OTHER_SECRET = 'sk_live_other-variable-secret-4f9a';
recordSecretMaterial(OTHER_SECRET);

const meta = { $metadata: {} };

/**
 * A stateful Lambda behind the SDK boundary: GetFunctionConfiguration / UpdateFunctionConfiguration
 * with RevisionId checks, whole-map replacement of variables, and `InProgress` for a number of reads
 * after each update. Every side effect is recorded in `effects`.
 */
function fakeLambda() {
  const state = {
    variables: {
      [DEFAULT_VERSION_VARIABLE]: OLD_VERSION,
      STRIPE_KEY: OTHER_SECRET,
      TABLE: 'bills',
    } as Record<string, string>,
    revision: 1,
    status: 'Successful' as 'Successful' | 'Failed' | 'InProgress',
    inProgressReads: 0,
    readsPerUpdate: 1,
    failNextUpdate: false,
    environmentError: false,
    effects: [] as string[],
    /** Called before each GetFunctionConfiguration: throw to fail it. */
    beforeRead: (_read: number) => {},
    /** Called before each UpdateFunctionConfiguration: throw to fail it. */
    beforeUpdate: (_update: number) => {},
    reads: 0,
    updates: 0,
  };
  const configuration = (): FunctionConfiguration => ({
    FunctionName: consumer.functionName,
    RevisionId: `rev-${state.revision}`,
    State: 'Active',
    LastUpdateStatus: state.status,
    ...(state.status === 'Failed'
      ? { LastUpdateStatusReasonCode: 'EniLimitExceeded', LastUpdateStatusReason: 'ENI limit reached' }
      : {}),
    Environment: state.environmentError
      ? { Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'Lambda was unable to decrypt' } }
      : { Variables: { ...state.variables } },
  });
  const mock = mockClient(LambdaClient);
  mock.on(GetFunctionConfigurationCommand).callsFake(() => {
    state.reads += 1;
    state.beforeRead(state.reads);
    if (state.status === 'InProgress') {
      if (state.inProgressReads > 0) state.inProgressReads -= 1;
      else state.status = state.failNextUpdate ? 'Failed' : 'Successful';
    }
    return configuration();
  });
  mock.on(UpdateFunctionConfigurationCommand).callsFake((input) => {
    state.updates += 1;
    state.beforeUpdate(state.updates);
    if (state.status === 'InProgress') {
      throw new ResourceConflictException({ message: 'An update is in progress', Type: 'User', ...meta });
    }
    if (input.RevisionId !== undefined && input.RevisionId !== `rev-${state.revision}`) {
      throw new PreconditionFailedException({ message: 'The Revision Id provided does not match', ...meta });
    }
    state.variables = { ...input.Environment?.Variables };
    state.revision += 1;
    state.status = 'InProgress';
    state.inProgressReads = state.readsPerUpdate;
    state.effects.push(`update:${state.variables[DEFAULT_VERSION_VARIABLE] ?? 'unset'}`);
    return configuration();
  });
  return { mock, state };
}

let lambda: ReturnType<typeof fakeLambda>;
let clock: FakeClock;

function adapter(options: LambdaAdapterOptions = {}, logger = recordingLogger()) {
  return createLambdaAdapter({
    lambda: new LambdaClient({ region: 'us-east-1' }),
    clock,
    logger,
    options: { pollIntervalMs: 100, updateTimeoutMs: 10_000, conflictBackoffMs: 1000, ...options },
  });
}

beforeEach(() => {
  lambda = fakeLambda();
  clock = fakeClock();
});

afterEach(() => {
  lambda.mock.restore();
});

describe('Function: createLambdaAdapter', () => {
  describe('update', () => {
    it('sets the version variable and keeps every other variable', async () => {
      const result = await adapter().update(consumer, anUpdate());

      expect(result).toMatchObject({ consumer: 'billing-api', kind: 'lambda', outcome: 'updated' });
      expect(result.detail).toContain(`HANDOVER_SECRET_VERSION=${NEW_VERSION}`);
      expect(lambda.state.variables).toEqual({
        HANDOVER_SECRET_VERSION: NEW_VERSION,
        STRIPE_KEY: OTHER_SECRET,
        TABLE: 'bills',
      });
    });

    it('writes with the RevisionId it read, so a concurrent change cannot be lost', async () => {
      await adapter().update(consumer, anUpdate());

      const [call] = lambda.mock.commandCalls(UpdateFunctionConfigurationCommand);
      expect(call?.args[0].input.RevisionId).toBe('rev-1');
    });

    it('waits until LastUpdateStatus is Successful before returning', async () => {
      lambda.state.readsPerUpdate = 3;

      await adapter().update(consumer, anUpdate());

      expect(lambda.state.status).toBe('Successful');
      expect(clock.sleeps).toEqual([100, 100, 100]);
    });

    it('uses the configured environment variable name', async () => {
      await adapter().update({ ...consumer, environmentVariable: 'DB_SECRET_VERSION' }, anUpdate());

      expect(lambda.state.variables.DB_SECRET_VERSION).toBe(NEW_VERSION);
      expect(lambda.state.variables.HANDOVER_SECRET_VERSION).toBe(OLD_VERSION);
    });

    it('reports already-current and writes nothing when the function is on the version', async () => {
      lambda.state.variables.HANDOVER_SECRET_VERSION = NEW_VERSION;

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('already-current');
      expect(lambda.mock.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0);
    });

    it('waits for an update in progress before reading the variables it writes back', async () => {
      lambda.state.status = 'InProgress';
      lambda.state.inProgressReads = 2;

      await adapter().update(consumer, anUpdate());

      expect(lambda.state.effects).toEqual([`update:${NEW_VERSION}`]);
      expect(lambda.mock.commandCalls(UpdateFunctionConfigurationCommand)[0]?.args[0].input.RevisionId).toBe(
        'rev-1',
      );
    });

    it('retries ResourceConflictException with exponential backoff', async () => {
      lambda.state.beforeUpdate = (n) => {
        if (n <= 2) throw new ResourceConflictException({ message: 'busy', Type: 'User', ...meta });
      };

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000]);
      expect(lambda.state.effects).toEqual([`update:${NEW_VERSION}`]);
    });

    it('re-reads and keeps a variable added concurrently when the RevisionId no longer matches', async () => {
      lambda.state.beforeUpdate = (n) => {
        if (n === 1) {
          // Someone else deploys between our read and our write.
          lambda.state.variables = { ...lambda.state.variables, FEATURE_FLAG: 'on' };
          lambda.state.revision += 1;
        }
      };

      await adapter().update(consumer, anUpdate());

      expect(lambda.state.variables).toMatchObject({
        FEATURE_FLAG: 'on',
        HANDOVER_SECRET_VERSION: NEW_VERSION,
      });
      expect(lambda.mock.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(2);
    });

    it('fails with a ConsumerError after the configured number of conflicts', async () => {
      lambda.state.beforeUpdate = () => {
        throw new ResourceConflictException({ message: 'busy', Type: 'User', ...meta });
      };

      const error = await rejectionOf(adapter({ conflictAttempts: 3 }).update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect((error as ConsumerError).consumer).toBe('billing-api');
      expect(error.message).toContain('3 attempts');
      expect(error.message).toContain('ResourceConflictException');
    });

    it('fails with Lambda reason when the update ends Failed', async () => {
      lambda.state.failNextUpdate = true;

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('EniLimitExceeded: ENI limit reached');
      expect(error.message).toContain('billing-api');
    });

    it('refuses to write when Lambda cannot show the variables (Environment.Error)', async () => {
      lambda.state.environmentError = true;

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('KMSAccessDeniedException');
      expect(error.message).toContain('refusing to write');
      expect(lambda.mock.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0);
    });

    it('throws ConsumerNotReadyError when the update is still in progress at the deadline', async () => {
      lambda.state.readsPerUpdate = 1000;

      const error = await rejectionOf(adapter({ updateTimeoutMs: 1000 }).update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerNotReadyError);
      expect(error.name).toBe('ConsumerNotReadyError');
      expect(error.message).toContain('LastUpdateStatus InProgress');
    });

    it('fails with a ConsumerError when the function does not exist', async () => {
      lambda.state.beforeRead = () => {
        throw new ResourceNotFoundException({
          message: 'Function not found: billing-api',
          Type: 'User',
          ...meta,
        });
      };

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('ResourceNotFoundException');
    });

    it('fails when another deployment overwrites the variable while the update completes', async () => {
      lambda.state.beforeRead = (n) => {
        if (n === 2) lambda.state.variables = { TABLE: 'bills' };
      };

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('another deployment overwrote it');
    });

    it('redacts variable values that Lambda quotes in an error message', async () => {
      lambda.state.beforeUpdate = () => {
        throw new InvalidParameterValueException({
          message: `exceeded the 4KB limit. String measured: {"STRIPE_KEY":"${OTHER_SECRET}"}`,
          Type: 'User',
          ...meta,
        });
      };
      const logger = recordingLogger();

      const error = await rejectionOf(adapter({}, logger).update(consumer, anUpdate()));

      expect(error.message).toContain('InvalidParameterValueException');
      expect(error.message).not.toContain(OTHER_SECRET);
      expect(logger.text()).not.toContain(OTHER_SECRET);
    });

    it('logs one line per update with the consumer and the outcome, and no variable value', async () => {
      const logger = recordingLogger();

      await adapter({}, logger).update(consumer, anUpdate());

      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]?.fields).toMatchObject({
        consumer: 'billing-api',
        consumer_kind: 'lambda',
        outcome: 'updated',
        version_id: NEW_VERSION,
      });
      expect(logger.text()).not.toContain(OTHER_SECRET);
    });
  });

  describe('re-run after a failure', () => {
    it('succeeds on re-run after the first read failed, with a single write', async () => {
      lambda.state.beforeRead = (n) => {
        if (n === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      };

      await rejectionOf(adapter().update(consumer, anUpdate()));
      expect(lambda.state.effects).toEqual([]);
      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(lambda.state.effects).toEqual([`update:${NEW_VERSION}`]);
    });

    it('succeeds on re-run after the write failed', async () => {
      lambda.state.beforeUpdate = (n) => {
        if (n === 1) throw Object.assign(new Error('connection reset'), { name: 'NetworkingError' });
      };

      await rejectionOf(adapter().update(consumer, anUpdate()));
      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(lambda.state.effects).toEqual([`update:${NEW_VERSION}`]);
    });

    it('does not write again on re-run after failing once the write was done', async () => {
      lambda.state.beforeRead = (n) => {
        if (n === 2) throw Object.assign(new Error('connection reset'), { name: 'NetworkingError' });
      };

      await rejectionOf(adapter().update(consumer, anUpdate()));
      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('already-current');
      expect(lambda.state.effects).toEqual([`update:${NEW_VERSION}`]);
      expect(lambda.state.variables.STRIPE_KEY).toBe(OTHER_SECRET);
    });

    it('does not write again on re-run after timing out on its own update', async () => {
      lambda.state.readsPerUpdate = 1000;
      await rejectionOf(adapter({ updateTimeoutMs: 500 }).update(consumer, anUpdate()));
      lambda.state.inProgressReads = 0;

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('already-current');
      expect(lambda.state.effects).toHaveLength(1);
    });

    it('writes again when the function is on the version but its last update Failed', async () => {
      lambda.state.failNextUpdate = true;
      await rejectionOf(adapter().update(consumer, anUpdate()));
      lambda.state.failNextUpdate = false;

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(lambda.state.effects).toHaveLength(2);
    });
  });

  describe('verify', () => {
    it('verifies a function on the version with a Successful last update', async () => {
      lambda.state.variables.HANDOVER_SECRET_VERSION = NEW_VERSION;

      const result = await adapter().verify(consumer, anUpdate());

      expect(result).toMatchObject({ outcome: 'verified', kind: 'lambda' });
      expect(lambda.mock.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0);
    });

    it('waits for an update in progress before verifying', async () => {
      lambda.state.variables.HANDOVER_SECRET_VERSION = NEW_VERSION;
      lambda.state.status = 'InProgress';
      lambda.state.inProgressReads = 2;

      const result = await adapter().verify(consumer, anUpdate());

      expect(result.outcome).toBe('verified');
      expect(clock.sleeps).toHaveLength(2);
    });

    it('fails when the variable is at another version', async () => {
      const error = await rejectionOf(adapter().verify(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain(`is ${OLD_VERSION}, expected ${NEW_VERSION}`);
    });

    it('fails when the last update Failed', async () => {
      lambda.state.variables.HANDOVER_SECRET_VERSION = NEW_VERSION;
      lambda.state.status = 'Failed';

      const error = await rejectionOf(adapter().verify(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('EniLimitExceeded');
    });
  });

  describe('options', () => {
    it.each([
      ['pollIntervalMs', { pollIntervalMs: -1 }],
      ['conflictAttempts', { conflictAttempts: 0 }],
      ['updateTimeoutMs', { updateTimeoutMs: Number.NaN }],
    ])('rejects an invalid %s', (name, options) => {
      expect(() => adapter(options)).toThrow(name);
    });
  });
});
