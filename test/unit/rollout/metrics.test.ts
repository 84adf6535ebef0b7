import { describe, expect, it } from 'vitest';
import { createRolloutMetrics } from '../../../lambdas/rollout/metrics';
import { captureEmf } from '../../support/emitted-metrics';

const metrics = (emit: (recorder: ReturnType<typeof createRolloutMetrics>) => void) =>
  captureEmf(() => emit(createRolloutMetrics()));

describe('Function: createRolloutMetrics', () => {
  it('publishes a consumer failure per credential type and per consumer', async () => {
    // WHEN
    const emitted = await metrics((recorder) => recorder.consumerUpdateFailed('postgres', 'orders-api'));

    // THEN
    expect(emitted.map(({ name, dimensions, values }) => ({ name, dimensions, values }))).toEqual([
      {
        name: 'ConsumerUpdateFailed',
        dimensions: ['credential_type', 'service'],
        values: { service: 'handover-test', credential_type: 'postgres' },
      },
      {
        name: 'ConsumerUpdateFailed',
        dimensions: ['consumer', 'service'],
        values: { service: 'handover-test', consumer: 'orders-api' },
      },
    ]);
  });

  it('publishes EmergencyRollout with the credential type', async () => {
    // WHEN
    const emitted = await metrics((recorder) => recorder.emergencyRollout('iam-access-key'));

    // THEN
    expect(emitted).toEqual([
      {
        namespace: 'HandoverTest',
        name: 'EmergencyRollout',
        dimensions: ['credential_type', 'service'],
        values: { service: 'handover-test', credential_type: 'iam-access-key' },
      },
    ]);
  });
});
