import { describe, expect, it } from 'vitest';
import { parseRolloutConfig } from '../../../lambdas/rollout/config';
import { rolloutConfigParameterName } from '../../../lambdas/rollout/contract';
import { parseRolloutInput } from '../../../lambdas/rollout/input';
import { planWaves, usageWindows } from '../../../lambdas/rollout/waves';
import { CONSUMERS, rolloutConfig } from './fakes';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db/app-AbCdEf';

describe('Function: parseRolloutInput', () => {
  it('reads the Secrets Manager RotationSucceeded event as a scheduled rollout of a finished rotation', () => {
    expect(
      parseRolloutInput({
        source: 'aws.secretsmanager',
        'detail-type': 'AWS Service Event via CloudTrail',
        time: '2026-11-21T09:59:00Z',
        detail: { eventName: 'RotationSucceeded', additionalEventData: { SecretId: SECRET } },
      }),
    ).toEqual({
      secretId: SECRET,
      mode: 'scheduled',
      trigger: 'event',
      rotatedAt: '2026-11-21T09:59:00Z',
      reason: 'rotation reported by Secrets Manager (RotationSucceeded at 2026-11-21T09:59:00Z)',
    });
  });

  it('reads the console input, trimmed', () => {
    expect(
      parseRolloutInput({ secretId: ' orders/db/app ', mode: 'emergency', reason: ' key leaked ' }),
    ).toEqual({
      secretId: 'orders/db/app',
      mode: 'emergency',
      reason: 'key leaked',
      trigger: 'manual',
    });
  });

  it.each([
    ['a string', 'orders/db/app', /must be a JSON object/],
    [
      'an unknown mode',
      { secretId: 'a', mode: 'urgent', reason: 'why not' },
      /mode: expected "scheduled" or "emergency"/,
    ],
    ['no reason', { secretId: 'a', mode: 'scheduled' }, /reason: expected a reason/],
    [
      'a misspelt field',
      { secretID: 'a', mode: 'scheduled', reason: 'why not' },
      /secretID: is not a field of the input/,
    ],
    [
      'an empty secret id',
      { secretId: ' ', mode: 'scheduled', reason: 'why not' },
      /secretId: expected the secret name or ARN/,
    ],
    [
      'another Secrets Manager event',
      {
        source: 'aws.secretsmanager',
        detail: { eventName: 'RotationFailed', additionalEventData: { SecretId: 'a' } },
      },
      /not a Secrets Manager RotationSucceeded event/,
    ],
  ])('refuses %s with Handover.InvalidInput', (_case, input, message) => {
    expect(() => parseRolloutInput(input)).toThrow(message);
    expect(() => parseRolloutInput(input)).toThrow(
      expect.objectContaining({ name: 'Handover.InvalidInput' }),
    );
  });
});

describe('Function: parseRolloutConfig', () => {
  it('accepts the configuration the CDK app writes', () => {
    const config = rolloutConfig(SECRET);
    expect(parseRolloutConfig(JSON.stringify(config), '/p')).toEqual(config);
  });

  it('lists every consumer problem in one error, by field', () => {
    const config = {
      ...rolloutConfig(SECRET),
      consumers: [
        {
          kind: 'webhook',
          name: 'partner',
          url: 'http://partner.example.com/hook',
          signingSecretArn: 'arn:x',
        },
        { kind: 'k8s', name: 'x' },
        { kind: 'event', name: 'has space' },
        { kind: 'lambda', name: 'api', functionName: 'api' },
        { kind: 'lambda', name: 'api', functionName: 'api-2' },
      ],
    };
    expect(() => parseRolloutConfig(JSON.stringify(config), '/handover/rollout/orders')).toThrow(
      new RegExp(
        [
          'rollout configuration /handover/rollout/orders has 3 problems: ',
          'consumers\\[0\\]\\.url: expected an https:// URL; ',
          'consumers\\[1\\]\\.kind: expected kind to be one of lambda, ecs-service, ssm-parameter, event, webhook; ',
          'consumers\\[2\\]\\.name: expected 1 to 128',
        ].join(''),
      ),
    );
  });

  it('refuses two consumers with one name', () => {
    const config = {
      ...rolloutConfig(SECRET),
      consumers: [CONSUMERS[0], { ...CONSUMERS[1], name: 'api' }],
    };
    expect(() => parseRolloutConfig(JSON.stringify(config), '/p')).toThrow(
      /consumers\[1\]\.name: "api" is used twice/,
    );
  });

  it('accepts http only for a loopback receiver', () => {
    const local = {
      kind: 'webhook',
      name: 'local',
      url: 'http://127.0.0.1:8080/hook',
      signingSecretArn: 'arn:x',
    };
    expect(
      parseRolloutConfig(JSON.stringify({ ...rolloutConfig(SECRET), consumers: [local] }), '/p').consumers,
    ).toEqual([local]);
  });

  it('refuses JSON that does not parse', () => {
    expect(() => parseRolloutConfig('{', '/p')).toThrow('rollout configuration /p is not valid JSON');
  });
});

describe('Function: rolloutConfigParameterName', () => {
  it.each([
    ['orders/db/app', '/handover/rollout/orders/db/app'],
    ['/leading/slash', '/handover/rollout/leading/slash'],
    ['team+a=b@c', '/handover/rollout/team_2Ba_3Db_40c'],
  ])('names the parameter of %s %s', (name, parameter) => {
    expect(rolloutConfigParameterName(name)).toBe(parameter);
  });
});

describe('Function: planWaves', () => {
  it('puts canary consumers first in scheduled mode, in configuration order', () => {
    expect(planWaves(CONSUMERS, 'scheduled')).toEqual({ canary: [CONSUMERS[0]], main: CONSUMERS.slice(1) });
  });

  it('puts everyone in one wave in emergency mode', () => {
    expect(planWaves(CONSUMERS, 'emergency')).toEqual({ canary: [], main: CONSUMERS });
  });
});

describe('Function: usageWindows', () => {
  const start = new Date('2026-11-21T10:00:00.000Z');

  it('looks at the last re-check interval of the grace window first, then at each interval since the previous check', () => {
    expect(usageWindows(start, 86_400, 3600, 3)).toEqual([
      '2026-11-22T09:00:00.000Z',
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T11:00:00.000Z',
    ]);
  });

  it('never starts before the consumers moved when the grace window is shorter than a re-check', () => {
    expect(usageWindows(start, 0, 3600, 2)).toEqual(['2026-11-21T10:00:00.000Z', '2026-11-21T10:00:00.000Z']);
  });
});
