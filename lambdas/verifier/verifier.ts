import { HandoverError } from '../shared/errors';
import { createLogger, type StructuredLogger } from '../shared/observability';
import { fingerprint, redact } from '../shared/redaction';
import { systemClock, type VerifierClock, type VerifierTimer } from './clock';
import {
  REJECTION_OUTCOMES,
  type RejectionOutcome,
  SHARED_KEY_CREDENTIAL_TYPE,
  VERIFIER_DEFAULTS,
  VERIFIER_LIMITS,
  zeroRejectionCounts,
} from './constants';
import {
  type AuthDecision,
  type KeyEntry,
  KeyRing,
  type KeyRingVersion,
  type PreviousKeyGate,
  RetiredKeys,
} from './key-ring';
import { type LoadedVersions, loadVersions, type VerifierSecretsClient } from './loader';
import {
  createEmfMetricsSink,
  type KeyAccepts,
  mergeSnapshots,
  type VerifierMetricsSink,
  type VerifierMetricsSnapshot,
} from './metrics';
import { RejectionLogLimiter } from './rejection-log';

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The shared-key secret: name or ARN. */
  readonly secretId: string;
  /**
   * The Secrets Manager client (only `send` is used: DescribeSecret and GetSecretValue). Called by
   * the background refresh only, never on the request path.
   */
  readonly client: VerifierSecretsClient;
  /**
   * How often the keys are re-read in the background, in milliseconds (1 s to 24 h). A steady-state
   * refresh is one DescribeSecret call; a new version costs one GetSecretValue more. This is the
   * longest a verifier can take to accept a new key or to stop accepting a revoked one.
   * @default 60000
   */
  readonly refreshIntervalMs?: number;
  /**
   * Each refresh delay is `refreshIntervalMs` × (1 ± `refreshJitter`), uniformly, so a fleet started
   * together does not call Secrets Manager in lockstep. From 0 to 0.5.
   * @default 0.1
   */
  readonly refreshJitter?: number;
  /**
   * Whether the AWSPREVIOUS key is accepted: `true` while it is AWSPREVIOUS (the rollout workflow
   * ends the grace window by removing the label: `revoke`), `false` never, or a date until which it
   * is accepted (after it, the previous key is `rejected-revoked` even while still labelled).
   * @default true
   */
  readonly graceAcceptPrevious?: boolean | Date;
  /**
   * Bounded staleness, in milliseconds: when no refresh has succeeded for longer than this (Secrets
   * Manager unreachable, KMS or IAM access broken), the AWSPREVIOUS key is answered `rejected-stale`,
   * because a revocation (AWSPREVIOUS removed, e.g. in an emergency) may have happened unseen. The
   * AWSCURRENT key keeps being accepted, for availability. The previous key is accepted again from
   * the first successful refresh. At least 2 × `refreshIntervalMs` × (1 + `refreshJitter`), so one
   * failed refresh alone never rejects it. Alarm on `VerifierConsecutiveRefreshFailures` to hear of
   * failing refreshes well before this bound is reached.
   * @default - 15 minutes, or 3 × `refreshIntervalMs` × (1 + `refreshJitter`) when that is longer
   */
  readonly maxStalenessMs?: number;
  /**
   * Structured logger: one line per (rate-limited) rejection, per key change and per refresh failure.
   * Accepts are never logged.
   * @default - a Powertools Logger (JSON lines on stdout)
   */
  readonly logger?: StructuredLogger;
  /**
   * Where the counters go on every flush.
   * @default - EMF lines on stdout through Powertools Metrics, namespace `Handover` ({@link createEmfMetricsSink})
   */
  readonly metrics?: VerifierMetricsSink;
  /**
   * How often counters are flushed to `metrics`, in milliseconds (1 s to 24 h).
   * @default 60000
   */
  readonly metricsFlushIntervalMs?: number;
  /**
   * Time and timers.
   * @default - the system clock; timers are unref'd
   */
  readonly clock?: VerifierClock;
  /**
   * Uniform random numbers in [0, 1) for the jitter.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Rejection log rate limit: at most this many rejection lines per window in total. A window is one
   * metrics flush interval: within it, the first rejection per (reason, key id) is logged and
   * repeats are counted; the flush logs one summary of what was suppressed.
   * @default 100
   */
  readonly rejectionLogMaxLines?: number;
  /**
   * How many retired key ids are remembered, to answer `rejected-revoked` rather than
   * `rejected-unknown`.
   * @default 32
   */
  readonly retiredKeyIds?: number;
  /**
   * A well-formed key whose id the verifier does not know may be a key rotated in since the last
   * refresh: the verifier then schedules an early background refresh (the request itself is still
   * rejected, synchronously; the refresh runs on a timer, after it), at most once per this many
   * milliseconds (1 s to 24 h). `false` turns it off.
   * @default 10000
   */
  readonly unknownKeyRefreshMinIntervalMs?: number | false;
  /**
   * Name who still presents the AWSPREVIOUS key: the field of `verify`'s context that identifies
   * the caller (a header you put there such as `client_id`, or the source address,
   * `remote_address`). Accepts of the previous key are then also counted per caller and published
   * as `PreviousKeyAccepted` with a `caller` dimension, which the rotation's usage check reads to
   * name the stragglers. Bounded: at most `max` callers per flush window per key (the rest count as
   * `other`); values are cut to 64 characters of `A-Z a-z 0-9 . _ : @ / -` (anything else becomes
   * `_`), and a value that looks like a shared key is never used (`redacted`). Current-key accepts
   * are never counted per caller.
   * @default - callers are not named
   */
  readonly callers?: { readonly field: string; readonly max?: number };
}

/** Caller-supplied fields added to a rejection's log line (client address, route, ...). */
export type RejectionContext = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a verifier currently accepts and how fresh that is. No secrets. */
export interface VerifierStatus {
  readonly secretArn: string;
  readonly secretName: string;
  readonly currentKeyId: string;
  readonly currentVersionId: string;
  readonly previousKeyId?: string;
  readonly previousVersionId?: string;
  /** Whether a presented AWSPREVIOUS key is accepted right now. */
  readonly previousAccepted: boolean;
  /**
   * Whether the keys are older than `maxStalenessMs` (no refresh succeeded for that long): the
   * AWSPREVIOUS key is then answered `rejected-stale`.
   */
  readonly stale: boolean;
  /** The bound on the keys' age beyond which the AWSPREVIOUS key is rejected, in milliseconds. */
  readonly maxStalenessMs: number;
  /** Recently retired key ids (answered `rejected-revoked`), oldest first. */
  readonly retiredKeyIds: readonly string[];
  /** When the last refresh attempt ended (epoch ms). */
  readonly lastRefreshAt: number;
  /** When the keys were last read successfully (epoch ms). */
  readonly lastSuccessAt: number;
  /** Failed refreshes since the last success. */
  readonly consecutiveFailures: number;
}

/** A running verifier. */
export interface Verifier {
  /**
   * Decides one presented key. Synchronous: no I/O, no await, no AWS call; the keys come from
   * memory. Accepts are counted, not logged; rejections are counted and logged (rate-limited).
   * `context` fields are added to a rejection's log line.
   */
  verify(presented: string | undefined, context?: RejectionContext): AuthDecision;
  /**
   * Re-reads the keys now (the background timer does this on its own). Resolves `true` on success;
   * on failure the last good keys stay in use and it resolves `false` (the failure is logged and
   * counted). Concurrent calls share one refresh.
   */
  refresh(): Promise<boolean>;
  /** Publishes the counters now (the flush timer does this on its own). */
  flushMetrics(): Promise<void>;
  /** What the verifier accepts now. */
  status(): VerifierStatus;
  /** Stops the timers, waits for a refresh in flight and flushes the counters one last time. */
  close(): Promise<void>;
}

const REASON: Record<RejectionOutcome, string> = {
  'rejected-unknown': 'the key id is not the AWSCURRENT or AWSPREVIOUS key of the secret',
  'rejected-revoked':
    'the key was AWSPREVIOUS and is no longer accepted (revoked, or replaced by a later rotation)',
  'rejected-stale': 'the keys are too old to know whether the AWSPREVIOUS key is still valid',
  'rejected-malformed': 'not a shared key: expected hk_<12 base32 characters>_<43 base62 characters>',
};

interface ResolvedOptions {
  readonly refreshIntervalMs: number;
  readonly refreshJitter: number;
  readonly metricsFlushIntervalMs: number;
  readonly rejectionLogMaxLines: number;
  readonly retiredKeyIds: number;
  readonly unknownKeyRefreshMinIntervalMs: number | false;
  readonly graceUntil: number;
  readonly maxStalenessMs: number;
  readonly callers: { readonly field: string; readonly max: number } | undefined;
}

function resolveOptions(options: VerifierOptions): ResolvedOptions {
  const problems: string[] = [];
  const interval = (name: keyof VerifierOptions, fallback: number): number => {
    const value = (options[name] as number | undefined) ?? fallback;
    if (
      !Number.isInteger(value) ||
      value < VERIFIER_LIMITS.minIntervalMs ||
      value > VERIFIER_LIMITS.maxIntervalMs
    ) {
      problems.push(
        `${name} must be an integer from ${VERIFIER_LIMITS.minIntervalMs} to ${VERIFIER_LIMITS.maxIntervalMs}, got ${value}`,
      );
    }
    return value;
  };
  const positive = (name: keyof VerifierOptions, fallback: number): number => {
    const value = (options[name] as number | undefined) ?? fallback;
    if (!Number.isInteger(value) || value < 1)
      problems.push(`${name} must be a positive integer, got ${value}`);
    return value;
  };
  if (typeof options.secretId !== 'string' || options.secretId === '') {
    problems.push('secretId must be a non-empty string');
  }
  if (typeof options.client?.send !== 'function') problems.push('client must be a Secrets Manager client');
  const refreshIntervalMs = interval('refreshIntervalMs', VERIFIER_DEFAULTS.refreshIntervalMs);
  const refreshJitter = options.refreshJitter ?? VERIFIER_DEFAULTS.refreshJitter;
  if (!(refreshJitter >= 0 && refreshJitter <= 0.5)) {
    problems.push(`refreshJitter must be from 0 to 0.5, got ${refreshJitter}`);
  }
  const metricsFlushIntervalMs = interval('metricsFlushIntervalMs', VERIFIER_DEFAULTS.metricsFlushIntervalMs);
  const rejectionLogMaxLines = positive('rejectionLogMaxLines', VERIFIER_DEFAULTS.rejectionLogMaxLines);
  const retiredKeyIds = positive('retiredKeyIds', VERIFIER_DEFAULTS.retiredKeyIds);
  const unknown = options.unknownKeyRefreshMinIntervalMs ?? VERIFIER_DEFAULTS.unknownKeyRefreshMinIntervalMs;
  const unknownKeyRefreshMinIntervalMs =
    unknown === false ? false : interval('unknownKeyRefreshMinIntervalMs', unknown);
  const grace = options.graceAcceptPrevious ?? true;
  let graceUntil = Number.POSITIVE_INFINITY;
  if (grace === false) graceUntil = Number.NEGATIVE_INFINITY;
  else if (grace instanceof Date) {
    graceUntil = grace.getTime();
    if (Number.isNaN(graceUntil)) problems.push('graceAcceptPrevious must be a boolean or a valid Date');
  } else if (grace !== true) problems.push('graceAcceptPrevious must be a boolean or a valid Date');
  const maxStalenessMs = stalenessBound(options.maxStalenessMs, refreshIntervalMs, refreshJitter, problems);
  let callers: ResolvedOptions['callers'];
  if (options.callers !== undefined) {
    const max = options.callers.max ?? VERIFIER_DEFAULTS.callersPerKey;
    if (typeof options.callers.field !== 'string' || options.callers.field === '') {
      problems.push('callers.field must name a field of the verify context, e.g. client_id');
    }
    if (!Number.isInteger(max) || max < 1 || max > VERIFIER_LIMITS.maxCallersPerKey) {
      problems.push(
        `callers.max must be an integer from 1 to ${VERIFIER_LIMITS.maxCallersPerKey}, got ${max}`,
      );
    }
    callers = { field: options.callers.field, max };
  }
  if (problems.length > 0) throw new HandoverError(`invalid verifier options: ${problems.join('; ')}`);
  return {
    refreshIntervalMs,
    refreshJitter,
    metricsFlushIntervalMs,
    rejectionLogMaxLines,
    retiredKeyIds,
    unknownKeyRefreshMinIntervalMs,
    graceUntil,
    maxStalenessMs,
    callers,
  };
}

/** A caller identity as a metric dimension value: bounded, and never a key. */
export function callerValue(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return 'unknown';
  const text = String(value);
  if (text === '') return 'unknown';
  if (/hk_[A-Za-z0-9]/.test(text)) return 'redacted';
  return text.slice(0, 64).replace(/[^A-Za-z0-9._:@/-]/g, '_');
}

/** `maxStalenessMs`, or its default; a problem is added when an explicit value is too short. */
function stalenessBound(
  value: number | undefined,
  refreshIntervalMs: number,
  refreshJitter: number,
  problems: string[],
): number {
  const longestInterval = Math.ceil(refreshIntervalMs * (1 + refreshJitter));
  if (value === undefined) return Math.max(VERIFIER_DEFAULTS.maxStalenessMs, 3 * longestInterval);
  const minimum = 2 * longestInterval;
  if (!Number.isInteger(value) || value < minimum) {
    problems.push(
      `maxStalenessMs must be an integer of at least 2 × refreshIntervalMs × (1 + refreshJitter) = ${minimum}, got ${value}`,
    );
  }
  return value;
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Creates a verifier for an internal shared key: the library a SERVICE uses to accept the key that
 * Handover rotates. It reads the secret's AWSCURRENT and AWSPREVIOUS keys once (the returned promise
 * rejects if that first read fails), then keeps them in memory and refreshes them in the background
 * (unref'd, jittered timer; a failed refresh keeps the last good keys and is logged and counted).
 *
 * `verify` is synchronous and never touches the network: it accepts the AWSCURRENT key, and the
 * AWSPREVIOUS key during the grace window while the keys are fresh (a refresh succeeded within
 * `maxStalenessMs`), comparing in constant time, and returns a structured {@link AuthDecision}:
 * `accepted-current`, `accepted-previous`, `rejected-unknown`, `rejected-revoked`, `rejected-stale`
 * or `rejected-malformed`, with the key id and version id. Counters (previous-key
 * accepts, rejections by reason) are flushed as metrics periodically; the shared-key strategy's
 * `inUse` reads the previous-key accepts before the old key is revoked.
 *
 * Permissions: `secretsmanager:DescribeSecret` and `secretsmanager:GetSecretValue` on the secret
 * (plus `kms:Decrypt` for a customer managed key); `cloudwatch:PutMetricData` with the CloudWatch sink.
 *
 * @example
 * ```ts
 * import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
 * import { createVerifier, parseBearer } from 'handover/lambdas/verifier';
 *
 * const verifier = await createVerifier({ secretId: 'prod/orders/api-key', client: new SecretsManagerClient({}) });
 * const decision = verifier.verify(parseBearer(request.headers.authorization));
 * if (!decision.accepted) return reply(401, { error: 'unauthorized', outcome: decision.outcome, key_id: decision.keyId });
 * ```
 */
export async function createVerifier(options: VerifierOptions): Promise<Verifier> {
  const resolved = resolveOptions(options);
  const logger = options.logger ?? createLogger();
  const sink = options.metrics ?? createEmfMetricsSink();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  let loaded: LoadedVersions;
  try {
    loaded = await loadVersions(options.client, options.secretId, new Map());
  } catch (error) {
    throw new HandoverError(
      `verifier: could not load the keys of secret ${options.secretId}: ${reasonOf(error)}`,
      { cause: error },
    );
  }
  return new RunningVerifier(options, resolved, logger, sink, clock, random, loaded);
}

class RunningVerifier implements Verifier {
  readonly #options: VerifierOptions;
  readonly #resolved: ResolvedOptions;
  readonly #logger: StructuredLogger;
  readonly #sink: VerifierMetricsSink;
  readonly #clock: VerifierClock;
  readonly #random: () => number;
  readonly #retired: RetiredKeys;
  readonly #limiter: RejectionLogLimiter;
  readonly #graceOpen: () => boolean;
  /** Asked by the ring for a presented AWSPREVIOUS key only: grace window, then staleness. */
  readonly #previousGate: PreviousKeyGate;
  #ring: KeyRing;
  #loaded: LoadedVersions;
  #known: Map<string, KeyRingVersion>;
  /** Entries whose accepts have not been flushed yet (current ring, and rings swapped out since). */
  readonly #unflushed = new Set<KeyEntry>();
  #rejections = zeroRejectionCounts();
  /** Previous-key accepts per key id and caller since the last flush (bounded per key). */
  #previousCallers = new Map<string, Map<string, number>>();
  #refreshFailures = 0;
  #pendingSnapshot: VerifierMetricsSnapshot | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #inflight: Promise<boolean> | undefined;
  #refreshTimer: VerifierTimer | undefined;
  #flushTimer: VerifierTimer | undefined;
  #soonTimer: VerifierTimer | undefined;
  #unblockTimer: VerifierTimer | undefined;
  /** Set while an early refresh for an unknown key id ran less than the minimum interval ago. */
  #unknownRefreshBlocked = false;
  #lastRefreshAt: number;
  #lastSuccessAt: number;
  /** `#lastSuccessAt` + `maxStalenessMs`: from then on the AWSPREVIOUS key is `rejected-stale`. */
  #staleAfter: number;
  #consecutiveFailures = 0;
  #closed = false;

  constructor(
    options: VerifierOptions,
    resolved: ResolvedOptions,
    logger: StructuredLogger,
    sink: VerifierMetricsSink,
    clock: VerifierClock,
    random: () => number,
    loaded: LoadedVersions,
  ) {
    this.#options = options;
    this.#resolved = resolved;
    this.#logger = logger;
    this.#sink = sink;
    this.#clock = clock;
    this.#random = random;
    this.#retired = new RetiredKeys(resolved.retiredKeyIds);
    this.#limiter = new RejectionLogLimiter(resolved.rejectionLogMaxLines);
    const until = resolved.graceUntil;
    this.#graceOpen =
      until === Number.POSITIVE_INFINITY
        ? () => true
        : until === Number.NEGATIVE_INFINITY
          ? () => false
          : () => clock.now() < until;
    const graceOpen = this.#graceOpen;
    // One clock read, on the previous-key path only: the AWSCURRENT key never waits on it.
    this.#previousGate = () => (graceOpen() ? clock.now() <= this.#staleAfter || 'stale' : false);
    this.#loaded = loaded;
    this.#ring = new KeyRing(loaded.current, loaded.previous, this.#retired);
    this.#known = RunningVerifier.#versionsOf(loaded);
    for (const entry of this.#ring.entries()) this.#unflushed.add(entry);
    this.#lastRefreshAt = this.#lastSuccessAt = clock.now();
    this.#staleAfter = this.#lastSuccessAt + resolved.maxStalenessMs;
    this.#logger.info('shared key verifier ready', {
      ...this.#keyFields(),
      ...(loaded.previousProblem === undefined ? {} : { previous_problem: loaded.previousProblem }),
      grace: this.#graceDescription(),
      max_staleness_ms: resolved.maxStalenessMs,
    });
    this.#scheduleRefresh();
    this.#scheduleFlush();
  }

  static #versionsOf(loaded: LoadedVersions): Map<string, KeyRingVersion> {
    const versions = new Map([[loaded.current.versionId, loaded.current]]);
    if (loaded.previous !== undefined) versions.set(loaded.previous.versionId, loaded.previous);
    return versions;
  }

  verify(presented: string | undefined, context?: RejectionContext): AuthDecision {
    const ring = this.#ring;
    const decision = ring.decide(presented, this.#previousGate);
    if (!decision.accepted) this.#rejected(ring, decision, presented, context);
    else if (decision.outcome === 'accepted-previous' && this.#resolved.callers !== undefined) {
      this.#countCaller(decision.keyId ?? '', context?.[this.#resolved.callers.field]);
    }
    return decision;
  }

  /** Counts a previous-key accept for its caller; beyond the bound, as `other`. Off the current-key path. */
  #countCaller(keyId: string, value: unknown): void {
    const max = this.#resolved.callers?.max ?? 0;
    let callers = this.#previousCallers.get(keyId);
    if (callers === undefined) {
      callers = new Map();
      this.#previousCallers.set(keyId, callers);
    }
    let caller = callerValue(value);
    if (!callers.has(caller) && callers.size >= max) caller = 'other';
    const seen = callers.get(caller);
    callers.set(caller, (seen ?? 0) + 1);
    if (seen === undefined) {
      this.#logger.info('shared key accepted with the previous key', {
        credential_type: SHARED_KEY_CREDENTIAL_TYPE,
        secret_name: this.#loaded.name,
        outcome: 'accepted-previous',
        key_id: keyId,
        caller,
        log_window_ms: this.#resolved.metricsFlushIntervalMs,
      });
    }
  }

  /** Counts a rejection, logs it within the rate limit, and asks for an early refresh if useful. */
  #rejected(
    ring: KeyRing,
    decision: AuthDecision,
    presented: unknown,
    context: RejectionContext | undefined,
  ): void {
    const outcome = decision.outcome as RejectionOutcome;
    this.#rejections[outcome] += 1;
    const keyId = decision.keyId;
    const unknownId = outcome === 'rejected-unknown' && keyId !== undefined && !ring.has(keyId);
    // An unknown id may be a key rotated in since the last refresh; stale keys need a refresh too.
    if ((unknownId || outcome === 'rejected-stale') && !this.#unknownRefreshBlocked) this.#refreshSoon();
    if (this.#limiter.admit(outcome, keyId)) {
      this.#logRejection(decision, outcome, !unknownId, presented, context);
    }
  }

  #logRejection(
    decision: AuthDecision,
    outcome: RejectionOutcome,
    knownId: boolean,
    presented: unknown,
    context: RejectionContext | undefined,
  ): void {
    let reason = REASON[outcome];
    if (outcome === 'rejected-unknown' && knownId) {
      reason = 'the key id is known but the secret part does not match';
    } else if (outcome === 'rejected-revoked' && decision.keyId === this.#ring.previous?.keyId) {
      reason = `the grace window for the AWSPREVIOUS key is closed (${this.#graceDescription()})`;
    }
    let staleness = {};
    if (outcome === 'rejected-stale') {
      const age = this.#clock.now() - this.#lastSuccessAt;
      staleness = this.#stalenessFields(age);
      reason = `no key refresh has succeeded for ${age} ms (maxStalenessMs ${this.#resolved.maxStalenessMs}): the AWSPREVIOUS key is not accepted until one does, since it may have been revoked meanwhile; the AWSCURRENT key still is`;
    }
    this.#logger.warn('shared key rejected', {
      ...context,
      credential_type: SHARED_KEY_CREDENTIAL_TYPE,
      secret_id: this.#loaded.arn,
      secret_name: this.#loaded.name,
      outcome,
      reason,
      ...(decision.keyId === undefined
        ? {}
        : { key_id: decision.keyId, key_fingerprint: fingerprint(decision.keyId) }),
      ...(decision.versionId === undefined ? {} : { version_id: decision.versionId }),
      // The length (never the value) tells a key with a trailing newline from a truncated one.
      ...(outcome === 'rejected-malformed'
        ? { presented_length: typeof presented === 'string' ? presented.length : 0 }
        : {}),
      ...staleness,
      log_window_ms: this.#resolved.metricsFlushIntervalMs,
    });
  }

  /** What a log line says about the keys' age. */
  #stalenessFields(keysAgeMs: number): {
    keys_age_ms: number;
    max_staleness_ms: number;
    consecutive_failures: number;
  } {
    return {
      keys_age_ms: keysAgeMs,
      max_staleness_ms: this.#resolved.maxStalenessMs,
      consecutive_failures: this.#consecutiveFailures,
    };
  }

  /** How the grace window is set, for log lines. */
  #graceDescription(): string {
    const until = this.#resolved.graceUntil;
    if (until === Number.POSITIVE_INFINITY) return 'while AWSPREVIOUS is labelled';
    if (until === Number.NEGATIVE_INFINITY) return 'previous keys are not accepted';
    return `until ${new Date(until).toISOString()}`;
  }

  /**
   * Schedules an early refresh for an unknown key id, then blocks further ones for the configured
   * interval (a flag and a timer: no clock read on the request path).
   */
  #refreshSoon(): void {
    const min = this.#resolved.unknownKeyRefreshMinIntervalMs;
    if (min === false || this.#closed) return;
    this.#unknownRefreshBlocked = true;
    // Never from the request path itself: a timer runs it after the current request completes.
    this.#soonTimer = this.#clock.setTimeout(() => {
      this.#soonTimer = undefined;
      this.#unblockTimer = this.#clock.setTimeout(() => {
        this.#unblockTimer = undefined;
        this.#unknownRefreshBlocked = false;
      }, min);
      void this.refresh();
    }, 0);
  }

  refresh(): Promise<boolean> {
    this.#inflight ??= this.#refreshOnce().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refreshOnce(): Promise<boolean> {
    let loaded: LoadedVersions;
    try {
      loaded = await loadVersions(this.#options.client, this.#loaded.arn, this.#known);
    } catch (error) {
      this.#lastRefreshAt = this.#clock.now();
      this.#consecutiveFailures += 1;
      this.#refreshFailures += 1;
      const secrets = [...this.#known.values()].map((v) => v.secret);
      const stale = this.#lastRefreshAt > this.#staleAfter;
      this.#logger.warn(
        stale
          ? 'shared key verifier refresh failed: keys are stale, the AWSPREVIOUS key is rejected until a refresh succeeds'
          : 'shared key verifier refresh failed: keeping the last good keys',
        {
          ...this.#keyFields(),
          outcome: 'refresh-failed',
          reason: redact(reasonOf(error), secrets),
          ...this.#stalenessFields(this.#lastRefreshAt - this.#lastSuccessAt),
          stale,
        },
      );
      return false;
    }
    const failed = this.#consecutiveFailures;
    this.#lastRefreshAt = this.#lastSuccessAt = this.#clock.now();
    this.#staleAfter = this.#lastSuccessAt + this.#resolved.maxStalenessMs;
    this.#consecutiveFailures = 0;
    if (failed > 0) {
      this.#logger.info('shared key verifier refresh succeeded again', {
        credential_type: SHARED_KEY_CREDENTIAL_TYPE,
        secret_id: this.#loaded.arn,
        secret_name: this.#loaded.name,
        outcome: 'refresh-recovered',
        failed_refreshes: failed,
      });
    }
    this.#apply(loaded);
    return true;
  }

  #apply(loaded: LoadedVersions): void {
    const before = this.#ring;
    const unchanged =
      loaded.current.versionId === before.current.versionId &&
      loaded.previous?.versionId === before.previous?.versionId;
    this.#loaded = loaded;
    if (unchanged) return;
    const ring = new KeyRing(loaded.current, loaded.previous, this.#retired);
    const retired: string[] = [];
    for (const entry of before.entries()) {
      if (!ring.has(entry.keyId)) {
        this.#retired.add(entry.keyId, entry.versionId);
        retired.push(entry.keyId);
      }
    }
    for (const entry of ring.entries()) {
      this.#retired.delete(entry.keyId);
      this.#unflushed.add(entry);
    }
    this.#known = RunningVerifier.#versionsOf(loaded);
    this.#ring = ring;
    this.#logger.info('shared key verifier keys changed', {
      ...this.#keyFields(),
      outcome: 'keys-changed',
      ...(retired.length === 0 ? {} : { retired_key_ids: retired }),
      ...(loaded.previousProblem === undefined ? {} : { previous_problem: loaded.previousProblem }),
    });
  }

  #keyFields(): Record<string, unknown> {
    const ring = this.#ring;
    return {
      credential_type: SHARED_KEY_CREDENTIAL_TYPE,
      secret_id: this.#loaded.arn,
      secret_name: this.#loaded.name,
      current_key_id: ring.current.keyId,
      current_version_id: ring.current.versionId,
      ...(ring.previous === undefined
        ? {}
        : { previous_key_id: ring.previous.keyId, previous_version_id: ring.previous.versionId }),
    };
  }

  #scheduleRefresh(): void {
    if (this.#closed) return;
    const { refreshIntervalMs, refreshJitter } = this.#resolved;
    const delay = Math.round(refreshIntervalMs * (1 + refreshJitter * (2 * this.#random() - 1)));
    this.#refreshTimer = this.#clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.refresh().then(() => this.#scheduleRefresh());
    }, delay);
  }

  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flushMetrics().then(() => this.#scheduleFlush());
    }, this.#resolved.metricsFlushIntervalMs);
  }

  #takeSnapshot(): VerifierMetricsSnapshot {
    const accepts: KeyAccepts[] = [];
    const live = new Set(this.#ring.entries());
    const callers = this.#previousCallers;
    this.#previousCallers = new Map();
    for (const entry of this.#unflushed) {
      if (entry.accepts > 0) {
        const named = entry.stage === 'previous' ? callers.get(entry.keyId) : undefined;
        accepts.push({
          keyId: entry.keyId,
          stage: entry.stage,
          count: entry.accepts,
          ...(named === undefined
            ? {}
            : { callers: [...named].map(([caller, count]) => ({ caller, count })) }),
        });
      }
      entry.accepts = 0;
      if (!live.has(entry)) this.#unflushed.delete(entry);
    }
    const rejections = this.#rejections;
    this.#rejections = zeroRejectionCounts();
    const refreshFailures = this.#refreshFailures;
    this.#refreshFailures = 0;
    return {
      secretName: this.#loaded.name,
      timestamp: new Date(this.#clock.now()),
      accepts,
      rejections,
      refreshFailures,
      consecutiveRefreshFailures: this.#consecutiveFailures,
    };
  }

  flushMetrics(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const suppressed = this.#limiter.endWindow();
    if (suppressed !== undefined) {
      this.#logger.warn('shared key rejections not logged (rate limit); all are counted in AuthRejected', {
        credential_type: SHARED_KEY_CREDENTIAL_TYPE,
        secret_name: this.#loaded.name,
        outcome: 'rejections-suppressed',
        ...Object.fromEntries(
          REJECTION_OUTCOMES.map((reason) => [`suppressed_${reason.replace('-', '_')}`, suppressed[reason]]),
        ),
      });
    }
    const fresh = this.#takeSnapshot();
    const snapshot =
      this.#pendingSnapshot === undefined ? fresh : mergeSnapshots(this.#pendingSnapshot, fresh);
    this.#pendingSnapshot = undefined;
    try {
      await this.#sink.publish(snapshot);
    } catch (error) {
      // Keep the counts: previous-key accepts must not be lost, or the usage check could
      // conclude the old key is unused.
      this.#pendingSnapshot = snapshot;
      this.#logger.warn('shared key verifier metrics flush failed: counts kept for the next flush', {
        credential_type: SHARED_KEY_CREDENTIAL_TYPE,
        secret_name: this.#loaded.name,
        outcome: 'metrics-flush-failed',
        reason: reasonOf(error),
      });
    }
  }

  status(): VerifierStatus {
    const ring = this.#ring;
    return {
      secretArn: this.#loaded.arn,
      secretName: this.#loaded.name,
      currentKeyId: ring.current.keyId,
      currentVersionId: ring.current.versionId,
      ...(ring.previous === undefined
        ? {}
        : { previousKeyId: ring.previous.keyId, previousVersionId: ring.previous.versionId }),
      previousAccepted: ring.previous !== undefined && this.#previousGate() === true,
      stale: this.#clock.now() > this.#staleAfter,
      maxStalenessMs: this.#resolved.maxStalenessMs,
      retiredKeyIds: this.#retired.ids(),
      lastRefreshAt: this.#lastRefreshAt,
      lastSuccessAt: this.#lastSuccessAt,
      consecutiveFailures: this.#consecutiveFailures,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#refreshTimer !== undefined) this.#clock.clearTimeout(this.#refreshTimer);
    if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer);
    if (this.#soonTimer !== undefined) this.#clock.clearTimeout(this.#soonTimer);
    if (this.#unblockTimer !== undefined) this.#clock.clearTimeout(this.#unblockTimer);
    this.#refreshTimer = this.#flushTimer = this.#soonTimer = this.#unblockTimer = undefined;
    await this.#inflight?.catch(() => false);
    await this.flushMetrics();
  }
}
