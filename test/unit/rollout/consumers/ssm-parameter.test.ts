import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  LabelParameterVersionCommand,
  ParameterNotFound,
  ParameterVersionLabelLimitExceeded,
  PutParameterCommand,
  SSMClient,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSsmParameterAdapter, versionLabel } from '../../../../lambdas/rollout/consumers';
import type { SsmParameterConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import {
  anUpdate,
  fakeClock,
  NEW_VERSION,
  OLD_VERSION,
  recordingLogger,
  rejectionOf,
  SECRET_ARN,
} from './helpers';

captureProcessOutput();

const NEW_VALUE = '{"username":"app","password":"n3w-Pa55word-for-ssm-mirror-tests"}';
const OLD_VALUE = '{"username":"app","password":"0ld-Pa55word-for-ssm-mirror-tests"}';
recordSecretMaterial(
  NEW_VALUE,
  OLD_VALUE,
  'n3w-Pa55word-for-ssm-mirror-tests',
  '0ld-Pa55word-for-ssm-mirror-tests',
);

const consumer: SsmParameterConsumer = {
  kind: 'ssm-parameter',
  name: 'legacy-config',
  parameterName: '/legacy/db',
  kmsKeyId: 'alias/legacy',
};
const meta = { $metadata: {} };

interface StoredVersion {
  version: number;
  value: string;
  type: string;
  labels: string[];
}

const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);

/** A stateful parameter store behind the SDK boundary; `effects` records every write in order. */
function fakeStore() {
  const state = {
    versions: [] as StoredVersion[],
    effects: [] as string[],
    beforePut: () => {},
    beforeLabel: () => {},
  };
  ssm.on(GetParameterCommand).callsFake((input) => {
    const latest = state.versions.at(-1);
    if (latest === undefined) throw new ParameterNotFound({ message: 'not found', ...meta });
    return {
      Parameter: {
        Name: input.Name,
        Type: latest.type,
        Value: input.WithDecryption ? latest.value : 'AQICAHh...ciphertext',
        Version: latest.version,
      },
    };
  });
  ssm.on(PutParameterCommand).callsFake((input) => {
    state.beforePut();
    const version = (state.versions.at(-1)?.version ?? 0) + 1;
    state.versions.push({ version, value: input.Value ?? '', type: input.Type ?? 'String', labels: [] });
    state.effects.push(`put:${version}`);
    return { Version: version, Tier: 'Standard' };
  });
  ssm.on(LabelParameterVersionCommand).callsFake((input) => {
    state.beforeLabel();
    for (const v of state.versions) v.labels = v.labels.filter((l) => !input.Labels?.includes(l));
    const target = state.versions.find((v) => v.version === input.ParameterVersion);
    target?.labels.push(...(input.Labels ?? []));
    state.effects.push(`label:${input.ParameterVersion}:${input.Labels?.join(',')}`);
    return { InvalidLabels: [], ParameterVersion: input.ParameterVersion };
  });
  return state;
}

let store: ReturnType<typeof fakeStore>;

function adapter(logger = recordingLogger()) {
  return createSsmParameterAdapter({
    ssm: new SSMClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    clock: fakeClock(),
    logger,
  });
}

beforeEach(() => {
  ssm.reset();
  secrets.reset();
  store = fakeStore();
  secrets.on(GetSecretValueCommand).callsFake((input) => {
    if (input.VersionId === NEW_VERSION) return { SecretString: NEW_VALUE, VersionId: NEW_VERSION };
    if (input.VersionId === OLD_VERSION) return { SecretString: OLD_VALUE, VersionId: OLD_VERSION };
    throw new ResourceNotFoundException({ message: 'no such version', ...meta });
  });
});

afterEach(() => {
  ssm.reset();
  secrets.reset();
});

describe('Function: createSsmParameterAdapter', () => {
  describe('update', () => {
    it('writes the value of the rollout version as a SecureString with the KMS key, then labels it', async () => {
      store.versions.push({ version: 1, value: OLD_VALUE, type: 'SecureString', labels: [] });

      const result = await adapter().update(consumer, anUpdate());

      expect(result).toMatchObject({ kind: 'ssm-parameter', outcome: 'updated', consumer: 'legacy-config' });
      expect(result.detail).toContain(`parameter version 2, labelled ${versionLabel(NEW_VERSION)}`);
      expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({
        Name: '/legacy/db',
        Value: NEW_VALUE,
        Type: 'SecureString',
        Overwrite: true,
        KeyId: 'alias/legacy',
      });
      expect(store.effects).toEqual(['put:2', `label:2:handover-${NEW_VERSION}`]);
      expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ARN,
        VersionId: NEW_VERSION,
      });
    });

    it('creates the parameter when it does not exist, with the AWS managed key by default', async () => {
      const { kmsKeyId: _, ...withoutKey } = consumer;

      const result = await adapter().update(withoutKey, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input.KeyId).toBeUndefined();
      expect(store.versions).toHaveLength(1);
    });

    it('reports already-current without writing when the parameter holds the value', async () => {
      store.versions.push({ version: 7, value: NEW_VALUE, type: 'SecureString', labels: [] });

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('already-current');
      expect(result.detail).toContain('version 7 already holds');
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
      expect(store.effects).toEqual([`label:7:handover-${NEW_VERSION}`]);
    });

    it('reads the parameter with decryption to compare values', async () => {
      store.versions.push({ version: 1, value: NEW_VALUE, type: 'SecureString', labels: [] });

      await adapter().update(consumer, anUpdate());

      expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
        Name: '/legacy/db',
        WithDecryption: true,
      });
    });

    it.each(['String', 'StringList'])('refuses to write the secret into a %s parameter', async (type) => {
      store.versions.push({ version: 1, value: 'plain', type, labels: [] });

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain(`is a ${type} parameter`);
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });

    it('fails without writing when the secret version cannot be read', async () => {
      const error = await rejectionOf(adapter().update(consumer, anUpdate({ versionId: 'f'.repeat(36) })));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('ResourceNotFoundException');
      expect(store.effects).toEqual([]);
    });

    it('fails without writing when the secret is binary', async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error.message).toContain('has no SecretString');
      expect(store.effects).toEqual([]);
    });

    it('redacts the value when SSM quotes it in a validation error', async () => {
      store.beforePut = () => {
        throw new ValidationException({
          message: `1 validation error detected: Value '${NEW_VALUE}' at 'value' failed to satisfy constraint`,
          ...meta,
        });
      };
      const logger = recordingLogger();

      const error = await rejectionOf(adapter(logger).update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('ValidationException');
      expect(error.message).not.toContain('n3w-Pa55word');
      expect(logger.text()).not.toContain('n3w-Pa55word');
    });

    it('reports a refused label in the detail and a warning, without failing', async () => {
      store.beforeLabel = () => {
        throw new ParameterVersionLabelLimitExceeded({ message: 'ten labels already', ...meta });
      };
      const logger = recordingLogger();

      const result = await adapter(logger).update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(result.detail).toContain('not labelled');
      expect(result.detail).toContain('ParameterVersionLabelLimitExceeded');
      expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
    });

    it('never logs the value', async () => {
      const logger = recordingLogger();

      await adapter(logger).update(consumer, anUpdate());
      await adapter(logger).verify(consumer, anUpdate());

      expect(logger.lines.length).toBeGreaterThan(0);
      expect(logger.text()).not.toContain('Pa55word');
    });
  });

  describe('re-run after a failure', () => {
    it('writes once when re-run after the write failed', async () => {
      let fail = true;
      store.beforePut = () => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
      };

      await rejectionOf(adapter().update(consumer, anUpdate()));
      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(store.effects).toEqual(['put:1', `label:1:handover-${NEW_VERSION}`]);
    });

    it('does not write again when re-run after the write succeeded and the run failed later', async () => {
      let fail = true;
      store.beforeLabel = () => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
      };

      const first = await adapter().update(consumer, anUpdate());
      const second = await adapter().update(consumer, anUpdate());

      expect(first.detail).toContain('not labelled');
      expect(second.outcome).toBe('already-current');
      expect(store.effects).toEqual(['put:1', `label:1:handover-${NEW_VERSION}`]);
      expect(store.versions[0]?.labels).toEqual([`handover-${NEW_VERSION}`]);
    });

    it('writes the old value again for a rollback to the old version', async () => {
      await adapter().update(consumer, anUpdate());

      const result = await adapter().update(consumer, anUpdate({ versionId: OLD_VERSION }));

      expect(result.outcome).toBe('updated');
      expect(store.versions.at(-1)?.value).toBe(OLD_VALUE);
      expect(store.versions.at(-1)?.labels).toEqual([`handover-${OLD_VERSION}`]);
    });
  });

  describe('verify', () => {
    it('verifies a parameter holding the value', async () => {
      store.versions.push({ version: 3, value: NEW_VALUE, type: 'SecureString', labels: [] });

      const result = await adapter().verify(consumer, anUpdate());

      expect(result).toMatchObject({ outcome: 'verified' });
      expect(result.detail).toBe(`parameter /legacy/db version 3 holds secret version ${NEW_VERSION}`);
    });

    it('fails when the parameter holds another value', async () => {
      store.versions.push({ version: 3, value: OLD_VALUE, type: 'SecureString', labels: [] });

      const error = await rejectionOf(adapter().verify(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain(`does not hold secret version ${NEW_VERSION}`);
      expect(error.message).not.toContain('Pa55word');
    });

    it('fails when the parameter does not exist', async () => {
      const error = await rejectionOf(adapter().verify(consumer, anUpdate()));

      expect(error.message).toContain('does not exist');
    });
  });

  describe('Function: versionLabel', () => {
    it('prefixes the version id so the label never starts with a digit', () => {
      expect(versionLabel('3f1c')).toBe('handover-3f1c');
    });
  });
});
