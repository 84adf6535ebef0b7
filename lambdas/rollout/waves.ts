import type { ConsumerConfig, RolloutMode } from './contract';

/**
 * Splits consumers into the two waves of a rollout. Scheduled mode: canary consumers first (each
 * updated and verified before anyone else moves), then the rest. Emergency mode: one wave with
 * everyone, since the old credential is already revoked and every consumer still holding it is
 * broken until it moves. Order within a wave is the configuration's.
 *
 * @example
 * ```ts
 * planWaves([{ kind: 'lambda', name: 'a', functionName: 'a', canary: true }, webhook], 'scheduled');
 * // { canary: [a], main: [webhook] }
 * ```
 */
export function planWaves(
  consumers: readonly ConsumerConfig[],
  mode: RolloutMode,
): { canary: ConsumerConfig[]; main: ConsumerConfig[] } {
  if (mode === 'emergency') return { canary: [], main: [...consumers] };
  return {
    canary: consumers.filter((consumer) => consumer.canary === true),
    main: consumers.filter((consumer) => consumer.canary !== true),
  };
}

/**
 * The `Since` instant of each usage check. Check 0 runs at the end of the grace window and looks at
 * its last recheck interval (or the whole window, when it is shorter); check k looks at the
 * interval since check k-1. The instants are planned, not measured: tasks take time, so real
 * checks run slightly later and each window is slightly longer than planned, the safe direction
 * (more usage counts).
 */
export function usageWindows(
  consumersUpdatedAt: Date,
  graceSeconds: number,
  recheckSeconds: number,
  maxChecks: number,
): string[] {
  const start = consumersUpdatedAt.getTime();
  const graceEnd = start + graceSeconds * 1000;
  const windows: string[] = [new Date(Math.max(start, graceEnd - recheckSeconds * 1000)).toISOString()];
  for (let check = 1; check < maxChecks; check += 1) {
    windows.push(new Date(graceEnd + (check - 1) * recheckSeconds * 1000).toISOString());
  }
  return windows;
}
