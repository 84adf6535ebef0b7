import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STAGE } from '../../../lambdas/rotation/constants';
import { cachedForInvocation, createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import { versionWith } from '../../../lambdas/rotation/versions';
import { SecretsManagerService } from '../../../local/emulator';
import { inProcessSecretsClient } from '../../support/in-process-secrets';

function setup() {
  const service = new SecretsManagerService({});
  const client = inProcessSecretsClient(service);
  const { ARN: arn, VersionId: first } = service.invoke('CreateSecret', {
    Name: `port-${randomUUID()}`,
    SecretString: '{"v":1}',
    Tags: [{ Key: 'team', Value: 'orders' }],
  }) as { ARN: string; VersionId: string };
  return { service, client, arn, first, port: createSecretsManagerPort(client) };
}

describe('Function: createSecretsManagerPort', () => {
  it('describes a secret: ARN, name, rotation flag, versions and tags', async () => {
    const s = setup();
    const meta = await s.port.describe(s.arn);
    expect(meta).toMatchObject({ arn: s.arn, rotationEnabled: false, tags: { team: 'orders' } });
    expect(meta.versions).toEqual({ [s.first]: [STAGE.current] });
  });

  it('reads a version with its labels, and answers undefined for an unknown version', async () => {
    const s = setup();
    expect(await s.port.getVersion(s.arn, { versionId: s.first })).toEqual({
      arn: s.arn,
      versionId: s.first,
      stages: [STAGE.current],
      value: '{"v":1}',
    });
    expect(await s.port.getVersion(s.arn, { versionId: randomUUID() })).toBeUndefined();
  });

  it('stores a pending value once; a different value for the same version is refused, and nothing changes', async () => {
    const s = setup();
    const token = randomUUID();
    expect(await s.port.putPending(s.arn, token, '{"v":2}')).toBe('stored');
    expect(await s.port.putPending(s.arn, token, '{"v":2}')).toBe('stored');
    expect(await s.port.putPending(s.arn, token, '{"v":3}')).toBe('exists');
    expect((await s.port.getVersion(s.arn, { versionId: token }))?.value).toBe('{"v":2}');
  });

  it('lists every version, the unlabelled ones with includeDeprecated', async () => {
    const s = setup();
    const second = randomUUID();
    const third = randomUUID();
    s.service.invoke('PutSecretValue', { SecretId: s.arn, ClientRequestToken: second, SecretString: '2' });
    s.service.invoke('PutSecretValue', { SecretId: s.arn, ClientRequestToken: third, SecretString: '3' });
    const labelled = await s.port.listVersions(s.arn);
    const all = await s.port.listVersions(s.arn, { includeDeprecated: true });
    expect(labelled.map((v) => v.versionId).sort()).toEqual([second, third].sort());
    expect(all.map((v) => v.versionId).sort()).toEqual([s.first, second, third].sort());
    expect(all.find((v) => v.versionId === s.first)?.stages).toEqual([]);
  });
});

describe('Function: cachedForInvocation', () => {
  it('reaches Secrets Manager once per distinct read', async () => {
    const s = setup();
    const secrets = cachedForInvocation(s.port);

    await secrets.describe(s.arn);
    await secrets.describe(s.arn);
    await secrets.getVersion(s.arn, { versionId: s.first });
    await secrets.getVersion(s.arn, { versionId: s.first });
    await secrets.getSecretString(s.arn);
    await secrets.getSecretString(s.arn);

    expect(s.client.calls).toEqual(['DescribeSecret', 'GetSecretValue', 'GetSecretValue']);
  });

  it('forgets what it read after a write through it, so moved labels are read again', async () => {
    const s = setup();
    const secrets = cachedForInvocation(s.port);
    const token = randomUUID();
    await secrets.putPending(s.arn, token, '{"v":2}');
    const before = await secrets.describe(s.arn);

    await secrets.moveStage(s.arn, STAGE.current, token, s.first);
    const after = await secrets.describe(s.arn);

    expect(versionWith(before.versions, STAGE.current)).toBe(s.first);
    expect(versionWith(after.versions, STAGE.current)).toBe(token);
    expect(s.client.calls.filter((c) => c === 'DescribeSecret')).toHaveLength(2);
  });

  it('does not keep a read that failed', async () => {
    const s = setup();
    const secrets = cachedForInvocation(s.port);
    s.client.failCall(0, 'before');

    await expect(secrets.describe(s.arn)).rejects.toThrow(/injected failure/);
    await expect(secrets.describe(s.arn)).resolves.toMatchObject({ arn: s.arn });
    expect(s.client.calls).toEqual(['DescribeSecret', 'DescribeSecret']);
  });
});

describe('Function: versionWith', () => {
  it('names the version holding a label, or undefined', () => {
    const versions = { a: [STAGE.previous], b: [STAGE.current, STAGE.pending], c: [] };
    expect(versionWith(versions, STAGE.current)).toBe('b');
    expect(versionWith(versions, STAGE.pending)).toBe('b');
    expect(versionWith(versions, STAGE.previous)).toBe('a');
    expect(versionWith(versions, 'CUSTOM')).toBeUndefined();
  });
});
