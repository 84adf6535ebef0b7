import { describe, expect, it } from 'vitest';
import { sharedKeyOptionsFromEnv } from '../../../../lambdas/credentials/shared-key';
import { ConfigurationError } from '../../../../lambdas/shared/errors';

const NAMESPACE = 'HANDOVER_SHARED_KEY_METRICS_NAMESPACE';
const HEARTBEAT = 'HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT';

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
        [NAMESPACE]: 'Platform/Auth',
        [HEARTBEAT]: 'false',
      }),
    ).toEqual({ metricsNamespace: 'Platform/Auth', requireVerifierHeartbeat: false });
  });

  it.each([
    [HEARTBEAT, 'yes', /^HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT must be true or false, got 'yes'$/],
    [NAMESPACE, 'AWS/Lambda', /must be 1 to 255 characters, not starting with "AWS\/", got 'AWS\/Lambda'$/],
    [NAMESPACE, 'x'.repeat(256), /must be 1 to 255 characters/],
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
