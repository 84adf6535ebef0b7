import { describe, expect, it } from 'vitest';
import { SHARED_KEY_ENV, sharedKeyOptionsFromEnv } from '../../../../lambdas/credentials/shared-key';
import { ConfigurationError } from '../../../../lambdas/shared/errors';

describe('Function: sharedKeyOptionsFromEnv', () => {
  it('defaults to the Handover namespace and requires verifier heartbeats', () => {
    expect(sharedKeyOptionsFromEnv({})).toEqual({
      metricsNamespace: 'Handover',
      requireVerifierHeartbeat: true,
    });
  });

  it('reads the namespace and the heartbeat requirement', () => {
    expect(
      sharedKeyOptionsFromEnv({
        [SHARED_KEY_ENV.metricsNamespace]: 'Platform/Auth',
        [SHARED_KEY_ENV.requireVerifierHeartbeat]: 'false',
      }),
    ).toEqual({ metricsNamespace: 'Platform/Auth', requireVerifierHeartbeat: false });
  });

  it.each([
    [SHARED_KEY_ENV.requireVerifierHeartbeat, 'yes', /must be one of true, false, got 'yes'/],
    [SHARED_KEY_ENV.metricsNamespace, 'AWS/Lambda', /must be 1 to 255 characters and not start with "AWS\/"/],
    [SHARED_KEY_ENV.metricsNamespace, 'x'.repeat(256), /must be 1 to 255 characters/],
  ])('fails fast naming %s when it is %j', (variable, value, message) => {
    let error: unknown;
    try {
      sharedKeyOptionsFromEnv({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as Error).message).toMatch(message);
  });
});
