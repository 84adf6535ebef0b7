import { describe, expect, it } from 'vitest';
import { runSandbox } from '../../local/sandbox';

describe('Sandbox: npm start', () => {
  it('rotates both strategies while clients log in, with zero failed logins for alternating-users', async () => {
    const result = await runSandbox({ rounds: 2, clientsPerStrategy: 2, print: false });

    const byMode = Object.fromEntries(result.strategies.map((s) => [s.mode, s]));
    for (const summary of result.strategies) {
      expect(summary.rotationsFailed).toBe(0);
      expect(summary.logins).toBeGreaterThan(20);
    }
    expect(byMode['alternating-users']?.failedLogins).toBe(0);
    // Single-user's failures, if any, fall inside the rotation windows, never all run long.
    expect(byMode['single-user']?.failedLogins).toBeLessThan(byMode['single-user']?.logins ?? 0);
  });
});
