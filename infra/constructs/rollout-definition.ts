import { Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CONSUMER_KINDS, consumerContract } from '../../lambdas/rollout/consumers/contracts';
import { ROLLOUT_ERRORS, type RolloutErrorCode, type RolloutTaskName } from '../../lambdas/rollout/contract';
import { CONSUMER_NOT_READY_RETRY } from '../../lambdas/rollout/worst-case';

/** Seconds between two checks of a rotation the workflow started. */
export const ROTATION_POLL_SECONDS = 5;

const FAILURES: ReadonlyArray<[RolloutErrorCode, string]> = [
  [ROLLOUT_ERRORS.refused, 'Rollout refused'],
  [ROLLOUT_ERRORS.invalidInput, 'Invalid input'],
  [ROLLOUT_ERRORS.preflightFailed, 'Preflight failed'],
  [ROLLOUT_ERRORS.rotationFailed, 'Rotation failed'],
  [ROLLOUT_ERRORS.consumerFailed, 'Consumer update failed'],
  [ROLLOUT_ERRORS.stillInUse, 'Old credential still in use'],
  [ROLLOUT_ERRORS.usageCheckFailed, 'Usage check failed'],
  [ROLLOUT_ERRORS.revokeFailed, 'Revoke failed'],
  [ROLLOUT_ERRORS.rollbackRefused, 'Rollback refused'],
  [ROLLOUT_ERRORS.rollbackFailed, 'Rollback failed'],
];

/** The name of the Fail state of each named failure. */
export const FAILURE_STATES: Readonly<Record<RolloutErrorCode, string>> = Object.fromEntries(
  FAILURES,
) as Record<RolloutErrorCode, string>;

/** What the workflow keeps of a usage check's answer (the strategy's `UsageResult`). */
const USAGE_SELECTOR = {
  'inUse.$': '$.Payload.inUse',
  'observable.$': '$.Payload.observable',
  'evidence.$': '$.Payload.evidence',
  'stragglers.$': '$.Payload.stragglers',
};

/** What the check-readers task is given besides its phase, once the consumers moved. */
const READERS_CONTEXT = {
  rollout: sfn.JsonPath.objectAt('$.rollout'),
  rotation: sfn.JsonPath.objectAt('$.rotation'),
  readers: sfn.JsonPath.objectAt('$.readers'),
  results: sfn.JsonPath.objectAt('$.results'),
};

/** The Lambda service errors a task retries (as `LambdaInvoke` does). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The consumer kinds the workflow waits on (their contract has `waitSeconds`): a wave publishes to
 * them with a task token and waits for the acknowledgement (`$.consumer.timeoutSeconds` at most),
 * instead of updating and verifying them.
 */
const WAITING_KINDS = CONSUMER_KINDS.filter((kind) => consumerContract(kind).waitSeconds !== undefined);

/** A rollout-function task whose output replaces nothing but `resultPath`. */
interface TaskOptions {
  readonly resultPath?: string;
  readonly outputPath?: string;
}

/**
 * The states of the rollout state machine. State names are a public contract: the console shows
 * them, the workflow tests override tasks by them, and the runbook (docs/runbook.md) refers to them.
 */
export class RolloutDefinition extends Construct {
  public readonly start: sfn.IChainable;
  private readonly fn: lambda.IFunction;
  private readonly records = new Map<string, sfn.Pass>();
  private readonly reportFailure: sfn.IChainable;
  private readonly failStates = new Map<RolloutErrorCode, sfn.Fail>();

  constructor(scope: Construct, id: string, fn: lambda.IFunction) {
    super(scope, id);
    this.fn = fn;

    // Terminal failure handling: report (metrics, events, SNS, lock), then the named Fail state.
    const whichFailure = new sfn.Choice(this, 'Which failure?');
    for (const [code, name] of FAILURES) {
      const fail = new sfn.Fail(this, name, { error: code, causePath: '$.report.Cause' });
      this.failStates.set(code, fail);
      whichFailure.when(sfn.Condition.stringEquals('$.failure.error', code), fail);
    }
    whichFailure.otherwise(
      new sfn.Fail(this, 'Rollout failed', { errorPath: '$.failure.error', causePath: '$.report.Cause' }),
    );
    const reportFailure = this.rolloutTask(
      'Report failure',
      'finish',
      {
        outcome: 'failed',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    // The report is retried (it is idempotent: events, summary, lock release); when it still fails,
    // the named Fail state keeps the failure's own cause, and says the report did not complete.
    const notReported = new sfn.Pass(this, 'Failure not reported', {
      parameters: {
        Cause: sfn.JsonPath.format(
          '{} (the failure report did not complete: {})',
          sfn.JsonPath.stringAt('$.failure.cause'),
          sfn.JsonPath.stringAt('$.reportError.Cause'),
        ),
      },
      resultPath: '$.report',
    });
    notReported.next(whichFailure);
    reportFailure.addCatch(notReported, { resultPath: '$.reportError' });
    reportFailure.next(whichFailure);
    this.reportFailure = reportFailure;

    // Preflight.
    const preflight = this.rolloutTask('Preflight', 'preflight', {
      input: sfn.JsonPath.entirePayload,
      executionArn: sfn.JsonPath.executionId,
      executionName: sfn.JsonPath.executionName,
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.refused), {
      errors: [ROLLOUT_ERRORS.refused],
      resultPath: '$.caught',
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.invalidInput), {
      errors: [ROLLOUT_ERRORS.invalidInput],
      resultPath: '$.caught',
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.preflightFailed), { resultPath: '$.caught' });
    const describe = this.strategyAction('Describe strategy', 'describe', {
      resultSelector: {
        'credentialType.$': '$.Payload.credentialType',
        'variant.$': '$.Payload.variant',
        'previousStaysValid.$': '$.Payload.previousStaysValid',
        'canCheckUsage.$': '$.Payload.canCheckUsage',
        'canRevoke.$': '$.Payload.canRevoke',
        'canRestore.$': '$.Payload.canRestore',
      },
      resultPath: '$.strategy',
    });
    describe.addCatch(this.record(ROLLOUT_ERRORS.preflightFailed), { resultPath: '$.caught' });

    // Who reads the secret (CloudTrail), and who of them nobody declared. A failure of the source
    // is reported in the result; anything else is recorded and the rollout goes on (the usage gate
    // reads again and never revokes on readers it cannot see).
    const findReaders = this.rolloutTask(
      'Find readers',
      'find-readers',
      { rollout: sfn.JsonPath.objectAt('$.rollout'), rotation: sfn.JsonPath.objectAt('$.rotation') },
      { resultPath: '$.readers' },
    );
    const followed = new sfn.Choice(this, 'Followed?');
    // On failure `$.readers` holds the error: later readers checks read again from the policy's window.
    findReaders.addCatch(followed, { resultPath: '$.readers' });
    const followedStrategy = new sfn.Pass(this, 'Followed: no strategy of ours', {
      comment:
        "A secret rotated by RDS or a function not Handover's: nothing to describe, revoke or restore.",
      parameters: {
        credentialType: 'followed',
        variant: sfn.JsonPath.format('rotated by {}', sfn.JsonPath.stringAt('$.rollout.followed.rotatedBy')),
        previousStaysValid: false,
        canCheckUsage: false,
        canRevoke: false,
        canRestore: false,
      },
      resultPath: '$.strategy',
    });

    // Manual starts rotate first, and wait for the rotation (bounded).
    const startRotation = this.rolloutTask(
      'Start rotation',
      'start-rotation',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
      },
      { resultPath: '$.rotation' },
    );
    startRotation.addCatch(this.record(ROLLOUT_ERRORS.rotationFailed), { resultPath: '$.caught' });
    const waitForRotation = new sfn.Wait(this, 'Wait for rotation', {
      time: sfn.WaitTime.duration(Duration.seconds(ROTATION_POLL_SECONDS)),
    });
    const checkRotation = this.rolloutTask(
      'Check rotation',
      'check-rotation',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
      },
      { resultPath: '$.rotation' },
    );
    checkRotation.addCatch(this.record(ROLLOUT_ERRORS.rotationFailed), { resultPath: '$.caught' });
    const rotationFinished = new sfn.Choice(this, 'Rotation finished?');

    // Emergency: revoke right after the new credential is verified (the rotation's testSecret).
    const emergency = new sfn.Choice(this, 'Emergency?');
    const emergencyCanRevoke = new sfn.Choice(this, 'Can revoke the compromised credential?');
    const precheck = this.strategyAction('Check usage before revoking', 'inUse', {
      since: '$.rollout.startedAt',
      resultSelector: USAGE_SELECTOR,
      resultPath: '$.precheck',
    });
    const precheckReaders = this.rolloutTask(
      'Check readers before revoking',
      'check-readers',
      {
        phase: 'emergency',
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        readers: sfn.JsonPath.objectAt('$.readers'),
      },
      { resultPath: '$.precheckReaders' },
    );
    const revokeChoice = new sfn.Choice(this, 'Revoke compromised credential?');
    const revokeCompromised = this.strategyAction('Revoke compromised credential', 'revoke', {
      resultSelector: {
        'action.$': '$.Payload.action',
        'done.$': '$.Payload.done',
        'reason.$': '$.Payload.reason',
      },
      resultPath: '$.revocation',
    });
    revokeCompromised.addCatch(this.record(ROLLOUT_ERRORS.revokeFailed), { resultPath: '$.caught' });
    const alreadyInvalid = new sfn.Pass(this, 'Compromised credential already invalid', {
      parameters: {
        action: 'revoke',
        done: false,
        reason: sfn.JsonPath.format(
          '{} {} has no revoke: the rotation itself replaced the old credential',
          sfn.JsonPath.stringAt('$.strategy.credentialType'),
          sfn.JsonPath.stringAt('$.strategy.variant'),
        ),
      },
      resultPath: '$.revocation',
    });
    const reportEmergency = this.rolloutTask(
      'Report emergency revocation',
      'emergency-revoked',
      {
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );

    // Consumers in waves.
    const canary = this.wave(
      'Canary wave',
      'Canary',
      '$.rollout.waves.canary',
      'newVersionId',
      '$.results.canary',
    );
    canary.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    const checkCanary = this.checkWave('Check canary wave', 'canary', '$.results.canary');
    const main = this.wave('Main wave', 'Main', '$.rollout.waves.main', 'newVersionId', '$.results.main');
    main.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    const checkMain = this.checkWave('Check main wave', 'main', '$.results.main');
    const consumersUpdated = this.rolloutTask(
      'Consumers updated',
      'consumers-updated',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        results: sfn.JsonPath.objectAt('$.results'),
      },
      { resultPath: '$.usage' },
    );
    consumersUpdated.addCatch(this.record(ROLLOUT_ERRORS.usageCheckFailed), { resultPath: '$.caught' });

    // Grace, usage gate, revocation.
    const revokeNow = new sfn.Choice(this, 'Revoke now?');
    const nothingToRevoke = new sfn.Pass(this, 'Nothing to revoke', {
      parameters: {
        action: 'revoke',
        done: false,
        reason: sfn.JsonPath.format(
          '{} {} has no revoke: the rotation itself replaced the old credential',
          sfn.JsonPath.stringAt('$.strategy.credentialType'),
          sfn.JsonPath.stringAt('$.strategy.variant'),
        ),
      },
      resultPath: '$.revocation',
    });
    const followedNothing = new sfn.Choice(this, 'Followed secret?');
    const nothingFollowed = new sfn.Pass(this, 'Followed: nothing to revoke', {
      parameters: {
        action: 'revoke',
        done: false,
        reason: sfn.JsonPath.format(
          'followed secret: rotated by {}, which replaced the old password itself, so the old value is already gone and Handover revokes nothing',
          sfn.JsonPath.stringAt('$.rollout.followed.rotatedBy'),
        ),
      },
      resultPath: '$.revocation',
    });
    // Nothing revoked: name who still holds the old value (it no longer works for them).
    const reportReaders = new sfn.Choice(this, 'Name who holds the old value?');
    const reportDeliveryWait = new sfn.Wait(this, 'Wait for CloudTrail delivery before naming', {
      time: sfn.WaitTime.secondsPath('$.rollout.readers.deliveryDelaySeconds'),
    });
    const nameStragglers = this.rolloutTask(
      'Name who holds the old value',
      'check-readers',
      { phase: 'report', ...READERS_CONTEXT },
      { resultPath: '$.stragglers' },
    );
    const grace = new sfn.Wait(this, 'Grace window', {
      time: sfn.WaitTime.secondsPath('$.rollout.graceSeconds'),
    });
    const checkUsage = this.strategyAction('Check old credential usage', 'inUse', {
      since: sfn.JsonPath.arrayGetItem(
        sfn.JsonPath.listAt('$.usage.windows'),
        sfn.JsonPath.numberAt('$.usage.count'),
      ),
      resultSelector: USAGE_SELECTOR,
      resultPath: '$.usage.last',
    });
    checkUsage.addCatch(this.record(ROLLOUT_ERRORS.usageCheckFailed), { resultPath: '$.caught' });
    // Whoever read the old version and not the new one (CloudTrail) holds the revocation too.
    const checkReaders = this.rolloutTask(
      'Check readers',
      'check-readers',
      { phase: 'gate', ...READERS_CONTEXT },
      { resultPath: '$.usage.readers' },
    );
    checkReaders.addCatch(this.record(ROLLOUT_ERRORS.usageCheckFailed), { resultPath: '$.caught' });
    const countCheck = new sfn.Pass(this, 'Count usage check', {
      parameters: {
        count: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.usage.count'), 1),
        'windows.$': '$.usage.windows',
        'last.$': '$.usage.last',
        'readers.$': '$.usage.readers',
      },
      resultPath: '$.usage',
    });
    // CloudTrail delivers events minutes late: an absence is trusted only after its delivery delay.
    const readersConfigured = new sfn.Choice(this, 'Readers checked?');
    const deliveryWait = new sfn.Wait(this, 'Wait for CloudTrail delivery', {
      time: sfn.WaitTime.secondsPath('$.rollout.readers.deliveryDelaySeconds'),
    });
    const stillUsed = new sfn.Choice(this, 'Old credential still used?');
    const recheckWait = new sfn.Wait(this, 'Wait before re-checking', {
      time: sfn.WaitTime.secondsPath('$.rollout.usageRecheckSeconds'),
    });
    const revokeOld = this.strategyAction('Revoke old credential', 'revoke', {
      resultSelector: {
        'action.$': '$.Payload.action',
        'done.$': '$.Payload.done',
        'reason.$': '$.Payload.reason',
      },
      resultPath: '$.revocation',
    });
    revokeOld.addCatch(this.record(ROLLOUT_ERRORS.revokeFailed), { resultPath: '$.caught' });
    const stillInUse = new sfn.Pass(this, `Record ${FAILURE_STATES[ROLLOUT_ERRORS.stillInUse]}`, {
      parameters: {
        error: ROLLOUT_ERRORS.stillInUse,
        cause: sfn.JsonPath.format(
          'the old credential is still in use after {} checks; it was NOT revoked: {}; readers: {}',
          sfn.JsonPath.stringAt('$.usage.count'),
          sfn.JsonPath.stringAt('$.usage.last.evidence'),
          sfn.JsonPath.stringAt('$.usage.readers.evidence'),
        ),
      },
      resultPath: '$.failure',
    });
    stillInUse.next(this.reportFailure);

    // Success.
    const reportSuccess = this.rolloutTask(
      'Report success',
      'finish',
      {
        outcome: 'succeeded',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    const complete = new sfn.Succeed(this, 'Rollout complete');
    reportSuccess.addCatch(complete, { resultPath: '$.report' });
    const nothingToDo = new sfn.Succeed(this, 'Nothing to do', {
      comment: 'A RotationSucceeded event for a version another execution already carries or completed.',
    });

    // Rollback (scheduled mode, after a consumer failure).
    const rollBack = new sfn.Choice(this, 'Roll back?');
    const rollbackTask = this.rolloutTask(
      'Roll back',
      'rollback',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        strategy: sfn.JsonPath.objectAt('$.strategy'),
        results: sfn.JsonPath.objectAt('$.results'),
      },
      { resultPath: '$.rollback' },
    );
    rollbackTask.addCatch(this.record(ROLLOUT_ERRORS.rollbackRefused, true), {
      errors: [ROLLOUT_ERRORS.rollbackRefused],
      resultPath: '$.caught',
    });
    rollbackTask.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const restoreNeeded = new sfn.Choice(this, 'Restore old credential?');
    const restore = this.strategyAction('Restore old credential', 'restore', {
      resultSelector: {
        'action.$': '$.Payload.action',
        'done.$': '$.Payload.done',
        'reason.$': '$.Payload.reason',
      },
      resultPath: '$.restoration',
    });
    restore.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const repoint = this.wave(
      'Re-point consumers',
      'Re-point',
      '$.rollback.consumers',
      'oldVersionId',
      '$.results.rollback',
    );
    repoint.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const checkRepoint = this.checkWave('Check re-pointed consumers', 'rollback', '$.results.rollback');
    const reportRollback = this.rolloutTask(
      'Report rollback',
      'finish',
      {
        outcome: 'rolled-back',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    const consumerFailedState = this.failStates.get(ROLLOUT_ERRORS.consumerFailed) as sfn.Fail;
    reportRollback.addCatch(consumerFailedState, { resultPath: '$.report' });

    // Wiring.
    const consumerRecord =
      this.records.get(ROLLOUT_ERRORS.consumerFailed) ?? this.record(ROLLOUT_ERRORS.consumerFailed);
    this.start = preflight.next(
      new sfn.Choice(this, 'Already rolled out?')
        .when(sfn.Condition.stringEquals('$.action', 'skip'), nothingToDo)
        .otherwise(findReaders.next(followed)),
    );
    const rotateNow = new sfn.Choice(this, 'Rotate now?')
      // Rotated already: the event's rotation, AWSCURRENT a manual start carries, a followed secret's.
      .when(sfn.Condition.stringEquals('$.rotation.status', 'succeeded'), emergency)
      // A followed secret's rotation in flight is waited out: Handover never rotates it.
      // (A positive IsPresent: aws-local-stepfunctions 3.0.0 evaluates `IsPresent: false` on an
      // absent field as false, unlike Step Functions.)
      .when(sfn.Condition.isPresent('$.rollout.followed'), waitForRotation)
      .when(
        sfn.Condition.stringEquals('$.rollout.trigger', 'manual'),
        startRotation.next(waitForRotation).next(checkRotation).next(rotationFinished),
      )
      // A rotation in flight when the lock was taken: waited out before any consumer.
      .otherwise(waitForRotation);
    followed
      .when(sfn.Condition.isPresent('$.rollout.followed'), followedStrategy.next(rotateNow))
      .otherwise(describe.next(rotateNow));
    rotationFinished
      .when(sfn.Condition.stringEquals('$.rotation.status', 'succeeded'), emergency)
      .otherwise(waitForRotation);
    emergency
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), emergencyCanRevoke)
      .otherwise(canary);
    emergencyCanRevoke
      .when(sfn.Condition.booleanEquals('$.strategy.canRevoke', true), precheck)
      .otherwise(precheckReaders);
    precheck.addCatch(precheckReaders, { resultPath: '$.precheckError' });
    precheck.next(precheckReaders);
    precheckReaders.addCatch(revokeChoice, { resultPath: '$.precheckReadersError' });
    precheckReaders.next(revokeChoice);
    revokeChoice
      .when(sfn.Condition.booleanEquals('$.strategy.canRevoke', true), revokeCompromised)
      .otherwise(alreadyInvalid);
    revokeCompromised.next(reportEmergency);
    alreadyInvalid.next(reportEmergency);
    reportEmergency.addCatch(canary, { resultPath: '$.notifyError' });
    reportEmergency.next(canary);
    canary.next(checkCanary).next(main).next(checkMain).next(consumersUpdated).next(revokeNow);
    revokeNow
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), reportSuccess)
      .when(sfn.Condition.booleanEquals('$.strategy.canRevoke', false), followedNothing)
      .otherwise(grace);
    followedNothing
      .when(sfn.Condition.isPresent('$.rollout.followed'), nothingFollowed)
      .otherwise(nothingToRevoke);
    nothingToRevoke.next(reportReaders);
    nothingFollowed.next(reportReaders);
    reportReaders
      .when(sfn.Condition.isPresent('$.rollout.readers'), reportDeliveryWait.next(nameStragglers))
      .otherwise(reportSuccess);
    nameStragglers.addCatch(reportSuccess, { resultPath: '$.stragglersError' });
    nameStragglers.next(reportSuccess);
    grace.next(readersConfigured);
    readersConfigured
      .when(sfn.Condition.isPresent('$.rollout.readers'), deliveryWait.next(checkUsage))
      .otherwise(checkUsage);
    checkUsage.next(checkReaders).next(countCheck).next(stillUsed);
    stillUsed
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals('$.usage.last.inUse', false),
          sfn.Condition.booleanEquals('$.usage.readers.blocking', false),
        ),
        revokeOld,
      )
      .when(
        sfn.Condition.numberGreaterThanEqualsJsonPath('$.usage.count', '$.rollout.usageMaxChecks'),
        stillInUse,
      )
      .otherwise(recheckWait);
    recheckWait.next(checkUsage);
    revokeOld.next(reportSuccess);
    reportSuccess.next(complete);

    consumerRecord.next(rollBack);
    rollBack
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), this.reportFailure)
      .otherwise(rollbackTask);
    rollbackTask.next(restoreNeeded);
    restoreNeeded
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.revocation.done'),
          sfn.Condition.booleanEquals('$.revocation.done', true),
          sfn.Condition.booleanEquals('$.strategy.canRestore', true),
        ),
        restore.next(repoint),
      )
      .otherwise(repoint);
    repoint.next(checkRepoint).next(reportRollback).next(consumerFailedState);
  }

  /** The state recording a named failure, then reporting it (created once per failure). */
  private record(code: RolloutErrorCode, keepOriginal = false): sfn.Pass {
    const key = keepOriginal ? `${code}:rollback` : code;
    const existing = this.records.get(key);
    if (existing !== undefined) return existing;
    const name = keepOriginal
      ? `Record ${FAILURE_STATES[code]} (rollback)`
      : `Record ${FAILURE_STATES[code]}`;
    const pass = new sfn.Pass(this, name, {
      parameters: {
        error: code,
        'cause.$': '$.caught.Cause',
        'caughtError.$': '$.caught.Error',
        ...(keepOriginal ? { 'original.$': '$.failure' } : {}),
      },
      resultPath: '$.failure',
    });
    this.records.set(key, pass);
    if (code !== ROLLOUT_ERRORS.consumerFailed || keepOriginal) pass.next(this.reportFailure);
    return pass;
  }

  /** A task of the rollout function (`Task` in the payload; the function's answer at `resultPath`). */
  private rolloutTask(
    name: string,
    task: RolloutTaskName,
    payload: Record<string, unknown>,
    options: TaskOptions = {},
  ): tasks.LambdaInvoke {
    const invoke = new tasks.LambdaInvoke(this, name, {
      lambdaFunction: this.fn,
      payload: sfn.TaskInput.fromObject({ Task: task, ...payload }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
      ...(options.resultPath === undefined ? {} : { resultPath: options.resultPath }),
      ...(options.outputPath === undefined ? {} : { outputPath: options.outputPath }),
    });
    // The closing report is idempotent and throws only when its function failed (a timeout, a
    // crash): run it again before giving up on it.
    if (task === 'finish')
      invoke.addRetry({
        errors: ['States.ALL'],
        interval: Duration.seconds(2),
        maxAttempts: 3,
        backoffRate: 2,
      });
    return invoke;
  }

  /** Closes a wave: throws the named failure listing the failed consumers. */
  private checkWave(name: string, wave: 'canary' | 'main' | 'rollback', results: string): tasks.LambdaInvoke {
    const check = this.rolloutTask(
      name,
      'check-wave',
      {
        wave,
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        results: sfn.JsonPath.listAt(results),
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );
    if (wave === 'rollback') {
      check.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    } else {
      check.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    }
    return check;
  }

  /**
   * A strategy action on the secret's own rotation function (`lambda:invoke` with the function
   * ARN from the rollout configuration), so it runs with that function's role and network.
   */
  private strategyAction(
    name: string,
    action: 'describe' | 'inUse' | 'revoke' | 'restore',
    options: { since?: string; resultSelector: Record<string, string>; resultPath: string },
  ): sfn.CustomState {
    const payload: Record<string, unknown> = {
      Action: action,
      'SecretId.$': '$.rollout.secretArn',
      ...(action === 'describe' ? {} : { 'VersionId.$': '$.rotation.versions.oldVersionId' }),
      ...(options.since === undefined ? {} : { 'Since.$': options.since }),
    };
    const state = new sfn.CustomState(this, name, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::lambda:invoke`,
        Parameters: { 'FunctionName.$': '$.rollout.rotationFunctionArn', Payload: payload },
        ResultSelector: options.resultSelector,
        ResultPath: options.resultPath,
      },
    });
    state.addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });
    return state;
  }

  /**
   * A wave: an inline Map over consumers (bounded by `maxConcurrency`). Each item is updated and
   * verified (event consumers: published, then the state waits for the acknowledgement); a failure
   * is caught per consumer and recorded, so the wave's check can name every failed one.
   */
  private wave(
    name: string,
    prefix: string,
    itemsPath: string,
    version: 'newVersionId' | 'oldVersionId',
    resultPath: string,
  ): sfn.Map {
    const rollback = version === 'oldVersionId';
    const map = new sfn.Map(this, name, {
      itemsPath,
      maxConcurrencyPath: '$.rollout.maxConcurrency',
      itemSelector: {
        consumer: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        credentialType: sfn.JsonPath.stringAt('$.rollout.credentialType'),
        update: {
          secretArn: sfn.JsonPath.stringAt('$.rollout.secretArn'),
          versionId: sfn.JsonPath.stringAt(`$.rotation.versions.${version}`),
          rolloutId: rollback
            ? sfn.JsonPath.format('{}-rollback', sfn.JsonPath.stringAt('$.rollout.rolloutId'))
            : sfn.JsonPath.stringAt('$.rollout.rolloutId'),
          mode: sfn.JsonPath.stringAt('$.rollout.mode'),
          startedAt: sfn.JsonPath.stringAt(rollback ? '$.rollback.at' : '$.rotation.completedAt'),
        },
      },
      resultPath,
    });
    const failed = new sfn.Pass(this, `${prefix}: consumer failed`, {
      parameters: {
        'consumer.$': '$.consumer.name',
        'kind.$': '$.consumer.kind',
        ok: false,
        'error.$': '$.caught.Error',
        'cause.$': '$.caught.Cause',
      },
    });
    const publish = new tasks.LambdaInvoke(this, `${prefix}: publish event and wait for acknowledgement`, {
      lambdaFunction: this.fn,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        Task: 'publish-consumer-event',
        consumer: sfn.JsonPath.objectAt('$.consumer'),
        update: sfn.JsonPath.objectAt('$.update'),
        credentialType: sfn.JsonPath.stringAt('$.credentialType'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      taskTimeout: sfn.Timeout.at('$.consumer.timeoutSeconds'),
      resultPath: '$.ack',
    });
    publish.addCatch(failed, { resultPath: '$.caught' });
    const acknowledged = new sfn.Pass(this, `${prefix}: acknowledged`, {
      parameters: {
        'consumer.$': '$.consumer.name',
        ...(WAITING_KINDS.length === 1 ? { kind: WAITING_KINDS[0] } : { 'kind.$': '$.consumer.kind' }),
        ok: true,
        outcome: 'verified',
        detail: 'acknowledged with SendTaskSuccess',
      },
    });
    const update = new tasks.LambdaInvoke(this, `${prefix}: update and verify consumer`, {
      lambdaFunction: this.fn,
      payload: sfn.TaskInput.fromObject({
        Task: 'update-consumer',
        consumer: sfn.JsonPath.objectAt('$.consumer'),
        update: sfn.JsonPath.objectAt('$.update'),
        credentialType: sfn.JsonPath.stringAt('$.credentialType'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    // Not ready yet (a Lambda update in progress, an ECS deployment rolling out): nothing failed.
    update.addRetry({
      errors: ['ConsumerNotReadyError'],
      interval: Duration.seconds(CONSUMER_NOT_READY_RETRY.intervalSeconds),
      maxAttempts: CONSUMER_NOT_READY_RETRY.maxAttempts,
      backoffRate: CONSUMER_NOT_READY_RETRY.backoffRate,
    });
    update.addCatch(failed, { resultPath: '$.caught' });
    map.itemProcessor(
      new sfn.Choice(this, `${prefix}: acknowledged by event?`)
        .when(
          WAITING_KINDS.length === 1
            ? sfn.Condition.stringEquals('$.consumer.kind', WAITING_KINDS[0] ?? '')
            : sfn.Condition.or(
                ...WAITING_KINDS.map((kind) => sfn.Condition.stringEquals('$.consumer.kind', kind)),
              ),
          publish.next(acknowledged),
        )
        .otherwise(update),
    );
    return map;
  }
}
