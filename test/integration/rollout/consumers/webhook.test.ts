import { createServer } from 'node:net';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { signWebhook } from '../../../../lambdas/webhooks/signature';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';
import { startWebhookReceiver } from './webhook-receiver';

captureProcessOutput();

const whsec = (seed: string) => `whsec_${Buffer.from(seed.padEnd(32, '.')).toString('base64')}`;
const SIGNING_KEY = whsec('integration-current-signing-key-7c1e0b');
const NEXT_SIGNING_KEY = whsec('integration-next-signing-key-44d9aa');
const STRANGER_KEY = whsec('integration-stranger-signing-key-0000');
recordSecretMaterial(SIGNING_KEY, NEXT_SIGNING_KEY, STRANGER_KEY);

let world: ConsumerWorld;
let secret: Awaited<ReturnType<ConsumerWorld['createSecret']>>;
let signingSecretArn: string;
let receiverKeys: string[];
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let consumer: WebhookConsumer;
let counter = 0;

beforeAll(async () => {
  world = await startConsumerWorld();
  secret = await world.createSecret(
    JSON.stringify({ key: 'webhook-int-0ld-secret-value-1' }),
    JSON.stringify({ key: 'webhook-int-n3w-secret-value-2' }),
  );
});

afterAll(async () => {
  await world.close();
});

beforeEach(async () => {
  counter += 1;
  const created = await world.clients.secretsManager.send(
    new CreateSecretCommand({ Name: world.unique(`webhook-signing-${counter}`), SecretString: SIGNING_KEY }),
  );
  signingSecretArn = created.ARN ?? '';
  receiverKeys = [SIGNING_KEY];
  receiver = await startWebhookReceiver(() => receiverKeys);
  consumer = {
    kind: 'webhook',
    name: `partner-${counter}`,
    url: receiver.url,
    signingSecretArn,
    timeoutMs: 1000,
  };
});

afterEach(async () => {
  await receiver.close();
});

describe('Webhook consumer over real HTTP', () => {
  it('delivers update and verify, signed, and the receiver verifies both', async () => {
    const update = world.update(secret.arn, secret.newVersion);
    receiver.answer({ status: 204 }, { status: 200, body: { versionId: secret.newVersion } });

    const updated = await world.adapters.webhook.update(consumer, update);
    const verified = await world.adapters.webhook.verify(consumer, update);

    expect(updated).toMatchObject({ outcome: 'updated', kind: 'webhook' });
    expect(verified.outcome).toBe('verified');
    expect(receiver.received.map((r) => [r.status, r.rejected])).toEqual([
      [204, undefined],
      [200, undefined],
    ]);
    expect(receiver.payloads.map((p) => p.phase)).toEqual(['update', 'verify']);
    expect(receiver.payloads[0]).toEqual({
      type: 'handover.credential.rotated',
      phase: 'update',
      deliveryId: expect.any(String),
      attempt: 1,
      secretArn: secret.arn,
      versionId: secret.newVersion,
      consumer: consumer.name,
      rolloutId: update.rolloutId,
      mode: 'scheduled',
    });
    expect(receiver.received.map((r) => r.idempotencyKey)).toEqual([
      `${update.rolloutId}:${consumer.name}:update`,
      `${update.rolloutId}:${consumer.name}:verify`,
    ]);
  });

  it('never sends the secret value or the signing key', async () => {
    await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));

    const wire = JSON.stringify(receiver.received);
    expect(wire).not.toContain('webhook-int-n3w-secret-value-2');
    expect(wire).not.toContain(SIGNING_KEY);
  });

  it('is rejected as replayed when the same signed request is sent again', async () => {
    await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));
    const [original] = receiver.received;

    const replay = await fetch(receiver.url, {
      method: 'POST',
      body: original?.rawBody ?? '',
      headers: { ...original?.signature, 'content-type': 'application/json' },
    });

    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'replayed' });
    expect(receiver.payloads).toHaveLength(1);
  });

  it('is rejected when the body is tampered with or the signature is old', async () => {
    await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));
    const [original] = receiver.received;
    const body = original?.rawBody ?? '';

    const tampered = await fetch(receiver.url, {
      method: 'POST',
      body: body.replace('"scheduled"', '"emergency"'),
      headers: { ...original?.signature },
    });
    const old = await fetch(receiver.url, {
      method: 'POST',
      body,
      headers: signWebhook({
        id: original?.webhookId ?? 'msg_old',
        timestamp: Math.floor(Date.now() / 1000) - 3600,
        body,
        keys: SIGNING_KEY,
      }),
    });

    expect(await tampered.json()).toEqual({ error: 'mismatch' });
    expect(await old.json()).toEqual({ error: 'stale' });
  });

  it('fails at once with the status when the receiver does not know the signing key', async () => {
    receiverKeys = [STRANGER_KEY];

    const error = await rejectionOf(
      world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('answered HTTP 401 to the update webhook; not retried');
    expect(receiver.received).toHaveLength(1);
  });

  it('retries 503 with a fresh signature and the same idempotency key', async () => {
    receiver.answer({ status: 503 }, { status: 503, headers: { 'retry-after': '0' } }, { status: 200 });

    const result = await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));

    expect(result.detail).toContain('(attempt 3)');
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.idempotencyKey)).size).toBe(1);
    // One message (one webhook-id), three attempts each signed afresh.
    expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.signature['webhook-signature'])).size).toBe(3);
    expect(receiver.received.every((r) => r.rejected === undefined)).toBe(true);
  });

  it('retries when the receiver does not answer within the deadline', async () => {
    receiver.answer({ delayMs: 1500 }, { status: 200 });

    const result = await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));

    expect(result.outcome).toBe('updated');
    expect(result.detail).toContain('(attempt 2)');
  });

  it('fails after the bounded attempts when the receiver keeps failing', async () => {
    receiver.answer({ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 });

    const error = await rejectionOf(
      world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('after 3 attempt(s); last: HTTP 503');
    expect(receiver.received).toHaveLength(3);
  });

  it('fails with the network error when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });

    const error = await rejectionOf(
      world.adapters.webhook.update(
        { ...consumer, url: `http://127.0.0.1:${port}/x` },
        world.update(secret.arn, secret.newVersion),
      ),
    );

    expect(error.message).toContain('network error (ECONNREFUSED)');
  });

  it('reports already-current when re-run: the receiver processes each idempotency key once', async () => {
    const update = world.update(secret.arn, secret.newVersion);

    const first = await world.adapters.webhook.update(consumer, update);
    const second = await world.adapters.webhook.update(consumer, update);

    expect(first.outcome).toBe('updated');
    expect(second.outcome).toBe('already-current');
    expect(receiver.payloads).toHaveLength(1);
  });

  it('fails verify when the receiver reports it still uses the old version', async () => {
    receiver.answer({ status: 200, body: { versionId: secret.oldVersion } });

    const error = await rejectionOf(
      world.adapters.webhook.verify(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain(
      `reports it uses version ${secret.oldVersion}, expected ${secret.newVersion}`,
    );
  });

  it('signs with the new signing key after it rotates; a receiver holding both keys accepts it', async () => {
    await world.clients.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: signingSecretArn,
        SecretString: JSON.stringify({ key: NEXT_SIGNING_KEY }),
      }),
    );
    receiverKeys = [NEXT_SIGNING_KEY, SIGNING_KEY];

    const result = await world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion));

    expect(result.outcome).toBe('updated');
    receiverKeys = [SIGNING_KEY];
    const replayWithOldKeyOnly = await fetch(receiver.url, {
      method: 'POST',
      body: receiver.received[0]?.rawBody ?? '',
      headers: { ...receiver.received[0]?.signature },
    });
    expect(await replayWithOldKeyOnly.json()).toEqual({ error: 'mismatch' });
  });

  it('does not follow a redirect', async () => {
    receiver.answer({ status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } });

    const error = await rejectionOf(
      world.adapters.webhook.update(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error.message).toContain('answered HTTP 307');
  });
});
