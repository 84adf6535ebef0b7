/**
 * A straggler: someone who still uses (or still holds) an old credential, named as far as the
 * evidence allows. Credential types name them in their usage report (database sessions, IAM key
 * calls, verifier callers); the rollout workflow names the readers CloudTrail shows. Pure: no I/O.
 * Never a secret: identities, addresses, times and where the evidence comes from.
 */

/** One straggler. */
export interface Straggler {
  /** Who: an IAM principal ARN, `user (application name)` of a database session, a verifier caller id. */
  readonly identity: string;
  /** Where from: a client address, a source IP or VPC endpoint, a host. */
  readonly from?: string;
  /** When it was last seen using (or reading) the credential. */
  readonly lastSeen?: Date;
  /** How we know, in words: `3 sessions in pg_stat_activity, backend start ...`. */
  readonly evidence: string;
}

/** A straggler as JSON carries it (workflow state, events): `lastSeen` as ISO 8601. */
export interface StragglerRecord {
  readonly identity: string;
  readonly from?: string;
  readonly lastSeen?: string;
  readonly evidence: string;
}

/** How many stragglers a report carries at most: the rest are counted (Step Functions state is 256 KB). */
export const MAX_STRAGGLERS = 20;

/** The longest text field of a straggler; longer values are cut with `…`. */
const MAX_FIELD = 300;

const cut = (text: string) => (text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD - 1)}…` : text);

/**
 * Stragglers as JSON, most recently seen first, at most {@link MAX_STRAGGLERS}; `omitted` counts the
 * rest.
 *
 * @example
 * ```ts
 * const { stragglers, omitted } = stragglerRecords(report.stragglers ?? []);
 * ```
 */
export function stragglerRecords(stragglers: readonly Straggler[]): {
  stragglers: StragglerRecord[];
  omitted: number;
} {
  const sorted = [...stragglers].sort((a, b) => (b.lastSeen?.getTime() ?? 0) - (a.lastSeen?.getTime() ?? 0));
  return {
    stragglers: sorted.slice(0, MAX_STRAGGLERS).map((straggler) => ({
      identity: cut(straggler.identity),
      ...(straggler.from === undefined ? {} : { from: cut(straggler.from) }),
      ...(straggler.lastSeen === undefined ? {} : { lastSeen: straggler.lastSeen.toISOString() }),
      evidence: cut(straggler.evidence),
    })),
    omitted: Math.max(0, sorted.length - MAX_STRAGGLERS),
  };
}

/**
 * One line naming a straggler: `orders-report (arn:...) from 10.0.1.7, last seen 2026-...: evidence`.
 *
 * @example
 * ```ts
 * describeStraggler({ identity: 'app_clone (billing-api)', from: '10.0.1.7', evidence: '2 sessions' });
 * // 'app_clone (billing-api) from 10.0.1.7: 2 sessions'
 * ```
 */
export function describeStraggler(straggler: StragglerRecord | Straggler): string {
  const lastSeen = straggler.lastSeen instanceof Date ? straggler.lastSeen.toISOString() : straggler.lastSeen;
  return [
    straggler.identity,
    straggler.from === undefined ? '' : ` from ${straggler.from}`,
    lastSeen === undefined ? '' : `, last seen ${lastSeen}`,
    `: ${straggler.evidence}`,
  ].join('');
}

/** The identities of stragglers, for a log line's `stragglers` field (identities only). */
export function stragglerIdentities(stragglers: readonly (StragglerRecord | Straggler)[]): string[] {
  return stragglers.map((straggler) => straggler.identity);
}
