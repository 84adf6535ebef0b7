import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { errorOf, secretsManagerClient, startTestAws, token, uniqueName } from './harness';

/** Secrets Manager's API contract (AWS JSON 1.1), against the emulator or any given endpoint. */
let aws: AwsWorld;
let client: SecretsManagerClient;
let arnPrefix: string;
let placeholderFunction: string;

beforeAll(async () => {
  aws = await startTestAws(['secretsmanager', 'sts']);
  client = secretsManagerClient();
  arnPrefix = `arn:aws:secretsmanager:${aws.region}:${await aws.accountId()}:secret:`;
  placeholderFunction = await aws.rotation.register('create-secret-is-broken', () => {
    throw new Error('createSecret is broken');
  });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

async function createSecret(
  value = 'v1',
  name = uniqueName(),
): Promise<{ arn: string; name: string; v1: string }> {
  const v1 = token('v1');
  const created = await client.send(
    new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: v1 }),
  );
  return { arn: created.ARN ?? '', name, v1 };
}

async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  return described.VersionIdsToStages ?? {};
}

/** Leaves a version with AWSPENDING and no value, like a rotation that failed in createSecret. */
async function withPlaceholder(): Promise<{ name: string; v1: string; pending: string }> {
  const secret = await createSecret('current');
  const outcome = await aws.rotation.rotate(secret.arn, placeholderFunction);
  expect(outcome.status).toBe('failed');
  return { name: secret.name, v1: secret.v1, pending: outcome.versionId };
}

describe('Secrets Manager API', () => {
  it('creates a secret whose first version carries AWSCURRENT', async () => {
    const name = uniqueName();
    const created = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: '{"password":"p1"}' }),
    );

    expect(created.ARN).toMatch(new RegExp(`^${arnPrefix}${name}-[A-Za-z0-9]{6}$`));
    const value = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value).toMatchObject({
      ARN: created.ARN,
      Name: name,
      VersionId: created.VersionId,
      SecretString: '{"password":"p1"}',
      VersionStages: ['AWSCURRENT'],
    });
    expect(value.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((value.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('finds a secret by its full ARN and by its ARN without the random suffix', async () => {
    const { arn, name } = await createSecret('by-arn');

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const byPartialArn = await client.send(new GetSecretValueCommand({ SecretId: `${arnPrefix}${name}` }));

    expect(byArn.SecretString).toBe('by-arn');
    expect(byPartialArn.Name).toBe(name);
  });

  it('round-trips SecretBinary', async () => {
    const name = uniqueName();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));

    const value = await client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(value.SecretString).toBeUndefined();
    expect([...(value.SecretBinary ?? [])]).toEqual([...bytes]);
  });

  it('fails with ResourceNotFoundException for an unknown secret', async () => {
    const error = await errorOf(client.send(new GetSecretValueCommand({ SecretId: 'does/not/exist' })));

    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it('fails with ResourceExistsException when the name is taken', async () => {
    const { name } = await createSecret();

    const error = await errorOf(client.send(new CreateSecretCommand({ Name: name, SecretString: 'other' })));

    expect(error.name).toBe('ResourceExistsException');
  });

  it('moves AWSPREVIOUS to the old version when AWSCURRENT moves', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v2,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v2,
        RemoveFromVersionId: v1,
      }),
    );

    expect(await stagesOf(name)).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [v2]: expect.arrayContaining(['AWSPENDING', 'AWSCURRENT']),
    });
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('one');

    const v3 = token('v3');
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v3,
        SecretString: 'three',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v3,
        RemoveFromVersionId: v2,
      }),
    );

    // v1 lost its last label: it is deprecated, kept, and hidden unless asked for.
    expect(await stagesOf(name)).toEqual({
      [v2]: ['AWSPREVIOUS'],
      [v3]: expect.arrayContaining(['AWSPENDING', 'AWSCURRENT']),
    });
    const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(listed.Versions?.map((v) => v.VersionId).sort()).toEqual([v2, v3].sort());
    const withDeprecated = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
    );
    expect(withDeprecated.Versions?.find((v) => v.VersionId === v1)?.VersionStages).toEqual([]);
    const deprecated = await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1 }));
    expect(deprecated.SecretString).toBe('one');
  });

  it('moves AWSPREVIOUS to the old version when PutSecretValue makes a new version AWSCURRENT', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');

    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, ClientRequestToken: v2, SecretString: 'two' }),
    );

    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
    const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(current.SecretString).toBe('two');
  });

  it('moves AWSCURRENT back to the previous version and AWSPREVIOUS to the version it left (rollback)', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');
    await client.send(
      new PutSecretValueCommand({ SecretId: name, ClientRequestToken: v2, SecretString: 'two' }),
    );

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: v2,
      }),
    );

    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
  });

  it('fails when AWSCURRENT is moved without RemoveFromVersionId naming its version', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v2,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );

    const missing = await errorOf(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
        }),
      ),
    );
    const wrong = await errorOf(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
          RemoveFromVersionId: v2,
        }),
      ),
    );

    expect(missing.name).toBe('InvalidParameterException');
    expect(missing.message).toContain(v1);
    expect(wrong.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'] });
  });

  it('fails when a label on another version is moved without RemoveFromVersionId', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');
    const v3 = token('v3');
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v2,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v3,
        SecretString: 'three',
        VersionStages: ['CUSTOM'],
      }),
    );

    const error = await errorOf(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSPENDING',
          MoveToVersionId: v3,
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'], [v3]: ['CUSTOM'] });

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: v3,
        RemoveFromVersionId: v2,
      }),
    );
    const stages = await stagesOf(name);
    expect(stages[v3]).toEqual(expect.arrayContaining(['AWSPENDING', 'CUSTOM']));
    expect(stages[v2]).toBeUndefined();
  });

  it('removes a label with RemoveFromVersionId alone', async () => {
    const { name, v1 } = await createSecret('one');
    const v2 = token('v2');
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: v2,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: v2,
      }),
    );

    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('fails when AWSCURRENT would be removed without moving it', async () => {
    const { name, v1 } = await createSecret('one');

    const error = await errorOf(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: v1,
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('fails with ResourceNotFoundException for a version that has a label but no value yet', async () => {
    const { name, pending } = await withPlaceholder();

    const byStage = await errorOf(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' })),
    );
    const byId = await errorOf(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: pending })),
    );

    expect(byStage.name).toBe('ResourceNotFoundException');
    expect(byId.name).toBe('ResourceNotFoundException');
    expect((await stagesOf(name))[pending]).toEqual(['AWSPENDING']);
  });

  it('fails with ResourceNotFoundException for a stage on no version', async () => {
    const { name } = await createSecret('one');

    const error = await errorOf(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' })),
    );

    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('fails when VersionId and VersionStage name different versions', async () => {
    const { name, v1 } = await createSecret('one');
    await client.send(
      new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token('v2'), SecretString: 'two' }),
    );

    const error = await errorOf(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1, VersionStage: 'AWSCURRENT' })),
    );
    const matching = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionId: v1, VersionStage: 'AWSPREVIOUS' }),
    );

    expect(error.name).toBe('ResourceNotFoundException');
    expect(matching.SecretString).toBe('one');
  });

  it('accepts a repeated PutSecretValue with the same token and value', async () => {
    const { name } = await createSecret('one');
    const v2 = token('v2');
    const input = {
      SecretId: name,
      ClientRequestToken: v2,
      SecretString: 'two',
      VersionStages: ['AWSPENDING'],
    };

    const first = await client.send(new PutSecretValueCommand(input));
    const second = await client.send(new PutSecretValueCommand(input));

    expect(second.VersionId).toBe(first.VersionId);
    expect(second.VersionStages).toEqual(['AWSPENDING']);
    const versions = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
    );
    expect(versions.Versions).toHaveLength(2);
  });

  it('fails with ResourceExistsException when a token is reused with a different value', async () => {
    const { name } = await createSecret('one');
    const v2 = token('v2');
    await client.send(
      new PutSecretValueCommand({ SecretId: name, ClientRequestToken: v2, SecretString: 'two' }),
    );

    const error = await errorOf(
      client.send(
        new PutSecretValueCommand({ SecretId: name, ClientRequestToken: v2, SecretString: 'different' }),
      ),
    );

    expect(error.name).toBe('ResourceExistsException');
    const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(current.SecretString).toBe('two');
  });

  it('fills in the value of a rotation placeholder version with PutSecretValue', async () => {
    const { name, v1, pending } = await withPlaceholder();

    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: pending,
        SecretString: 'next',
        VersionStages: ['AWSPENDING'],
      }),
    );

    expect(put.VersionId).toBe(pending);
    const value = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }),
    );
    expect(value).toMatchObject({ VersionId: pending, SecretString: 'next' });
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
  });

  it.each([
    ['shorter than 32 characters', 'x'.repeat(31)],
    ['longer than 64 characters', 'x'.repeat(65)],
  ])('fails with InvalidParameterException for a ClientRequestToken %s', async (_case, badToken) => {
    const { name } = await createSecret('one');

    const error = await errorOf(
      client.send(
        new PutSecretValueCommand({ SecretId: name, ClientRequestToken: badToken, SecretString: 'two' }),
      ),
    );

    expect(error.name).toBe('InvalidParameterException');
  });

  it('describes a secret with no rotation configured', async () => {
    const name = uniqueName();
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: 'one',
        Description: 'the db password',
        KmsKeyId: 'alias/handover',
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );

    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }));

    expect(described).toMatchObject({
      ARN: created.ARN,
      Name: name,
      Description: 'the db password',
      KmsKeyId: 'alias/handover',
      Tags: [{ Key: 'team', Value: 'platform' }],
      VersionIdsToStages: { [created.VersionId ?? '']: ['AWSCURRENT'] },
    });
    expect(described.RotationEnabled ?? false).toBe(false);
    expect(described.RotationLambdaARN).toBeUndefined();
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.CreatedDate).toBeInstanceOf(Date);
    expect(described.LastChangedDate).toBeInstanceOf(Date);
  });

  it('records LastAccessedDate as the day of the last GetSecretValue', async () => {
    const { name } = await createSecret('one');
    expect(
      (await client.send(new DescribeSecretCommand({ SecretId: name }))).LastAccessedDate,
    ).toBeUndefined();

    await client.send(new GetSecretValueCommand({ SecretId: name }));

    const accessed = (await client.send(new DescribeSecretCommand({ SecretId: name }))).LastAccessedDate;
    expect(accessed?.getTime()).toBe(new Date(new Date().toISOString().slice(0, 10)).getTime());
  });

  it('updates the value, description and key of a secret with UpdateSecret', async () => {
    const { name, v1 } = await createSecret('one');

    const updated = await client.send(
      new UpdateSecretCommand({
        SecretId: name,
        SecretString: 'two',
        Description: 'new',
        KmsKeyId: 'alias/other',
      }),
    );

    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({ Description: 'new', KmsKeyId: 'alias/other' });
    expect(described.VersionIdsToStages).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [updated.VersionId ?? '']: ['AWSCURRENT'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('two');
  });

  it('adds, replaces and removes tags', async () => {
    const { name } = await createSecret('one');

    await client.send(
      new TagResourceCommand({
        SecretId: name,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'a', Value: '3' }] }));
    await client.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['b'] }));

    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Tags).toEqual([{ Key: 'a', Value: '3' }]);
  });

  it('lists secrets filtered by name prefix and tag key, page by page', async () => {
    const prefix = uniqueName('list');
    for (const suffix of ['a', 'b', 'c']) {
      await client.send(
        new CreateSecretCommand({
          Name: `${prefix}/${suffix}`,
          SecretString: 'x',
          Tags: suffix === 'b' ? [{ Key: `${prefix}-owner`, Value: 'me' }] : [],
        }),
      );
    }

    const first = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [prefix] }],
        MaxResults: 2,
        SortOrder: 'asc',
      }),
    );
    const second = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [prefix] }],
        MaxResults: 2,
        SortOrder: 'asc',
        NextToken: first.NextToken,
      }),
    );
    const tagged = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: [`${prefix}-owner`] }] }),
    );
    const negated = await client.send(
      new ListSecretsCommand({
        Filters: [
          { Key: 'name', Values: [prefix] },
          { Key: 'tag-key', Values: [`!${prefix}-owner`] },
        ],
      }),
    );

    expect(first.SecretList?.map((s) => s.Name)).toEqual([`${prefix}/a`, `${prefix}/b`]);
    expect(first.NextToken).toBeDefined();
    expect(second.SecretList?.map((s) => s.Name)).toEqual([`${prefix}/c`]);
    expect(second.NextToken).toBeUndefined();
    expect(tagged.SecretList?.map((s) => s.Name)).toEqual([`${prefix}/b`]);
    expect(negated.SecretList?.map((s) => s.Name).sort()).toEqual([`${prefix}/a`, `${prefix}/c`]);
    expect(Object.values(first.SecretList?.[0]?.SecretVersionsToStages ?? {})).toEqual([['AWSCURRENT']]);
  });

  it('paginates ListSecretVersionIds', async () => {
    const { name } = await createSecret('one');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'two' }));
    await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'three', VersionStages: ['AWSPENDING'] }),
    );

    const first = await client.send(new ListSecretVersionIdsCommand({ SecretId: name, MaxResults: 2 }));
    const second = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, MaxResults: 2, NextToken: first.NextToken }),
    );

    expect(first.Versions).toHaveLength(2);
    expect(second.Versions).toHaveLength(1);
    expect(
      [...(first.Versions ?? []), ...(second.Versions ?? [])].flatMap((v) => v.VersionStages).sort(),
    ).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS']);
  });

  it('does not find a secret after DeleteSecret with ForceDeleteWithoutRecovery', async () => {
    const { name } = await createSecret('one');

    const deleted = await client.send(
      new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
    );

    expect(deleted.Name).toBe(name);
    const error = await errorOf(client.send(new DescribeSecretCommand({ SecretId: name })));
    expect(error.name).toBe('ResourceNotFoundException');
    const recreated = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'again' }));
    expect(recreated.Name).toBe(name);
  });

  it('refuses to read a secret scheduled for deletion until it is restored', async () => {
    const { name } = await createSecret('one');

    const deleted = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const error = await errorOf(client.send(new GetSecretValueCommand({ SecretId: name })));
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    const listed = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));

    expect(error.name).toBe('InvalidRequestException');
    expect(described.DeletedDate).toBeInstanceOf(Date);
    expect((deleted.DeletionDate?.getTime() ?? 0) - Date.now()).toBeGreaterThan(6 * 24 * 3600 * 1000);
    expect(listed.SecretList).toEqual([]);

    await client.send(new RestoreSecretCommand({ SecretId: name }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('one');
  });

  it('generates a 32-character password with every character type by default', async () => {
    const passwords = await Promise.all(
      Array.from({ length: 20 }, () => client.send(new GetRandomPasswordCommand({}))),
    );

    for (const { RandomPassword } of passwords) {
      expect(RandomPassword).toHaveLength(32);
      expect(RandomPassword).toMatch(/[a-z]/);
      expect(RandomPassword).toMatch(/[A-Z]/);
      expect(RandomPassword).toMatch(/[0-9]/);
      expect(RandomPassword).toMatch(/[^A-Za-z0-9]/);
      expect(RandomPassword).not.toContain(' ');
    }
    expect(new Set(passwords.map((p) => p.RandomPassword)).size).toBe(20);
  });

  it('honours the GetRandomPassword exclusions', async () => {
    const generated = await client.send(
      new GetRandomPasswordCommand({
        PasswordLength: 200,
        ExcludePunctuation: true,
        ExcludeUppercase: true,
        ExcludeCharacters: 'abc012',
        IncludeSpace: true,
      }),
    );

    expect(generated.RandomPassword).toHaveLength(200);
    expect(generated.RandomPassword).toMatch(/^[d-z3-9 ]+$/);
    expect(generated.RandomPassword).toContain(' ');
  });

  it('fails GetRandomPassword when every character is excluded', async () => {
    const error = await errorOf(
      client.send(
        new GetRandomPasswordCommand({
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludeNumbers: true,
          ExcludePunctuation: true,
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterException');
  });
});
