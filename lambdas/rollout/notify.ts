import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { StructuredLogger } from '../shared/observability';
import { DEFAULT_RUNBOOK_URL } from '../shared/runbook-location';
import {
  milestoneDetailType,
  ROLLOUT_EVENT_SOURCE,
  type RolloutErrorCode,
  type RolloutMilestone,
} from './contract';
import { causeMessage } from './errors';
import type { ConsumerOutcome, RolloutPlan, WorkflowState } from './plan';
import { emergencyLines, readersLines } from './readers/report';
import { FAILURE_GUIDE, failureAnchor, isRolloutErrorCode } from './runbook';
import { shortVersion } from './secret-state';

/** The SNS operation the notifier calls. */
export type SnsSend = Pick<SNSClient, 'send'>;
/** The EventBridge operation the notifier calls. */
export type EventBridgeSend = Pick<EventBridgeClient, 'send'>;

/** Where notifications go. */
export interface NotifierDeps {
  readonly sns: SnsSend;
  readonly eventBridge: EventBridgeSend;
  /** @default - no SNS message (events only) */
  readonly topicArn?: string;
  /** @default 'default' */
  readonly eventBusName?: string;
  /** @default 'docs/runbook.md' */
  readonly runbookUrl?: string;
  readonly logger: StructuredLogger;
}

/** Publishes milestones (EventBridge) and human summaries (SNS). Never throws: a failed
 * notification is logged and reported as `false`, it does not fail a rollout. */
export interface Notifier {
  milestone(milestone: RolloutMilestone, detail: MilestoneDetail): Promise<boolean>;
  summary(message: { subject: string; body: string }, fields: Record<string, unknown>): Promise<boolean>;
  readonly runbookUrl: string;
}

/** The `detail` of every milestone event. Never a secret. */
export interface MilestoneDetail {
  readonly secretArn: string;
  readonly secretName?: string;
  readonly credentialType?: string;
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly mode?: string;
  readonly trigger?: string;
  readonly reason?: string;
  readonly newVersionId?: string;
  readonly oldVersionId?: string;
  readonly consumers?: { readonly updated: readonly string[]; readonly failed: readonly string[] };
  readonly error?: string;
  readonly cause?: string;
  readonly [other: string]: unknown;
}

/**
 * The notifier over SNS and EventBridge.
 *
 * @example
 * ```ts
 * const notifier = createNotifier({ sns, eventBridge, topicArn, logger });
 * await notifier.milestone('Started', detail);
 * ```
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const bus = deps.eventBusName ?? 'default';
  return {
    runbookUrl: deps.runbookUrl ?? DEFAULT_RUNBOOK_URL,
    async milestone(milestone, detail) {
      try {
        const out = await deps.eventBridge.send(
          new PutEventsCommand({
            Entries: [
              {
                Source: ROLLOUT_EVENT_SOURCE,
                DetailType: milestoneDetailType(milestone),
                Detail: JSON.stringify(detail),
                EventBusName: bus,
                Resources: [detail.secretArn],
              },
            ],
          }),
        );
        if ((out.FailedEntryCount ?? 0) > 0) {
          const entry = out.Entries?.[0];
          throw new Error(`${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? 'rejected'}`);
        }
        return true;
      } catch (error) {
        deps.logger.warn('milestone event not published', {
          step: 'notify',
          outcome: 'failure',
          milestone,
          secret_id: detail.secretArn,
          rotation_id: detail.rolloutId,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        return false;
      }
    },
    async summary(message, fields) {
      if (deps.topicArn === undefined) return false;
      try {
        await deps.sns.send(
          new PublishCommand({ TopicArn: deps.topicArn, Subject: message.subject, Message: message.body }),
        );
        return true;
      } catch (error) {
        deps.logger.warn('notification not published', {
          ...fields,
          step: 'notify',
          outcome: 'failure',
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        return false;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The human summary
// ---------------------------------------------------------------------------------------------

/** Every consumer of the plan, with what happened to it. */
export interface ConsumerReport {
  readonly updated: string[];
  readonly failed: Array<{ name: string; kind: string; why: string }>;
  readonly notReached: string[];
  readonly rolledBack: string[];
  readonly rollbackFailed: Array<{ name: string; kind: string; why: string }>;
}

function outcomesOf(results: readonly ConsumerOutcome[] | undefined): ConsumerOutcome[] {
  return Array.isArray(results) ? [...results] : [];
}

/** What happened to every consumer, from the wave results in the state. */
export function consumerReport(state: WorkflowState): ConsumerReport {
  const plan = state.rollout;
  const forward = [...outcomesOf(state.results?.canary), ...outcomesOf(state.results?.main)];
  const back = outcomesOf(state.results?.rollback);
  const reached = new Set(forward.map((outcome) => outcome.consumer));
  const all = plan === undefined ? [] : [...plan.waves.canary, ...plan.waves.main];
  const failure = (outcome: ConsumerOutcome) =>
    outcome.ok ? [] : [{ name: outcome.consumer, kind: outcome.kind, why: causeMessage(outcome.cause, 300) }];
  return {
    updated: forward.filter((outcome) => outcome.ok).map((outcome) => outcome.consumer),
    failed: forward.flatMap(failure),
    notReached: all.map((consumer) => consumer.name).filter((name) => !reached.has(name)),
    rolledBack: back.filter((outcome) => outcome.ok).map((outcome) => outcome.consumer),
    rollbackFailed: back.flatMap(failure),
  };
}

/** `https://<region>.console.aws.amazon.com/states/home?region=<region>#/v2/executions/details/<arn>` */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The command that runs a strategy action on the secret's rotation function. */
export function strategyActionCommand(
  plan: RolloutPlan,
  action: 'inUse' | 'revoke',
  versionId: string,
): string {
  const payload = JSON.stringify({ Action: action, SecretId: plan.secretArn, VersionId: versionId });
  return `aws lambda invoke --function-name ${plan.rotationFunctionArn ?? '<rotation function ARN>'} --cli-binary-format raw-in-base64-out --payload '${payload}' /dev/stdout`;
}

const list = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));

/** The outcome a summary describes. */
export type SummaryOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly error: string; readonly cause: string; readonly rolledBack: boolean }
  | { readonly kind: 'emergency-revoked' };

/**
 * The human summary of a rollout: subject (at most 100 characters, as SNS allows) and body with
 * the secret, the versions, the consumers done / failed / not reached, the usage evidence, and what
 * to do, with the runbook link.
 */
export function summarize(
  state: WorkflowState,
  outcome: SummaryOutcome,
  context: { executionArn: string; runbookUrl: string; secretId: string },
): { subject: string; body: string } {
  const plan = state.rollout;
  const secret = plan?.secretName ?? context.secretId;
  const versions = state.rotation?.versions;
  const consumers = consumerReport(state);
  const lines: string[] = [];
  let headline: string;
  if (outcome.kind === 'succeeded') {
    headline = `rollout of ${secret} succeeded`;
  } else if (outcome.kind === 'emergency-revoked') {
    headline = `EMERGENCY: old credential of ${secret} revoked`;
  } else {
    const short = outcome.error.replace(/^Handover\./, '');
    headline = `rollout of ${secret} FAILED (${short})${outcome.rolledBack ? ', rolled back' : ''}`;
  }
  lines.push(`Handover: ${headline}.`, '');
  lines.push(`Secret:      ${plan?.secretArn ?? context.secretId}`);
  if (plan !== undefined) {
    const strategy = state.strategy === undefined ? '' : ` ${state.strategy.variant}`;
    lines.push(`Type:        ${plan.credentialType}${strategy}`);
    lines.push(
      `Mode:        ${plan.mode} (${plan.trigger === 'event' ? 'scheduled rotation event' : 'started by hand'}): ${plan.reason}`,
    );
  }
  lines.push(`Execution:   ${context.executionArn}`);
  lines.push(`             ${executionConsoleUrl(context.executionArn)}`);
  if (versions !== undefined) {
    lines.push(
      `Versions:    new ${versions.newVersionId} (${shortVersion(versions.newVersionId)}), old ${versions.oldVersionId} (${shortVersion(versions.oldVersionId)})`,
    );
  }
  if (plan !== undefined) {
    lines.push(`Consumers:   updated: ${list(consumers.updated)}`);
    if (consumers.failed.length > 0) {
      lines.push('             failed:');
      for (const failed of consumers.failed)
        lines.push(`               - ${failed.name} (${failed.kind}): ${failed.why}`);
    }
    if (consumers.notReached.length > 0)
      lines.push(`             not reached: ${list(consumers.notReached)}`);
    if (state.results?.rollback !== undefined) {
      lines.push(`             pointed back at the old version: ${list(consumers.rolledBack)}`);
      for (const failed of consumers.rollbackFailed) {
        lines.push(`               - NOT pointed back: ${failed.name} (${failed.kind}): ${failed.why}`);
      }
    }
  }
  const usage = state.usage?.last ?? state.precheck;
  if (usage !== undefined) {
    lines.push(
      `Old credential: ${usage.inUse ? 'IN USE' : usage.observable ? 'not in use' : 'usage unknown'}: ${usage.evidence}`,
    );
  }
  lines.push(...readersLines(state));
  if (state.revocation !== undefined) {
    lines.push(
      state.revocation.done
        ? `Revoked:     yes${usage !== undefined && !usage.observable ? ' (unverified: usage of this credential type cannot be observed)' : ''}`
        : `Revoked:     no: ${state.revocation.reason ?? 'nothing to revoke'}`,
    );
  }
  lines.push('');

  if (outcome.kind === 'emergency-revoked') {
    const all = plan === undefined ? [] : [...plan.waves.canary, ...plan.waves.main];
    lines.push(
      'What breaks: the old credential is revoked now, BEFORE consumers are updated. Every consumer below',
      'that still holds it fails until the workflow moves it (next), and any client not listed here fails',
      'until it re-reads AWSCURRENT:',
    );
    for (const consumer of all) lines.push(`  - ${consumer.name} (${consumer.kind})`);
    if (all.length === 0) lines.push('  - no consumer is configured: every client must re-read AWSCURRENT');
    lines.push(...emergencyLines(state, all));
    lines.push('', 'A second message follows when every consumer has been updated (or has failed).');
  } else if (outcome.kind === 'failed') {
    const code = isRolloutErrorCode(outcome.error) ? outcome.error : undefined;
    lines.push(`Error:       ${outcome.error}`);
    lines.push(`Cause:       ${outcome.cause}`);
    if (code !== undefined) {
      lines.push('', `What to do:  ${FAILURE_GUIDE[code].todo}`);
      const old = versions?.oldVersionId;
      if (plan !== undefined && old !== undefined && needsRevokeCommand(code)) {
        lines.push(`  check:     ${strategyActionCommand(plan, 'inUse', old)}`);
        lines.push(`  revoke:    ${strategyActionCommand(plan, 'revoke', old)}`);
      }
      lines.push(`Runbook:     ${context.runbookUrl}#${failureAnchor(code)}`);
    }
  } else if (state.revocation?.done === true) {
    lines.push('Every consumer moved to the new version and the old credential is revoked.');
  } else {
    lines.push('Every consumer moved to the new version.');
  }
  const subject = `Handover: ${headline}`;
  return { subject: subject.length > 100 ? `${subject.slice(0, 97)}...` : subject, body: lines.join('\n') };
}

function needsRevokeCommand(code: RolloutErrorCode): boolean {
  return (
    code === 'Handover.OldCredentialStillInUse' ||
    code === 'Handover.UsageCheckFailed' ||
    code === 'Handover.RevokeFailed'
  );
}
