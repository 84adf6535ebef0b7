import { describe, expect, it } from 'vitest';
import {
  ALL_SERVICES,
  describeTargets,
  everyServiceOnEmulator,
  resolveTargets,
} from '../../support/aws-targets';

describe('Function: resolveTargets', () => {
  it('sends every service to the emulator when no endpoint is set', () => {
    const targets = resolveTargets({});

    expect(ALL_SERVICES.every((service) => targets[service].kind === 'emulator')).toBe(true);
    expect(everyServiceOnEmulator(targets)).toBe(true);
  });

  it('gives every service AWS_ENDPOINT_URL, and a per-service variable wins over it', () => {
    const targets = resolveTargets({
      AWS_ENDPOINT_URL: 'http://general:1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://secrets:2',
    });

    expect(targets.secretsmanager).toEqual({
      service: 'secretsmanager',
      kind: 'given',
      endpoint: 'http://secrets:2',
      source: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    });
    expect(targets.iam).toMatchObject({
      kind: 'given',
      endpoint: 'http://general:1',
      source: 'AWS_ENDPOINT_URL',
    });
    expect(everyServiceOnEmulator(targets)).toBe(false);
  });

  it('keeps the emulator for the services a per-service variable leaves unset', () => {
    const targets = resolveTargets({ AWS_ENDPOINT_URL_IAM: 'http://iam:3' });

    expect(targets.iam.kind).toBe('given');
    expect(targets.sts.kind).toBe('emulator');
    expect(describeTargets(targets)).toHaveLength(ALL_SERVICES.length);
  });

  it('sends the unset services to AWS itself with HANDOVER_TEST_TARGET=aws, and refuses other values naming the variable', () => {
    const targets = resolveTargets({ HANDOVER_TEST_TARGET: 'aws', AWS_ENDPOINT_URL_SNS: 'http://sns:4' });

    expect(targets.secretsmanager).toEqual({
      service: 'secretsmanager',
      kind: 'aws',
      source: 'HANDOVER_TEST_TARGET',
    });
    expect(targets.sns.kind).toBe('given');
    expect(() => resolveTargets({ HANDOVER_TEST_TARGET: 'prod' })).toThrow(
      "HANDOVER_TEST_TARGET must be 'aws' or 'emulator', got 'prod'",
    );
  });
});
