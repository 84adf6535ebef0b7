import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  ParameterAlreadyExists,
  ParameterMaxVersionLimitExceeded,
  ParameterNotFound,
  ParameterVersionLabelLimitExceeded,
  ParameterVersionNotFound,
  PutParameterCommand,
  SSMClient,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { captureProcessOutput, recordSecretMaterial } from '../../support/log-scan';
import { readParameter } from '../../support/ssm-parameters';
import { errorOf, startTestAws } from './harness';

captureProcessOutput();

const VALUE = 'ssm-emulator-test-value-Zq8x!';
recordSecretMaterial(VALUE);

/** SSM Parameter Store over AWS JSON 1.1, against the emulator or any given endpoint. */
let aws: AwsWorld;
let client: SSMClient;
let counter = 0;
let name: string;

beforeAll(async () => {
  aws = await startTestAws(['ssm']);
  client = new SSMClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(() => {
  counter += 1;
  name = `/test/param-${RUN_ID}-${counter}`;
});

const put = (value: string, extra: Partial<ConstructorParameters<typeof PutParameterCommand>[0]> = {}) =>
  client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', ...extra }));

describe('SSM Parameter Store', () => {
  describe('PutParameter', () => {
    it('creates version 1, then a new version on every overwrite', async () => {
      const first = await put(VALUE);
      const second = await put(`${VALUE}-2`, { Overwrite: true });

      expect(first).toMatchObject({ Version: 1, Tier: 'Standard' });
      expect(second.Version).toBe(2);
    });

    it('fails with ParameterAlreadyExists without Overwrite and keeps the value', async () => {
      await put(VALUE);

      const error = await errorOf(put('other'));

      expect(error).toBeInstanceOf(ParameterAlreadyExists);
      expect((await readParameter(client, name))?.value).toBe(VALUE);
    });

    it('rejects Tags together with Overwrite', async () => {
      const error = await errorOf(put(VALUE, { Overwrite: true, Tags: [{ Key: 'a', Value: 'b' }] }));

      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toContain("tags and overwrite can't be used together");
    });

    it('requires a type on creation and keeps the type on overwrite', async () => {
      const missing = await errorOf(client.send(new PutParameterCommand({ Name: name, Value: 'x' })));
      await put(VALUE, { KeyId: 'alias/custom' });
      await client.send(new PutParameterCommand({ Name: name, Value: 'y', Overwrite: true }));

      expect(missing).toBeInstanceOf(ValidationException);
      expect(await readParameter(client, name)).toMatchObject({
        type: 'SecureString',
        keyId: 'alias/custom',
        version: 2,
      });
    });

    it('uses the AWS managed key for a SecureString without KeyId', async () => {
      await put(VALUE);

      expect((await readParameter(client, name))?.keyId).toBe('alias/aws/ssm');
    });

    it('rejects a KeyId on a String parameter', async () => {
      const error = await errorOf(put(VALUE, { Type: 'String', KeyId: 'alias/x' }));

      expect(error).toBeInstanceOf(ValidationException);
    });

    it.each([
      ['a reserved prefix', '/aws/thing'],
      ['a relative hierarchical name', 'a/b'],
      ['invalid characters', '/a b'],
    ])('rejects a name with %s', async (_case, bad) => {
      const error = await errorOf(
        client.send(new PutParameterCommand({ Name: bad, Value: 'x', Type: 'String' })),
      );

      expect(error).toBeInstanceOf(ValidationException);
    });

    it('rejects a standard-tier value above 4096 characters', async () => {
      const error = await errorOf(put('x'.repeat(4097)));

      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toContain('maximum parameter value of 4096 characters');
    });

    it('drops the oldest version after 100, unless it has a label', async () => {
      for (let i = 0; i < 100; i += 1) await put(`v${i}`, { Type: 'String', Overwrite: true });
      await client.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['keep'] }),
      );

      const blocked = await errorOf(put('v100', { Type: 'String', Overwrite: true }));
      await client.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 100, Labels: ['keep'] }),
      );
      const accepted = await put('v100', { Type: 'String', Overwrite: true });
      const oldest = await errorOf(client.send(new GetParameterCommand({ Name: `${name}:1` })));

      expect(blocked).toBeInstanceOf(ParameterMaxVersionLimitExceeded);
      expect(accepted.Version).toBe(101);
      expect(oldest).toBeInstanceOf(ParameterVersionNotFound);
    });
  });

  describe('GetParameter', () => {
    it('returns a SecureString decrypted only WithDecryption', async () => {
      await put(VALUE);

      const encrypted = await client.send(new GetParameterCommand({ Name: name }));
      const decrypted = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));

      expect(encrypted.Parameter?.Value).not.toBe(VALUE);
      expect(decrypted.Parameter).toMatchObject({
        Name: name,
        Type: 'SecureString',
        Value: VALUE,
        Version: 1,
        ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`,
        DataType: 'text',
      });
      expect(decrypted.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    });

    it('returns a String as is', async () => {
      await put('plain', { Type: 'String' });

      expect((await client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value).toBe('plain');
    });

    it('selects a version with name:version and a label with name:label', async () => {
      await put('one', { Type: 'String' });
      await put('two', { Type: 'String', Overwrite: true });
      await client.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['stable'] }),
      );

      const byVersion = await client.send(new GetParameterCommand({ Name: `${name}:2` }));
      const byLabel = await client.send(new GetParameterCommand({ Name: `${name}:stable` }));

      expect(byVersion.Parameter).toMatchObject({ Value: 'two', Selector: ':2' });
      expect(byLabel.Parameter).toMatchObject({ Value: 'one', Version: 1, Selector: ':stable' });
    });

    it('fails with ParameterNotFound for an unknown name', async () => {
      const error = await errorOf(client.send(new GetParameterCommand({ Name: '/test/missing' })));

      expect(error).toBeInstanceOf(ParameterNotFound);
    });

    it('fails with ParameterVersionNotFound for an unknown version or label', async () => {
      await put('one', { Type: 'String' });

      expect(await errorOf(client.send(new GetParameterCommand({ Name: `${name}:9` })))).toBeInstanceOf(
        ParameterVersionNotFound,
      );
      expect(await errorOf(client.send(new GetParameterCommand({ Name: `${name}:nope` })))).toBeInstanceOf(
        ParameterVersionNotFound,
      );
    });
  });

  describe('LabelParameterVersion', () => {
    it('moves a label to the version it is put on', async () => {
      await put('one', { Type: 'String' });
      await put('two', { Type: 'String', Overwrite: true });

      await client.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['current'] }),
      );
      const moved = await client.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ['current'] }),
      );
      const history = await client.send(new GetParameterHistoryCommand({ Name: name }));

      expect(moved).toMatchObject({ InvalidLabels: [], ParameterVersion: 2 });
      expect(history.Parameters?.map((p) => p.Labels)).toEqual([[], ['current']]);
    });

    it('labels the latest version when no version is given, and re-labelling is a no-op', async () => {
      await put('one', { Type: 'String' });

      await client.send(new LabelParameterVersionCommand({ Name: name, Labels: ['a1'] }));
      const again = await client.send(new LabelParameterVersionCommand({ Name: name, Labels: ['a1'] }));

      expect(again.ParameterVersion).toBe(1);
      expect((await readParameter(client, name))?.labels).toEqual(['a1']);
    });

    it('reports labels that break the rules as InvalidLabels and applies the others', async () => {
      await put('one', { Type: 'String' });

      const result = await client.send(
        new LabelParameterVersionCommand({
          Name: name,
          Labels: ['1starts-with-digit', 'awsreserved', 'ok-label'],
        }),
      );

      expect(result.InvalidLabels).toEqual(['1starts-with-digit', 'awsreserved']);
      expect((await readParameter(client, name))?.labels).toEqual(['ok-label']);
    });

    it('allows at most 10 labels per version', async () => {
      await put('one', { Type: 'String' });
      await client.send(
        new LabelParameterVersionCommand({
          Name: name,
          Labels: Array.from({ length: 10 }, (_, i) => `l${i}`),
        }),
      );

      const error = await errorOf(
        client.send(new LabelParameterVersionCommand({ Name: name, Labels: ['eleven'] })),
      );

      expect(error).toBeInstanceOf(ParameterVersionLabelLimitExceeded);
    });

    it('fails with ParameterVersionNotFound for an unknown version', async () => {
      await put('one', { Type: 'String' });

      const error = await errorOf(
        client.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 5, Labels: ['x1'] })),
      );

      expect(error).toBeInstanceOf(ParameterVersionNotFound);
    });
  });

  describe('GetParameterHistory and DeleteParameter', () => {
    it('lists every version, decrypted only WithDecryption, and pages', async () => {
      await put(VALUE);
      await put(`${VALUE}-2`, { Overwrite: true });

      const page = await client.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 1, WithDecryption: true }),
      );
      const next = await client.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 1, NextToken: page.NextToken }),
      );

      expect(page.Parameters?.map((p) => [p.Version, p.Value])).toEqual([[1, VALUE]]);
      expect(next.Parameters?.[0]?.Version).toBe(2);
      expect(next.Parameters?.[0]?.Value).not.toBe(`${VALUE}-2`);
      expect(next.NextToken).toBeUndefined();
    });

    it('deletes a parameter; deleting it again is ParameterNotFound', async () => {
      await put(VALUE);

      await client.send(new DeleteParameterCommand({ Name: name }));
      const error = await errorOf(client.send(new DeleteParameterCommand({ Name: name })));

      expect(await readParameter(client, name)).toBeUndefined();
      expect(error).toBeInstanceOf(ParameterNotFound);
    });
  });
});
