import { RotationRefusedError, RotationStateError, SecretFormatError } from '../shared/errors';
import type { RotationMetrics, StructuredLogger } from '../shared/observability';
import { fingerprint, redact, redactError } from '../shared/redaction';
import { STAGE } from './constants';
import { parseRotationEvent, type RotationEvent } from './event';
import { checkInterlock } from './interlock';
import { cachedForInvocation, type SecretMetadata, type SecretsPort } from './secrets-port';
import type { CredentialStrategy, PreviousReader, StrategyContext } from './strategy';
import { createVersionValues, type VersionValues } from './version-values';
import { versionWith } from './versions';

/** Dependencies of {@link createRotationHandler}, built once per Lambda in its composition root. */
export interface RotationHandlerDeps<S> {
  readonly strategy: CredentialStrategy<S>;
  readonly secrets: SecretsPort;
  readonly logger: StructuredLogger;
  readonly metrics: RotationMetrics;
  /** Monotonic milliseconds, for durations. @default - `performance.now` */
  readonly now?: () => number;
  /** The wall clock, for the rollout lock's lease (the interlock). @default - the system clock */
  readonly clock?: () => Date;
  /**
   * Every secret this handler rotates is rolled out by a rollout workflow (`HANDOVER_ROLLOUTS=tracked`):
   * a rotation is refused while the secret has an AWSPREVIOUS and no rollout ever recorded one.
   * @default false
   */
  readonly rolloutsTracked?: boolean;
  /**
   * Values of the versions the current rotation of each secret already read or stored, kept
   * between its steps in a warm environment (values of versions never change; labels are re-read).
   * @default - a memory of this handler's own
   */
  readonly versionValues?: VersionValues;
}

/** The dependencies a step runs with: the invocation's port and the handler's memory. */
type StepDeps<S> = RotationHandlerDeps<S> & { readonly versionValues: VersionValues };

/** What a step did, for the log line. */
type Outcome = 'success' | 'already-current' | 'reused-pending' | 'already-set' | 'configuration-tested';

interface StepResult {
  readonly outcome: Outcome;
  readonly identity?: string;
}

/**
 * Tracks every secret string read during one invocation, so any error or log line can be
 * redacted before it leaves the engine.
 */
class SecretTracker<S> {
  readonly values: string[] = [];
  private readonly strategy: CredentialStrategy<S>;
  constructor(strategy: CredentialStrategy<S>) {
    this.strategy = strategy;
  }

  parse(raw: string, what: string): S {
    this.values.push(raw);
    try {
      const value = this.strategy.parse(raw);
      this.values.push(...this.strategy.secretsOf(value));
      return value;
    } catch (error) {
      if (error instanceof SecretFormatError) {
        throw new SecretFormatError(error.field, `${what}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * The Secrets Manager rotation protocol, written once. Returns the Lambda handler that Secrets
 * Manager invokes with `{ Step, SecretId, ClientRequestToken, RotationToken? }` for each of
 * createSecret, setSecret, testSecret and finishSecret.
 *
 * Every step starts with the stage guard (the token is a version of the secret, a token already
 * AWSCURRENT is a no-op, otherwise it must carry AWSPENDING; and rotation is enabled, before every
 * step that changes something), is safe to re-run after a failure at any point, writes one
 * structured log line and records metrics. Errors are redacted of every secret value read during
 * the invocation and re-thrown: Secrets Manager learns of a failure only from the thrown error.
 *
 * Secrets Manager calls per step (README, Benchmarks, says why each stays), with `createIsPure`,
 * when the four steps of a rotation reach the same warm environment (values of versions it already
 * read or stored are remembered between steps, {@link VersionValues}): createSecret 3
 * (DescribeSecret, the AWSCURRENT value, PutSecretValue), setSecret 1 (DescribeSecret), testSecret 1
 * (DescribeSecret), finishSecret 3 (DescribeSecret, two label moves). A step on a cold environment
 * reads the values it needs: setSecret 3 (the pending and the current value too), testSecret 1 (the
 * pending value, whose `VersionStages` are its label guard).
 *
 * @example
 * ```ts
 * export const handler = createRotationHandler({
 *   strategy: createPostgresStrategy({ mode: 'single-user' }),
 *   secrets: createSecretsManagerPort(new SecretsManagerClient({})),
 *   logger: createLogger(),
 *   metrics: createRotationMetrics('postgres'),
 * });
 * ```
 */
export function createRotationHandler<S>(deps: RotationHandlerDeps<S>): (event: unknown) => Promise<void> {
  const { strategy, secrets, logger, metrics } = deps;
  const now = deps.now ?? (() => performance.now());
  const versionValues = deps.versionValues ?? createVersionValues();

  return async (raw: unknown): Promise<void> => {
    const started = now();
    const base = { credential_type: strategy.type, strategy: strategy.variant };
    let event: RotationEvent;
    try {
      event = parseRotationEvent(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.error('rotation step rejected', { ...base, step: 'invalid-event', outcome: 'failure', reason });
      metrics.recordStep('invalid-event', 'failure', now() - started);
      throw error;
    }

    const tracker = new SecretTracker(strategy);
    const fields = { ...base, secret_id: event.secretId, rotation_id: event.token, step: event.step };
    const invocation: StepDeps<S> = { ...deps, secrets: cachedForInvocation(secrets), versionValues };
    const ctx: StrategyContext = {
      secretId: event.secretId,
      rotationId: event.token,
      secrets: invocation.secrets,
      logger: {
        debug: (message, extra) => logger.debug(message, { ...fields, ...extra }),
        info: (message, extra) => logger.info(message, { ...fields, ...extra }),
        warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
      },
    };

    try {
      const result = await runStep(event, ctx, tracker, invocation);
      const duration_ms = Math.round(now() - started);
      logger.info(`${event.step} ${result.outcome}`, {
        ...fields,
        outcome: result.outcome,
        duration_ms,
        ...(result.identity === undefined ? {} : { key_fingerprint: fingerprint(result.identity) }),
      });
      metrics.recordStep(event.step, 'success', duration_ms);
      // Secrets Manager re-invokes finishSecret only after a failed attempt, so an
      // `already-current` finish is the completion of that rotation, and counts as its success.
      if (event.step === 'finishSecret') metrics.recordRotation('success');
    } catch (error) {
      const safe = redactError(error, tracker.values);
      const duration_ms = Math.round(now() - started);
      const refused = error instanceof RotationRefusedError;
      logger.error(`${event.step} ${refused ? 'refused' : 'failed'}`, {
        ...fields,
        outcome: refused ? 'refused' : 'failure',
        ...(refused ? { refusal: error.reason } : {}),
        reason: redact(`${safe.name}: ${safe.message}`, tracker.values),
        duration_ms,
      });
      metrics.recordStep(event.step, 'failure', duration_ms);
      metrics.recordRotation('failure');
      throw safe;
    }
  };
}

/**
 * One step. createSecret, setSecret and finishSecret begin with DescribeSecret: it is the only
 * answer that carries `RotationEnabled` (checked before every step that changes something), the
 * labels of a version that has no value yet (createSecret's token), and the version AWSCURRENT is on
 * (finishSecret moves it). testSecret changes nothing: GetSecretValue of the token returns the
 * value it tests and the labels its guard needs (`VersionStages`), in one call.
 */
async function runStep<S>(
  event: RotationEvent,
  ctx: StrategyContext,
  tracker: SecretTracker<S>,
  deps: StepDeps<S>,
): Promise<StepResult> {
  const { secrets, strategy, versionValues } = deps;
  const remembered =
    event.step === 'testSecret' ? versionValues.get(event.secretId, event.token, event.token) : undefined;
  // A cold testSecret reads the pending version, whose labels are its guard, in one call.
  if (event.step === 'testSecret' && remembered === undefined) return testSecret(event, ctx, tracker, deps);
  const meta = await secrets.describe(event.secretId);
  const secretId = meta.arn;
  const stages = guard(event, meta);
  if (stages.includes(STAGE.current)) {
    if (event.step === 'finishSecret' && stages.includes(STAGE.pending)) {
      // A previous finishSecret moved AWSCURRENT and failed before clearing AWSPENDING.
      await secrets.removeStage(secretId, STAGE.pending, event.token);
    }
    if (event.step === 'finishSecret') versionValues.forget(secretId);
    return { outcome: 'already-current' };
  }

  // The interlock (README, "Rotation during a rollout"): the steps that change something at the
  // target first make sure no live rollout is keeping the credential they would take away. setSecret
  // checks again: a rollout that took its lock after this rotation's createSecret is seen here,
  // before the target changes.
  const clock = deps.clock ?? (() => new Date());
  switch (event.step) {
    case 'createSecret':
      checkInterlock(meta, event.token, event.step, clock(), deps.rolloutsTracked);
      return createSecret(event, meta, ctx, tracker, deps);
    case 'setSecret': {
      const rollout = checkInterlock(meta, event.token, event.step, clock(), deps.rolloutsTracked);
      const pending = await readPending(secretId, event.token, tracker, deps);
      const current = await readCurrent(meta, event.token, tracker, deps);
      await strategy.set(pending, current, previousReader(meta, tracker, deps), {
        ...ctx,
        ...(rollout === undefined ? {} : { rollout }),
      });
      return { outcome: 'success', identity: strategy.identify(pending) };
    }
    case 'testSecret': {
      // Warm: the value createSecret stored, with the labels and `RotationEnabled` just read.
      const pending = tracker.parse(remembered ?? '', `AWSPENDING version ${event.token}`);
      await strategy.test(pending, ctx);
      return { outcome: 'success', identity: strategy.identify(pending) };
    }
    case 'finishSecret': {
      await secrets.moveStage(
        secretId,
        STAGE.current,
        event.token,
        versionWith(meta.versions, STAGE.current),
      );
      await secrets.removeStage(secretId, STAGE.pending, event.token);
      versionValues.forget(secretId);
      return { outcome: 'success' };
    }
  }
}

/** The stage guard from DescribeSecret: returns the token's labels, or throws when the step must not run. */
function guard(event: RotationEvent, meta: SecretMetadata): readonly string[] {
  if (!meta.rotationEnabled) {
    throw new RotationStateError(`rotation is not enabled for secret ${meta.arn}`);
  }
  const stages = meta.versions[event.token];
  if (stages === undefined) {
    throw new RotationStateError(`version ${event.token} is not a version of secret ${meta.arn}`);
  }
  return guardLabels(event, meta.arn, stages);
}

/** The label part of the guard: the token must be AWSCURRENT (a no-op) or carry AWSPENDING. */
function guardLabels(event: RotationEvent, arn: string, stages: readonly string[]): readonly string[] {
  if (!stages.includes(STAGE.current) && !stages.includes(STAGE.pending)) {
    throw new RotationStateError(
      `version ${event.token} of secret ${arn} is not staged AWSPENDING (labels: ${stages.join(', ') || 'none'})`,
    );
  }
  return stages;
}

/**
 * createSecret. With `createIsPure`, the new value is stored at once: PutSecretValue refuses
 * (`ResourceExistsException`) when an earlier attempt already stored a value for the token, and
 * that value is then read and reused. Otherwise the token is read first and `create` runs only when
 * it has no value. Either way an existing AWSPENDING value is reused, never replaced.
 */
async function createSecret<S>(
  event: RotationEvent,
  meta: SecretMetadata,
  ctx: StrategyContext,
  tracker: SecretTracker<S>,
  deps: StepDeps<S>,
): Promise<StepResult> {
  const { secrets, strategy, versionValues } = deps;
  const secretId = meta.arn;
  const current = await readCurrent(meta, event.token, tracker, deps);
  const reuse = (raw: string): StepResult => {
    versionValues.remember(secretId, event.token, event.token, raw);
    const pending = tracker.parse(raw, `pending version ${event.token}`);
    return { outcome: 'reused-pending', identity: strategy.identify(pending) };
  };
  if (strategy.createIsPure !== true) {
    const existing = await secrets.getVersion(secretId, { versionId: event.token });
    if (existing !== undefined) return reuse(existing.value);
  }
  const pending = await strategy.create(current, ctx, previousReader(meta, tracker, deps));
  tracker.values.push(...strategy.secretsOf(pending));
  const serialized = strategy.serialize(pending);
  const stored = await secrets.putPending(secretId, event.token, serialized, event.rotationToken);
  if (stored === 'exists') {
    const existing = await secrets.getVersion(secretId, { versionId: event.token });
    if (existing === undefined) {
      throw new RotationStateError(
        `version ${event.token} of secret ${secretId} refused a new value but has no string value to reuse`,
      );
    }
    return reuse(existing.value);
  }
  versionValues.remember(secretId, event.token, event.token, serialized);
  return { outcome: 'success', identity: strategy.identify(pending) };
}

/**
 * testSecret: reads the token's version, and guards on its `VersionStages`. Only when the token has
 * no value does it describe the secret, to tell Secrets Manager's configuration test
 * (`RotateImmediately=false`: the token is not a version; the current credential is tested and
 * nothing changes) from a version createSecret never filled. `RotationEnabled` is not read: this
 * step changes nothing, so there is nothing for it to protect.
 */
async function testSecret<S>(
  event: RotationEvent,
  ctx: StrategyContext,
  tracker: SecretTracker<S>,
  deps: StepDeps<S>,
): Promise<StepResult> {
  const { secrets, strategy } = deps;
  const version = await secrets.getVersion(event.secretId, { versionId: event.token });
  if (version === undefined) {
    const meta = await secrets.describe(event.secretId);
    if (!(event.token in meta.versions)) {
      const current = await readCurrent(meta, event.token, tracker, deps);
      await strategy.test(current, ctx);
      return { outcome: 'configuration-tested', identity: strategy.identify(current) };
    }
    if (guard(event, meta).includes(STAGE.current)) return { outcome: 'already-current' };
    throw noValue(meta.arn, event.token);
  }
  if (guardLabels(event, version.arn, version.stages).includes(STAGE.current)) {
    return { outcome: 'already-current' };
  }
  const pending = tracker.parse(version.value, `AWSPENDING version ${event.token}`);
  await strategy.test(pending, ctx);
  return { outcome: 'success', identity: strategy.identify(pending) };
}

const noValue = (secretId: string, token: string) =>
  new RotationStateError(`version ${token} of secret ${secretId} has no value: createSecret has not run`);

/**
 * The value of `versionId` of the secret: remembered from an earlier step of rotation `token`, or
 * read (and then remembered); `undefined` when the version has no value.
 */
async function versionValue<S>(
  secretId: string,
  token: string,
  versionId: string,
  { secrets, versionValues }: StepDeps<S>,
): Promise<string | undefined> {
  const remembered = versionValues.get(secretId, token, versionId);
  if (remembered !== undefined) return remembered;
  const version = await secrets.getVersion(secretId, { versionId });
  if (version !== undefined) versionValues.remember(secretId, token, versionId, version.value);
  return version?.value;
}

async function readCurrent<S>(
  meta: SecretMetadata,
  token: string,
  tracker: SecretTracker<S>,
  deps: StepDeps<S>,
): Promise<S> {
  const versionId = versionWith(meta.versions, STAGE.current);
  const value = versionId === undefined ? undefined : await versionValue(meta.arn, token, versionId, deps);
  if (value === undefined) {
    throw new RotationStateError(`secret ${meta.arn} has no AWSCURRENT value`);
  }
  return tracker.parse(value, `AWSCURRENT version ${versionId}`);
}

async function readPending<S>(
  secretId: string,
  token: string,
  tracker: SecretTracker<S>,
  deps: StepDeps<S>,
): Promise<S> {
  const value = await versionValue(secretId, token, token, deps);
  if (value === undefined) throw noValue(secretId, token);
  return tracker.parse(value, `AWSPENDING version ${token}`);
}

/** A {@link PreviousReader}: reads AWSPREVIOUS on the first call only, and only if asked. */
function previousReader<S>(
  meta: SecretMetadata,
  tracker: SecretTracker<S>,
  deps: RotationHandlerDeps<S>,
): PreviousReader<S> {
  let previous: Promise<S | undefined> | undefined;
  return () => {
    previous ??= readPrevious(meta, tracker, deps);
    return previous;
  };
}

/**
 * The AWSPREVIOUS value, read only when the label exists. A previous value that no longer parses
 * (an older format, a manual edit) is not a reason to fail the rotation: it is skipped, with a
 * warning.
 */
async function readPrevious<S>(
  meta: SecretMetadata,
  tracker: SecretTracker<S>,
  { secrets, logger }: RotationHandlerDeps<S>,
): Promise<S | undefined> {
  const versionId = versionWith(meta.versions, STAGE.previous);
  if (versionId === undefined) return undefined;
  const version = await secrets.getVersion(meta.arn, { versionId });
  if (version === undefined) return undefined;
  try {
    return tracker.parse(version.value, `AWSPREVIOUS version ${versionId}`);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    logger.warn('AWSPREVIOUS value ignored: it does not parse', {
      secret_id: meta.arn,
      step: 'setSecret',
      reason: error.message,
    });
    return undefined;
  }
}
