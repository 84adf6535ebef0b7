import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumerAdapters } from '../../../../lambdas/rollout/consumers';
import { CONSUMER_KINDS } from '../../../../lambdas/rollout/contract';
import { parseWebhookHeaders } from '../../../../lambdas/webhooks/signature';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import { anUpdate, fakeClock } from './helpers';

captureProcessOutput();

const SIGNING_KEY = `whsec_${Buffer.from('index-test-signing-key-0123456789ab').toString('base64')}`;
recordSecretMaterial(SIGNING_KEY);

const region = { region: 'us-east-1' };
const secrets = mockClient(SecretsManagerClient);

afterEach(() => {
  secrets.reset();
});

function build(fetch?: typeof globalThis.fetch) {
  return createConsumerAdapters({
    lambda: new LambdaClient(region),
    ecs: new ECSClient(region),
    ssm: new SSMClient(region),
    eventBridge: new EventBridgeClient(region),
    secretsManager: new SecretsManagerClient(region),
    clock: fakeClock(),
    ...(fetch === undefined ? {} : { fetch }),
  });
}

describe('Function: createConsumerAdapters', () => {
  it('has one adapter per consumer kind, each for its own kind', () => {
    const adapters = build();

    expect(Object.keys(adapters).sort()).toEqual([...CONSUMER_KINDS].sort());
    for (const kind of CONSUMER_KINDS) expect(adapters[kind].kind).toBe(kind);
  });

  it('reads the webhook signing key from Secrets Manager by default', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    const headers: Record<string, string>[] = [];
    const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      headers.push(Object.fromEntries(new Headers(init?.headers).entries()));
      return new Response(null, { status: 204 });
    }) as typeof globalThis.fetch;

    await build(fetch).webhook.update(
      {
        kind: 'webhook',
        name: 'hook',
        url: 'https://hooks.example/x',
        signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing',
      },
      anUpdate(),
    );

    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing',
    );
    expect(parseWebhookHeaders(headers[0] ?? {})).toMatchObject({ signatures: [expect.any(String)] });
  });
});
