import { MODES } from './postgres-secrets';
import type { ClientSummary, OverlapSummary, RolloutSummary, StrategySummary } from './results';
import type { Timeline } from './timeline';

/**
 * Prints the end of the run: logins per strategy (and why single-user is not zero-downtime), the
 * zero-downtime path's clients, and every rollout with its state transitions and cost. A rollout
 * that failed the way the story expects (the shared key's usage gate keeping a key its clients used
 * seconds before) says so, rather than a bare FAILED.
 */
export function printSummary(
  timeline: Timeline,
  summary: {
    readonly strategies: readonly StrategySummary[];
    readonly clients: readonly ClientSummary[];
    readonly rollouts: readonly RolloutSummary[];
    readonly cacheMs: number;
    readonly adoptAfterMs: number;
    readonly acceptedPrevious: number;
    readonly overlap: OverlapSummary;
  },
): void {
  const out = (text = '') => timeline.line(text);
  out();
  out('strategy           rotations  logins  failed logins');
  for (const s of summary.strategies) {
    out(
      `${s.mode.padEnd(18)} ${`${s.rotations - s.rotationsFailed}/${s.rotations}`.padStart(9)}  ${String(s.logins).padStart(6)}  ${String(s.failedLogins).padStart(13)}`,
    );
  }
  out();
  out('alternating-users keeps the old user valid until the rollout revokes it: no client can fail.');
  out(
    'single-user changes the one password in setSecret: clients holding the old value fail until they re-read',
  );
  out(
    `AWSCURRENT after finishSecret (cache ${summary.cacheMs} ms here). Use alternating-users where downtime matters.`,
  );
  out();
  out('client kind (zero-downtime path)   requests  failed');
  for (const c of summary.clients)
    out(`${c.kind.padEnd(34)} ${String(c.requests).padStart(8)}  ${String(c.failed).padStart(6)}`);
  out();
  const statusWidth = Math.max(9, ...summary.rollouts.map((r) => rolloutStatus(r).length));
  out(
    `secret      rollout  ${'status'.padEnd(statusWidth)}  transitions  usage checks  revoked  Step Functions cost (Standard, $0.025/1k)`,
  );
  for (const r of summary.rollouts) {
    out(
      `${r.secret.padEnd(10)}  ${String(r.round).padStart(7)}  ${rolloutStatus(r).padEnd(statusWidth)}  ${String(r.transitions).padStart(11)}  ${String(r.usageChecks).padStart(12)}  ${(r.revoked ? 'yes' : 'NO').padEnd(7)}  $${r.costUsd.toFixed(6)} per rotation`,
    );
  }
  const o = summary.overlap;
  out();
  out('overlap (a rotation started inside a rollout grace window, clients still on the old user):');
  out(
    `  second rotation: ${o.secondRotation}; retried after the rollout: ${o.retried}; rollouts: ${o.rollouts.map((r) => rolloutStatus(r)).join(', ')}`,
  );
  out(`  clients caching the secret: ${o.logins} logins, ${o.failedLogins} failed`);
  out();
  out(
    `The orders service's clients kept the old shared key for up to ${summary.cacheMs + summary.adoptAfterMs} ms after the rotation (cache + adoption`,
  );
  out(
    `delay) and the verifier accepted it (${summary.acceptedPrevious} accepted-previous requests). The usage gate reads CloudWatch,`,
  );
  out('whose 1-minute periods still show that use here, so it keeps the old key (not revoked, alarm): with');
  out('a production grace window (hours) the gate sees no use and revokes, as it did for PostgreSQL above.');
}

/**
 * `SUCCEEDED`, or `FAILED`; a failure the story expects shows its named outcome, labelled as
 * expected: `OldCredentialStillInUse (expected)`.
 */
function rolloutStatus(rollout: RolloutSummary): string {
  if (rollout.status === 'SUCCEEDED' || !rollout.asExpected || rollout.error === undefined)
    return rollout.status;
  return `${rollout.error.replace(/^Handover\./, '')} (expected)`;
}

/** Every strategy's logins, failures and the window they fell in. */
export function strategySummaries(
  rounds: number,
  failedRotations: ReadonlyMap<string, number>,
  stats: ReadonlyMap<string, { readonly logins: number; readonly failed: readonly number[] }>,
): StrategySummary[] {
  return MODES.map((mode): StrategySummary => {
    const stat = stats.get(mode) ?? { logins: 0, failed: [] };
    const first = stat.failed[0];
    const last = stat.failed.at(-1);
    return {
      mode,
      rotations: rounds,
      rotationsFailed: failedRotations.get(mode) ?? 0,
      logins: stat.logins,
      failedLogins: stat.failed.length,
      failureWindowMs: first === undefined || last === undefined ? 0 : Math.round(last - first),
    };
  });
}
