import { describe, expect, it } from 'vitest';
import { iamAccessKeyOptionsFromEnv } from '../../../../lambdas/credentials/iam-access-key';
import { ConfigurationError } from '../../../../lambdas/shared/errors';

describe('Function: iamAccessKeyOptionsFromEnv', () => {
  it('uses the defaults when no variable is set', () => {
    expect(iamAccessKeyOptionsFromEnv({})).toEqual({ testTimeoutMs: 30_000, activePreviousKey: 'fail' });
  });

  it('reads the test timeout and the active previous key policy', () => {
    expect(
      iamAccessKeyOptionsFromEnv({
        HANDOVER_IAM_TEST_TIMEOUT_MS: '5000',
        HANDOVER_IAM_ACTIVE_PREVIOUS_KEY: 'delete',
      }),
    ).toEqual({ testTimeoutMs: 5000, activePreviousKey: 'delete' });
  });

  it.each([
    ['HANDOVER_IAM_TEST_TIMEOUT_MS', 'soon'],
    ['HANDOVER_IAM_TEST_TIMEOUT_MS', '-1'],
    ['HANDOVER_IAM_TEST_TIMEOUT_MS', '900001'],
    ['HANDOVER_IAM_TEST_TIMEOUT_MS', '12.5'],
    ['HANDOVER_IAM_ACTIVE_PREVIOUS_KEY', 'deactivate'],
  ])('fails with a ConfigurationError naming %s when it is %s', (variable, value) => {
    const error = (() => {
      try {
        iamAccessKeyOptionsFromEnv({ [variable]: value });
      } catch (e) {
        return e;
      }
      throw new Error('expected an error');
    })();

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as ConfigurationError).message).toContain(`got '${value}'`);
  });
});
