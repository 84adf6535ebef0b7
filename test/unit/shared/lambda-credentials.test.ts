import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../lambdas/shared/lambda-credentials';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;

function clearCredentials(): void {
  for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Function: defaultProvider (the credential chain of Lambda bundles)', () => {
  it('returns the execution role credentials Lambda puts in the environment', async () => {
    clearCredentials();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXAMPLEROLE00001');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret-for-the-test');
    vi.stubEnv('AWS_SESSION_TOKEN', 'role-session-token');

    const credentials = await defaultProvider()();

    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEROLE00001',
      secretAccessKey: 'role-secret-for-the-test',
      sessionToken: 'role-session-token',
    });
  });

  it('reads the container credentials endpoint when the environment names one instead', async () => {
    clearCredentials();
    const requests: Array<string | undefined> = [];
    const server = createServer((request, response) => {
      requests.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          AccessKeyId: 'ASIAEXAMPLECONTAINER',
          SecretAccessKey: 'container-secret-for-the-test',
          Token: 'container-token',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', `http://127.0.0.1:${port}/credentials`);
      vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'endpoint-authorization');

      const credentials = await defaultProvider()();

      expect(credentials).toMatchObject({
        accessKeyId: 'ASIAEXAMPLECONTAINER',
        secretAccessKey: 'container-secret-for-the-test',
        sessionToken: 'container-token',
      });
      expect(requests).toEqual(['endpoint-authorization']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails with a message naming the variables it reads when neither source is there', async () => {
    clearCredentials();

    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/);
  });
});
