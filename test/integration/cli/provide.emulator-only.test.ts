import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/errors';
import { stripeKeyId } from '../../../lambdas/credentials/api-key';
import { STRATEGIES } from '../../../lambdas/credentials/registry';
import { type RolloutConfig, rolloutConfigParameterName } from '../../../lambdas/rollout/contract';
import { createRotationLambda } from '../../../lambdas/rotation/lambda';
import { type CliWorld, startCliWorld } from '../../support/cli-world';
import { FakeStripe } from '../../support/providers';

const STRIPE_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handover-api-key';

let world: CliWorld;
let stripe: FakeStripe;

beforeAll(async () => {
  world = await startCliWorld();
  stripe = new FakeStripe();
  const url = await stripe.listen();
  const rotation = createRotationLambda(
    STRATEGIES['api-key']({ HANDOVER_API_KEY_STRIPE_BASE_URL: url, HANDOVER_API_KEY_PROPAGATION_MS: '0' }),
  );
  world.emulator.registerRotationLambda(STRIPE_FUNCTION_ARN, rotation);
  world.emulator.lambda.registerHandler(STRIPE_FUNCTION_ARN, rotation);
});

afterAll(async () => {
  await stripe?.close();
  await world?.close();
});

/** A Stripe key secret covered by a policy: rotation on, one SSM parameter mirror as consumer. */
async function stripeSecret(name: string, key: string): Promise<string> {
  // Its first version is the key: a secret with an AWSPREVIOUS no rollout ever carried would have
  // its AWSCURRENT carried to the consumers by a manual start, not rotated (docs/interlock.md).
  const created = await world.sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify({
        provider: 'stripe',
        keyId: stripeKeyId(key),
        apiKey: key,
        team: 'payments',
      }),
    }),
  );
  const arn = created.ARN ?? '';
  world.emulator.secretsManager.configureRotation(arn, STRIPE_FUNCTION_ARN, {
    ScheduleExpression: 'rate(90 days)',
  });
  const config: RolloutConfig = {
    secretArn: arn,
    credentialType: 'api-key',
    rotationFunctionArn: STRIPE_FUNCTION_ARN,
    graceSeconds: 1,
    usageRecheckSeconds: 1,
    usageMaxChecks: 2,
    maxConcurrency: 4,
    consumers: [{ kind: 'ssm-parameter', name: 'checkout', parameterName: `/apps/${name}/stripe` }],
  };
  await world.ssm.send(
    new PutParameterCommand({
      Name: rolloutConfigParameterName(name),
      Value: JSON.stringify(config),
      Type: 'String',
    }),
  );
  return arn;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('CLI: operator-assisted rotation (Stripe)', () => {
  it('waits for the operator, takes the key through Secrets Manager only, verifies it at Stripe, rolls it out and reminds to end the old key', async () => {
    const oldKey = stripe.createKey('rk');
    const arn = await stripeSecret('payments/stripe', oldKey);

    // A rotation starts (here by the CLI; a schedule does the same) and waits for the operator.
    const started = await world.run(['rotate', 'payments/stripe', '--no-follow', '--json']);
    expect(started.code, started.stderr).toBe(EXIT.ok);
    const executionArn = started.json<{ executionArn: string }>().executionArn;
    await waitFor(
      async () => (await world.emulator.secretsManager.waitForRotation(arn)).status === 'failed',
      'createSecret to wait',
    );
    const waiting = await world.run(['status', 'payments/stripe', '--json', '--check']);
    expect(waiting.code).toBe(EXIT.findings);
    expect(JSON.stringify(waiting.json())).toMatch(/AWSPENDING stuck/);

    // The person rolls the key in the Dashboard and hands it over.
    const newKey = stripe.rollKey(oldKey);
    stripe.keys.set(stripeKeyId(oldKey), oldKey); // rolled with a later expiration: still valid
    const provided = await world.run(['provide', 'payments/stripe'], { secret: newKey });
    expect(provided.code, provided.stderr).toBe(EXIT.ok);
    expect(provided.stderr).toMatch(/Roll key/);

    const end = await world.emulator.stepFunctions.stateMachines.waitForExecution(executionArn);
    expect(end.status, end.cause).toBe('SUCCEEDED');
    const current = await world.sm.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(JSON.parse(current.SecretString ?? '{}')).toMatchObject({
      provider: 'stripe',
      apiKey: newKey,
      keyId: stripeKeyId(newKey),
    });
    expect(stripe.requests.some((request) => request.operation === 'verify')).toBe(true);

    // Revocation is a reminder with the Dashboard step; the usage gate ran before it.
    const history = await world.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const states = (history.events ?? [])
      .map((event) => event.stateEnteredEventDetails?.name)
      .filter(Boolean);
    expect(states).toContain('Check old credential usage');
    const revocation = (history.events ?? [])
      .filter((event) => event.stateExitedEventDetails?.name === 'Revoke old credential')
      .map((event) => JSON.parse(event.stateExitedEventDetails?.output ?? '{}').revocation);
    expect(revocation).toEqual([
      expect.objectContaining({
        done: false,
        reason: expect.stringMatching(/reminder: .*dashboard\.stripe\.com.*Delete key/),
      }),
    ]);

    // The keys never reached an execution's input, output or history, the call log or an event.
    const everything = JSON.stringify({
      history,
      executions: await world.sfn.send(new ListExecutionsCommand({ stateMachineArn: world.stateMachineArn })),
      calls: world.emulator.calls,
      events: world.emulator.eventBridge.events({}),
    });
    for (const key of [oldKey, newKey]) {
      expect(everything.includes(key)).toBe(false);
      expect(provided.stdout.includes(key) || provided.stderr.includes(key)).toBe(false);
    }
  });

  it('reads the key from stdin when it is piped, refuses a malformed key without echoing it, and refuses when no rotation waits', async () => {
    const oldKey = stripe.createKey('sk');
    await stripeSecret('payments/stripe-stdin', oldKey);

    const nothingWaits = await world.run(['provide', 'payments/stripe-stdin'], { secret: 'unused' });
    expect(nothingWaits.code).toBe(EXIT.refused);
    expect(nothingWaits.stderr).toMatch(/no rotation of payments\/stripe-stdin is waiting for a key/);

    const started = await world.run(['rotate', 'payments/stripe-stdin', '--no-follow', '--json']);
    expect(started.code, started.stderr).toBe(EXIT.ok);
    const arn =
      (await world.sm.send(new GetSecretValueCommand({ SecretId: 'payments/stripe-stdin' }))).ARN ?? '';
    await waitFor(
      async () => (await world.emulator.secretsManager.waitForRotation(arn)).status === 'failed',
      'createSecret to wait',
    );

    const malformed = 'not-a-stripe-key-0123456789';
    const bad = await world.run(['provide', 'payments/stripe-stdin'], { stdin: `${malformed}\n` });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr.includes(malformed)).toBe(false);

    const newKey = stripe.createKey('sk');
    const good = await world.run(['provide', 'payments/stripe-stdin', '--json'], { stdin: `${newKey}\n` });
    expect(good.code, good.stderr).toBe(EXIT.ok);
    await world.emulator.stepFunctions.stateMachines.waitForExecution(
      started.json<{ executionArn: string }>().executionArn,
    );
    const current = await world.sm.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(JSON.parse(current.SecretString ?? '{}').apiKey).toBe(newKey);
  });
});
