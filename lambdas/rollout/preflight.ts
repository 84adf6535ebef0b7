import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { STAGE } from '../rotation/constants';
import { versionWith } from '../rotation/versions';
import { claimLock, rotationInFlight } from './claim';
import { parseRolloutConfig, withWorkflowDefaults } from './config';
import { ROLLOUT_ERRORS, type RolloutConfig, rolloutConfigParameterName } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import { followedEmergencyRefusal } from './followed';
import { parseRolloutInput, type RolloutRequest } from './input';
import type { RolloutPlan, RotationProgress } from './plan';
import { versionCreated } from './readers/versions';
import { currentVersion, describeSecret, type SecretState, shortVersion } from './secret-state';
import { planWaves } from './waves';

/** What preflight sends the state machine: `$` after the Preflight state. */
export type PreflightResult =
  | { readonly action: 'rollout'; readonly rollout: RolloutPlan; readonly rotation: RotationProgress }
  | { readonly action: 'skip'; readonly skipReason: string; readonly rollout: RolloutPlan };

/** The preflight task's input. */
export interface PreflightTask {
  readonly Task: 'preflight';
  /** The execution's input, as given. */
  readonly input: unknown;
  readonly executionArn: string;
  readonly executionName: string;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');
const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

async function readSecret(deps: RolloutDeps, request: RolloutRequest): Promise<SecretState> {
  try {
    return await describeSecret(deps.secretsManager, request.secretId);
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      throw new RolloutError(
        ROLLOUT_ERRORS.invalidInput,
        `secret ${request.secretId} does not exist in this account and region (secretId takes the secret's name or ARN)`,
      );
    }
    throw new RolloutError(
      ROLLOUT_ERRORS.preflightFailed,
      `cannot describe secret ${request.secretId}: ${errorText(error)}`,
    );
  }
}

async function readConfig(deps: RolloutDeps, secret: SecretState): Promise<RolloutConfig> {
  const parameter = rolloutConfigParameterName(secret.name);
  let value: string | undefined;
  try {
    const out = await deps.ssm.send(new GetParameterCommand({ Name: parameter }));
    value = out.Parameter?.Value;
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') {
      throw new RolloutError(
        ROLLOUT_ERRORS.invalidInput,
        `secret ${secret.name} has no rollout configuration (SSM parameter ${parameter}): it is not in the Handover policy, or its entry is paused. Add it to infra/policy.ts and cdk deploy.`,
      );
    }
    throw new RolloutError(
      ROLLOUT_ERRORS.preflightFailed,
      `cannot read the rollout configuration ${parameter}: ${errorText(error)}`,
    );
  }
  const config = parseRolloutConfig(value ?? '', parameter);
  // The policy may name a secret by partial ARN (no 6-character suffix).
  if (config.secretArn !== secret.arn && !secret.arn.startsWith(`${config.secretArn}-`)) {
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      `rollout configuration ${parameter} is for ${config.secretArn}, not for ${secret.arn}`,
    );
  }
  return config;
}

/**
 * Preflight: normalises the input, describes the secret, reads and validates its rollout
 * configuration, claims the per-secret lock (`claim.ts`: a conditional write; refusing a second
 * concurrent rollout with the reason and the holder; taking over a stale lock, or a scheduled
 * rollout for an emergency; mirrored into the secret's tags) and plans the waves. A rotation found
 * in flight is waited out before consumers are touched. Idempotent: a re-run by the same execution
 * finds its own lock and plans again. Nothing is changed when it fails, except a lock it took
 * (released by the workflow's failure path).
 */
export async function preflight(deps: RolloutDeps, task: PreflightTask): Promise<PreflightResult> {
  const now = (deps.now ?? (() => new Date()))();
  const request = parseRolloutInput(task.input);
  const secret = await readSecret(deps, request);
  const config = await readConfig(deps, secret);
  const current = currentVersion(secret);
  const previous = versionWith(secret.versions, STAGE.previous);

  if (config.followed !== undefined && request.mode === 'emergency') {
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      followedEmergencyRefusal(secret.name, config.followed.rotatedBy),
    );
  }
  // A followed secret is never rotated here: a start by hand rolls out the rotation already done
  // (the lock claim carries AWSCURRENT for it, as for a rotation's event).
  const rolledOut = request.trigger === 'event' || config.followed !== undefined;
  const waves = planWaves(config.consumers.map(withWorkflowDefaults), request.mode);
  const plan: RolloutPlan = {
    rolloutId: task.executionName,
    executionArn: task.executionArn,
    secretArn: secret.arn,
    secretName: secret.name,
    credentialType: config.credentialType,
    ...(config.rotationFunctionArn === undefined ? {} : { rotationFunctionArn: config.rotationFunctionArn }),
    ...(config.followed === undefined ? {} : { followed: config.followed }),
    ...(config.readers === undefined ? {} : { readers: config.readers }),
    mode: request.mode,
    trigger: request.trigger,
    reason: request.reason,
    startedAt: now.toISOString(),
    graceSeconds: request.mode === 'emergency' ? 0 : config.graceSeconds,
    usageRecheckSeconds: config.usageRecheckSeconds,
    usageMaxChecks: config.usageMaxChecks,
    maxConcurrency: config.maxConcurrency,
    waves,
  };

  if (rolledOut && (current === undefined || previous === undefined)) {
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      `secret ${secret.name} has no ${current === undefined ? 'AWSCURRENT' : 'AWSPREVIOUS'} version: there is no rotation to roll out`,
    );
  }

  // The lock (compare-and-set), mirrored into the tags before anything touches a consumer.
  const claimed = await claimLock(deps, { request, secret, config, plan, now });
  if (claimed.outcome === 'skip') return { action: 'skip', skipReason: claimed.reason, rollout: plan };
  const carries = claimed.carries;
  // A rotation that was in flight when the lock was taken may have read the secret before the
  // mirror (or finished since the first read): a rollout that carries a rotation waits it out
  // (Check rotation) before any consumer is touched, then carries whatever is AWSCURRENT.
  const inFlight = carries
    ? (rotationInFlight(claimed.secret, current) ??
      (currentVersion(claimed.secret) === current ? undefined : currentVersion(claimed.secret)))
    : undefined;

  const rotation: RotationProgress =
    inFlight !== undefined && current !== undefined && previous !== undefined
      ? {
          status: 'running',
          checks: 0,
          versionId: inFlight,
          previousVersionId: current,
          requestedAt: now.toISOString(),
          inFlight: { newVersionId: current, oldVersionId: previous },
        }
      : carries && current !== undefined && previous !== undefined
        ? {
            status: 'succeeded',
            checks: 0,
            versionId: current,
            previousVersionId: previous,
            versions: { newVersionId: current, oldVersionId: previous },
            completedAt:
              request.rotatedAt ??
              (await versionCreated(deps.secretsManager, secret.arn, current))?.toISOString() ??
              now.toISOString(),
          }
        : { status: 'running', checks: 0 };
  deps.logger.info('preflight passed', {
    step: 'preflight',
    outcome: 'success',
    secret_id: secret.arn,
    rotation_id: task.executionName,
    credential_type: config.credentialType,
    mode: request.mode,
    trigger: request.trigger,
    canary: waves.canary.length,
    consumers: waves.canary.length + waves.main.length,
    ...(current === undefined ? {} : { current_version: shortVersion(current) }),
    ...(claimed.lock.takenOverFrom === undefined ? {} : { took_over_from: claimed.lock.takenOverFrom }),
    ...(inFlight === undefined ? {} : { rotation_in_flight: shortVersion(inFlight) }),
    ...(carries && request.trigger === 'manual' ? { carries_current: true } : {}),
  });
  await deps.notifier.milestone('Started', {
    secretArn: secret.arn,
    secretName: secret.name,
    credentialType: config.credentialType,
    rolloutId: task.executionName,
    executionArn: task.executionArn,
    mode: request.mode,
    trigger: request.trigger,
    reason: request.reason,
    ...(claimed.lock.takenOverFrom === undefined ? {} : { tookOverFrom: claimed.lock.takenOverFrom }),
    ...(rotation.versions === undefined
      ? {}
      : { newVersionId: rotation.versions.newVersionId, oldVersionId: rotation.versions.oldVersionId }),
  });
  return { action: 'rollout', rollout: plan, rotation };
}
