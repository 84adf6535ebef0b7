/**
 * From reads to readers, and from readers to decisions: who is undeclared, who still holds the old
 * version. Pure: the tasks (`./tasks.ts`) do the I/O.
 */
import { MAX_STRAGGLERS, type StragglerRecord } from '../../shared/stragglers';
import {
  type IgnoredPrincipal,
  principalMatches,
  type Reader,
  type ReaderRole,
  type SecretRead,
} from './model';

/** Who is who, for this secret. */
export interface KnownPrincipals {
  /** Handover's own functions. */
  readonly handover: readonly string[];
  readonly ignore: readonly IgnoredPrincipal[];
  /** Declared consumers' principals (ARNs or patterns ending in `*`), each with its consumers' names. */
  readonly declared: ReadonlyMap<string, readonly string[]>;
}

/** The versions a read is judged against. */
export interface VersionBoundary {
  /** When the new version became AWSCURRENT; unknown before the rotation. */
  readonly boundary?: Date;
  readonly oldVersionId?: string;
  readonly newVersionId?: string;
}

const LIMIT = { ips: 5, endpoints: 5, agents: 3, sessions: 5, requested: 5 } as const;

/** Which versions one read (group) returned: the old one, the new one, both, or neither. */
export function versionsRead(read: SecretRead, versions: VersionBoundary): { old: boolean; fresh: boolean } {
  const { boundary, oldVersionId, newVersionId } = versions;
  if (read.versionId !== undefined) {
    return { old: read.versionId === oldVersionId, fresh: read.versionId === newVersionId };
  }
  if (read.versionStage === 'AWSPENDING') return { old: false, fresh: false };
  if (read.versionStage === 'AWSPREVIOUS') return { old: true, fresh: false };
  // AWSCURRENT, asked for or by default: the version that was current at the time of the read.
  if (boundary === undefined) return { old: true, fresh: false };
  return { old: read.first < boundary, fresh: read.last >= boundary };
}

/** What a principal is to this rollout, and a note (the consumers, the reason it is ignored). */
export function roleOf(principal: string, known: KnownPrincipals): { role: ReaderRole; note?: string } {
  if (known.handover.some((pattern) => principalMatches(pattern, principal))) return { role: 'handover' };
  const ignored = known.ignore.find((entry) => principalMatches(entry.principal, principal));
  if (ignored !== undefined) return { role: 'ignored', note: ignored.reason };
  const consumers = [...known.declared].flatMap(([pattern, names]) =>
    principalMatches(pattern, principal) ? names : [],
  );
  if (consumers.length > 0) return { role: 'declared', note: [...new Set(consumers)].join(', ') };
  return { role: 'undeclared' };
}

const add = (list: string[], value: string | undefined, limit: number) => {
  if (value !== undefined && !list.includes(value) && list.length < limit) list.push(value);
};

/**
 * Groups reads by principal into readers, most recent first. Each reader says which versions it
 * read (judged against `versions`) and what it is to this rollout.
 *
 * @example
 * ```ts
 * const readers = readersOf(scan.reads, known, { boundary: new Date(rotation.completedAt) });
 * ```
 */
export function readersOf(
  reads: readonly SecretRead[],
  known: KnownPrincipals,
  versions: VersionBoundary,
): Reader[] {
  const byPrincipal = new Map<
    string,
    {
      type: string;
      reads: number;
      first: Date;
      last: Date;
      ips: string[];
      endpoints: string[];
      agents: string[];
      sessions: string[];
      requested: string[];
      old: boolean;
      fresh: boolean;
    }
  >();
  for (const read of reads) {
    const key = read.principal.arn;
    const entry = byPrincipal.get(key) ?? {
      type: read.principal.type,
      reads: 0,
      first: read.first,
      last: read.last,
      ips: [],
      endpoints: [],
      agents: [],
      sessions: [],
      requested: [],
      old: false,
      fresh: false,
    };
    entry.reads += read.count;
    if (read.first < entry.first) entry.first = read.first;
    if (read.last > entry.last) entry.last = read.last;
    add(entry.ips, read.sourceIp, LIMIT.ips);
    add(entry.endpoints, read.vpcEndpointId, LIMIT.endpoints);
    add(entry.agents, read.userAgent, LIMIT.agents);
    add(entry.sessions, read.principal.session, LIMIT.sessions);
    add(entry.requested, read.versionId ?? read.versionStage, LIMIT.requested);
    const judged = versionsRead(read, versions);
    entry.old ||= judged.old;
    entry.fresh ||= judged.fresh;
    byPrincipal.set(key, entry);
  }
  return [...byPrincipal]
    .map(([principal, entry]): Reader => {
      const { role, note } = roleOf(principal, known);
      return {
        principal,
        type: entry.type,
        role,
        ...(note === undefined ? {} : { note }),
        reads: entry.reads,
        firstRead: entry.first.toISOString(),
        lastRead: entry.last.toISOString(),
        sourceIps: entry.ips,
        vpcEndpoints: entry.endpoints,
        userAgents: entry.agents,
        sessions: entry.sessions,
        requested: entry.requested,
        readOld: entry.old,
        readNew: entry.fresh,
      };
    })
    .sort((a, b) => b.lastRead.localeCompare(a.lastRead));
}

/** Where a reader read from: source IPs and VPC endpoints. */
function whereFrom(reader: Reader): string | undefined {
  const places = [...reader.sourceIps, ...reader.vpcEndpoints.map((endpoint) => `VPC endpoint ${endpoint}`)];
  return places.length === 0 ? undefined : places.join(', ');
}

/** The identity of a reader: its principal, and the sessions of an assumed role. */
function identityOf(reader: Reader): string {
  return reader.sessions.length === 0
    ? reader.principal
    : `${reader.principal} (sessions ${reader.sessions.join(', ')})`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** A reader as a straggler record, with `evidence` saying what it did. */
export function readerStraggler(reader: Reader, what: string): StragglerRecord {
  const from = whereFrom(reader);
  const full = reader.userAgents[0];
  // The client and its version say enough; the rest of a user agent (platform, features) is noise here.
  const agent = full === undefined || full.length <= 60 ? full : `${full.slice(0, 59)}…`;
  const requested = reader.requested.length === 0 ? '' : `, asked for ${reader.requested.join(', ')}`;
  return {
    identity: identityOf(reader),
    ...(from === undefined ? {} : { from }),
    lastSeen: reader.lastRead,
    evidence: `${what}: ${plural(reader.reads, 'GetSecretValue')} (CloudTrail), first ${reader.firstRead}${requested}${agent === undefined ? '' : `, user agent ${agent}`}`,
  };
}

/** At most {@link MAX_STRAGGLERS} of `records`, and how many were left out. */
export function bounded<T>(records: readonly T[]): { items: T[]; omitted: number } {
  return {
    items: records.slice(0, MAX_STRAGGLERS),
    omitted: Math.max(0, records.length - MAX_STRAGGLERS),
  };
}

/**
 * The readers that still hold the old version: they read it, have not read the new one since the
 * rotation, and are neither Handover, ignored, nor a declared consumer the rollout updated.
 */
export function stragglersAmong(readers: readonly Reader[], updatedConsumers: ReadonlySet<string>): Reader[] {
  return readers.filter((reader) => {
    if (reader.role === 'handover' || reader.role === 'ignored') return false;
    if (!reader.readOld || reader.readNew) return false;
    if (reader.role === 'declared') {
      const consumers = (reader.note ?? '').split(', ');
      return !consumers.some((consumer) => updatedConsumers.has(consumer));
    }
    return true;
  });
}
