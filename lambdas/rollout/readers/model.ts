/**
 * Who reads a secret: the reads a reader source finds, the readers they make, and what the rollout
 * decides from them. Pure types and the configuration's schema; no SDK, no I/O.
 */
import * as z from 'zod/mini';
import type { TrailPrincipal } from '../../shared/cloudtrail';
import type { StragglerRecord } from '../../shared/stragglers';
import { expectInteger, expectText } from '../consumers/consumer-contract';
import { READER_SOURCE_CONTRACTS, READER_SOURCE_KINDS, type ReaderSourceConfig } from './sources/contracts';

/** One read (or a group of like reads) of a secret. */
export interface SecretRead {
  readonly principal: TrailPrincipal;
  readonly sourceIp?: string;
  readonly vpcEndpointId?: string;
  readonly userAgent?: string;
  /** `requestParameters.versionId`, when the read asked for one. */
  readonly versionId?: string;
  /** `requestParameters.versionStage`, when the read asked for one. */
  readonly versionStage?: string;
  /** The earliest and latest read of the group (the same for one read). */
  readonly first: Date;
  readonly last: Date;
  readonly count: number;
}

/** What a reader source is asked. */
export interface ReadQuery {
  readonly secretArn: string;
  readonly secretName: string;
  readonly start: Date;
  readonly end: Date;
  /**
   * The moment the new version became AWSCURRENT: a source that groups reads keeps those before and
   * after it apart.
   * @default - none (no rotation yet)
   */
  readonly boundary?: Date;
}

/** What a reader source found. */
export interface ReadScan {
  readonly reads: readonly SecretRead[];
  /** `false` when the source stopped before reading everything (a page budget). */
  readonly complete: boolean;
  /** How far back it read, when it stopped early. */
  readonly readBackTo?: Date;
  /** Calls it made (LookupEvents pages, Lake queries). */
  readonly calls: number;
}

/** A reader source: who read a secret, when, from where. */
export interface ReaderSource {
  reads(query: ReadQuery): Promise<ReadScan>;
}

/** What a principal is to this rollout. */
export type ReaderRole =
  /** Handover itself (the rotation or the rollout function). */
  | 'handover'
  /** A principal the policy ignores, with its reason. */
  | 'ignored'
  /** The principal of a declared consumer. */
  | 'declared'
  /** Nobody declared it. */
  | 'undeclared';

/** One principal's reads of the secret, as events and summaries carry it. No secret. */
export interface Reader {
  /** The principal's ARN (the role of an assumed-role session, the user, `service:<name>`). */
  readonly principal: string;
  /** CloudTrail's identity type (`AssumedRole`, `IAMUser`, `Root`, `AWSService`, ...). */
  readonly type: string;
  readonly role: ReaderRole;
  /** For `declared`: the consumers it belongs to; for `ignored`: the reason. */
  readonly note?: string;
  readonly reads: number;
  readonly firstRead: string;
  readonly lastRead: string;
  /** Source IPs and VPC endpoints it read from (at most 5 each). */
  readonly sourceIps: readonly string[];
  readonly vpcEndpoints: readonly string[];
  /** User agents (at most 3). */
  readonly userAgents: readonly string[];
  /** Session names of an assumed role (at most 5): function names, task ids. */
  readonly sessions: readonly string[];
  /** Versions or stages it asked for, when it asked (`AWSCURRENT`, `AWSPREVIOUS`, a version id). */
  readonly requested: readonly string[];
  /** It read the old version (before the rotation, or by its id or AWSPREVIOUS after it). */
  readonly readOld: boolean;
  /** It read the new version (after the rotation, as AWSCURRENT or by the new id). */
  readonly readNew: boolean;
}

/** What the find-readers task returns (`$.readers`): the secret's readers since the previous rotation. */
export interface ReadersReport {
  /** `found`, `off` (no reader source), or `unavailable` (the source failed: the reason says why). */
  readonly status: 'found' | 'off' | 'unavailable';
  /** Where the readers come from, in words. */
  readonly source: string;
  /** ISO 8601: reads since this instant (the previous rotation, at most 90 days back). */
  readonly since: string;
  /** ISO 8601: up to this instant. */
  readonly until: string;
  /** The source read everything in the window. */
  readonly complete: boolean;
  /** Every principal that read, most recent first (at most 20); `omitted` counts the rest. */
  readonly readers: readonly Reader[];
  readonly omitted: number;
  /** The readers no declared consumer, Handover or the policy's ignore list accounts for. */
  readonly undeclared: readonly StragglerRecord[];
  /** Seconds the usage gate waits after the grace window before trusting an absence. */
  readonly deliveryDelaySeconds: number;
  /** One line: what was found. */
  readonly evidence: string;
}

/** What the check-readers task returns: who still holds the old version. */
export interface ReadersGate {
  /** The readers say the old credential may still be held: the gate must not revoke. */
  readonly blocking: boolean;
  /** The absence of stragglers was trusted (CloudTrail's delivery delay has passed, the scan was complete). */
  readonly trusted: boolean;
  /** Principals that read the old version and not the new one since the rotation (not updated consumers). */
  readonly stragglers: readonly StragglerRecord[];
  readonly omitted: number;
  /** One line: what was decided and why. */
  readonly evidence: string;
}

// ---------------------------------------------------------------------------------------------
// The configuration (part of a secret's rollout configuration)
// ---------------------------------------------------------------------------------------------

/** A principal the policy tells the readers check to ignore, and why. */
export interface IgnoredPrincipal {
  /** An ARN, or an ARN pattern ending in `*`. */
  readonly principal: string;
  readonly reason: string;
}

/** A secret's readers check, as the rollout function reads it. */
export interface ReadersConfig {
  readonly source: ReaderSourceConfig;
  /** Seconds after the grace window before an absence in CloudTrail is trusted. */
  readonly deliveryDelaySeconds: number;
  /** Principals that read the secret for Handover (its rotation and rollout functions' roles). */
  readonly handover: readonly string[];
  readonly ignore: readonly IgnoredPrincipal[];
}

const principalList = z.array(expectText('a principal ARN'), { error: 'expected a list of principal ARNs' });

/** The source's configuration: its contract's `config`, with `kind`. */
const sourceSchema = z.discriminatedUnion(
  'kind',
  READER_SOURCE_KINDS.map((kind) =>
    z.object({ kind: z.literal(kind), ...READER_SOURCE_CONTRACTS[kind].config }),
  ) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]],
  { error: `expected kind to be one of ${READER_SOURCE_KINDS.join(', ')}` },
) as unknown as z.ZodMiniType<ReaderSourceConfig>;

/** The schema of {@link ReadersConfig} (the rollout configuration's `readers`). */
export const readersConfigSchema = z.object({
  source: sourceSchema,
  deliveryDelaySeconds: expectInteger(0, 24 * 3600),
  handover: principalList,
  ignore: z.array(z.object({ principal: expectText('a principal ARN'), reason: expectText('a reason') }), {
    error: 'expected a list of { principal, reason }',
  }),
}) as unknown as z.ZodMiniType<ReadersConfig>;

/** Whether `principal` matches an ARN or an ARN pattern ending in `*`. */
export function principalMatches(pattern: string, principal: string): boolean {
  return pattern.endsWith('*') ? principal.startsWith(pattern.slice(0, -1)) : pattern === principal;
}
