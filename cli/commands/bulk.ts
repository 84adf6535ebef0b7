import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type Filter, ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import PQueue from 'p-queue';
import type { RolloutConfig } from '../../lambdas/rollout/contract';
import type { CliContext } from '../context';
import { CliError, EXIT, fromAwsError, isThrottle } from '../errors';
import { Journal } from '../journal';
import { type ReadableBy, readableBy } from '../readable-by';
import { type ManagedSecret, managedSecrets } from '../secrets';
import { describeExecution, executionName, exitOf, startRollout } from '../workflow';
import { rolloutInput } from './rotate';

/** Options of a bulk emergency. */
export interface BulkOptions {
  readonly reason: string;
  readonly tag?: string;
  readonly prefix?: string;
  readonly readableBy?: string;
  readonly yes?: boolean;
  readonly rate: number;
  readonly journal?: string;
}

/** A secret a bulk run rotates. */
interface Target {
  readonly arn: string;
  readonly name: string;
  readonly config: RolloutConfig;
}

/** What a selector chose: the secrets to rotate, those it matched but no policy covers, and how. */
interface Selection {
  readonly label: string;
  readonly targets: readonly Target[];
  readonly skipped: ReadonlyArray<{ readonly secret: string; readonly why: string }>;
  readonly method?: ReadableBy['method'];
}

/** Most executions' status read per second while following (DescribeExecution is throttled too). */
const POLLS_PER_SECOND = 20;
/** Rollouts started at once at most (each start is one StartExecution call). */
const START_CONCURRENCY = 8;
/** Rounds of backing off when AWS keeps throttling a start after the SDK's own retries. */
const THROTTLE_ROUNDS = 6;

async function listSecrets(ctx: CliContext, filters: Filter[]): Promise<SecretListEntry[]> {
  const found: SecretListEntry[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await ctx.aws.secretsManager.send(
        new ListSecretsCommand({
          Filters: filters,
          MaxResults: 100,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      found.push(...(out.SecretList ?? []));
      token = out.NextToken;
    } while (token !== undefined);
  } catch (error) {
    throw fromAwsError(error, 'secretsmanager:ListSecrets');
  }
  return found;
}

/** The managed secrets a selector matches; matches no policy covers are reported, not rotated. */
async function select(ctx: CliContext, options: BulkOptions): Promise<Selection> {
  const managed = await managedSecrets(ctx);
  const byArn = new Map<string, ManagedSecret>();
  for (const entry of managed) byArn.set(entry.config.secretArn, entry);
  const configOf = (arn: string): RolloutConfig | undefined =>
    byArn.get(arn)?.config ?? managed.find((entry) => arn.startsWith(`${entry.config.secretArn}-`))?.config;

  if (options.readableBy !== undefined) {
    const result = await readableBy(
      ctx,
      options.readableBy,
      managed.map((entry) => entry.config),
    );
    return {
      label: `--readable-by ${options.readableBy}`,
      targets: result.readable.map((secret) => ({
        arn: secret.arn,
        name: secret.name,
        config: secret.config,
      })),
      skipped: [],
      method: result.method,
    };
  }
  let filters: Filter[];
  let matches: (secret: SecretListEntry) => boolean;
  let label: string;
  if (options.tag !== undefined) {
    const at = options.tag.indexOf('=');
    if (at <= 0) throw new CliError(EXIT.usage, `--tag takes key=value, got "${options.tag}"`);
    const key = options.tag.slice(0, at);
    const value = options.tag.slice(at + 1);
    // ListSecrets filters tag keys and tag values independently (and by prefix): match exactly here.
    filters = [
      { Key: 'tag-key', Values: [key] },
      { Key: 'tag-value', Values: [value] },
    ];
    matches = (secret) => (secret.Tags ?? []).some((tag) => tag.Key === key && tag.Value === value);
    label = `--tag ${options.tag}`;
  } else {
    const prefix = options.prefix ?? '';
    if (prefix === '') throw new CliError(EXIT.usage, '--prefix takes a non-empty name prefix');
    filters = [{ Key: 'name', Values: [prefix] }];
    matches = (secret) => (secret.Name ?? '').startsWith(prefix);
    label = `--prefix ${prefix}`;
  }
  const targets: Target[] = [];
  const skipped: Array<{ secret: string; why: string }> = [];
  for (const secret of (await listSecrets(ctx, filters)).filter(matches)) {
    const arn = secret.ARN ?? '';
    const config = configOf(arn);
    if (config === undefined) {
      skipped.push({ secret: secret.Name ?? arn, why: 'outside every Handover policy' });
    } else {
      targets.push({ arn, name: secret.Name ?? arn, config });
    }
  }
  return { label, targets, skipped };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      done();
    });
  });

/**
 * `handover emergency --tag k=v | --prefix p | --readable-by arn`: an emergency rollout of every
 * matching managed secret. Starts are paced (`--rate` per second, sliding window) under Secrets
 * Manager's write quota (each rollout makes about 10 writes; 50 writes/s per account and region, not
 * raisable) and far under Step Functions' StartExecution bucket; the SDK's adaptive retry slows
 * down on throttling, and a start still throttled is retried with backoff. Every start and end goes
 * to a journal first; execution names derive from the run and the secret, so running the same
 * command again resumes: ended secrets are reported, started ones followed, the rest started (a
 * start that reached AWS before an interruption is found, not repeated).
 */
export async function bulkEmergencyCommand(ctx: CliContext, options: BulkOptions): Promise<number> {
  const { out, signal } = ctx;
  rolloutInput('selector', 'emergency', options.reason);
  const selection = await select(ctx, options);
  const stateMachineArn = await ctx.stateMachineArn();
  const runKey = createHash('sha256')
    .update(`${stateMachineArn}\n${selection.label}\n${options.reason}`)
    .digest('hex')
    .slice(0, 16);
  const journal = Journal.open(resolve(options.journal ?? `handover-emergency-${runKey}.jsonl`));
  const targets = selection.targets;

  if (selection.method !== undefined) {
    out.note(`Method: ${selection.method.summary}`);
    for (const limit of selection.method.cannotSee) out.note(`  not seen: ${limit}`);
  }
  for (const skipped of selection.skipped) out.note(`skipped ${skipped.secret}: ${skipped.why}`);
  const consumers = targets.reduce((sum, target) => sum + target.config.consumers.length, 0);
  out.note(
    `Emergency rotation of ${targets.length} secret(s) matching ${selection.label}: each current credential is revoked as soon as its new one is verified, BEFORE consumers move (${consumers} declared consumer(s) break until updated).`,
  );
  for (const target of targets.slice(0, 20)) {
    out.note(
      `  ${target.name} (${target.config.credentialType}, consumers: ${target.config.consumers.map((c) => c.name).join(', ') || 'none'})`,
    );
  }
  if (targets.length > 20) out.note(`  ... and ${targets.length - 20} more`);
  out.note(`Journal: ${journal.path}${journal.resumed ? ' (resuming an earlier run)' : ''}`);
  if (targets.length === 0) {
    out.line(`No managed secret matches ${selection.label}: nothing to do.`);
    out.result({
      selection: selection.label,
      secrets: [],
      skipped: selection.skipped,
      ...(selection.method === undefined ? {} : { method: selection.method }),
    });
    return EXIT.ok;
  }
  if (
    options.yes !== true &&
    !(await ctx.prompt.confirm(`Revoke the current credentials of ${targets.length} secret(s)?`))
  ) {
    throw new CliError(
      EXIT.declined,
      'not confirmed: nothing was started',
      'Run it again and answer yes, or pass --yes',
    );
  }

  const started = ctx.now().getTime();
  const progress = out.progress(targets.length, 'emergency');
  const running = new Map<string, string>(); // secret ARN -> execution ARN
  let ended = 0;
  const tick = () => progress.update(ended, `${running.size} running`);
  for (const target of targets) {
    const state = journal.state(target.arn);
    if (state?.event === 'ended') ended += 1;
    else if (state?.event === 'started') running.set(target.arn, state.executionArn);
  }
  tick();

  // Starting, paced.
  const starts = new PQueue({
    concurrency: START_CONCURRENCY,
    intervalCap: options.rate,
    interval: 1000,
    strict: true,
  });
  const toStart = targets.filter((target) => {
    const state = journal.state(target.arn);
    return state === undefined || state.event === 'not-started';
  });
  const startOne = async (target: Target): Promise<void> => {
    const input = rolloutInput(target.arn, 'emergency', options.reason);
    for (let round = 0; ; round += 1) {
      if (signal?.aborted === true) return;
      try {
        const { executionArn } = await startRollout(
          ctx,
          input,
          executionName('emergency', `${runKey}\n${target.arn}`),
        );
        journal.write({ event: 'started', secretArn: target.arn, executionArn, at: ctx.now().toISOString() });
        running.set(target.arn, executionArn);
        tick();
        return;
      } catch (error) {
        const throttled = error instanceof CliError && isThrottle(error.cause);
        if (throttled && round < THROTTLE_ROUNDS) {
          await sleep(Math.min(30_000, 500 * 2 ** round) * (0.5 + Math.random() / 2), signal);
          continue;
        }
        if (error instanceof CliError && error.exitCode === EXIT.accessDenied) throw error;
        journal.write({
          event: 'not-started',
          secretArn: target.arn,
          error: error instanceof CliError ? error.message : String(error),
          at: ctx.now().toISOString(),
        });
        return;
      }
    }
  };
  const starting = Promise.all(toStart.map((target) => starts.add(() => startOne(target))));

  // Following, paced, until every started rollout ended and nothing is left to start.
  const polls = new PQueue({ concurrency: 4, intervalCap: POLLS_PER_SECOND, interval: 1000, strict: true });
  let startsDone = false;
  const startsFinished = starting.then(() => {
    startsDone = true;
  });
  while (!(startsDone && running.size === 0) && signal?.aborted !== true) {
    await Promise.all(
      [...running].map(([secretArn, executionArn]) =>
        polls.add(async () => {
          const execution = await describeExecution(ctx, executionArn).catch((error: unknown) => {
            if (error instanceof CliError && error.exitCode === EXIT.unavailable) return undefined;
            throw error;
          });
          if (
            execution === undefined ||
            execution.status === 'RUNNING' ||
            execution.status === 'PENDING_REDRIVE'
          )
            return;
          journal.write({
            event: 'ended',
            secretArn,
            executionArn,
            status: execution.status ?? 'FAILED',
            ...(execution.error === undefined ? {} : { error: execution.error }),
            ...(execution.cause === undefined ? {} : { cause: execution.cause }),
            at: ctx.now().toISOString(),
          });
          running.delete(secretArn);
          ended += 1;
          tick();
        }),
      ),
    );
    if (!(startsDone && running.size === 0)) await sleep(ctx.pollMs, signal);
  }
  if (signal?.aborted === true) {
    // Queued starts are dropped (their promises never settle); the ones running finish and journal.
    starts.clear();
    await starts.onIdle();
  } else {
    await startsFinished;
  }
  progress.stop();

  // The report.
  const report = targets.map((target) => {
    const state = journal.state(target.arn);
    if (state?.event === 'ended') {
      return {
        secret: target.name,
        secretArn: target.arn,
        executionArn: state.executionArn,
        status: state.status,
        ...(state.error === undefined ? {} : { error: state.error }),
        ...(state.cause === undefined ? {} : { cause: state.cause }),
      };
    }
    if (state?.event === 'started')
      return {
        secret: target.name,
        secretArn: target.arn,
        executionArn: state.executionArn,
        status: 'RUNNING',
      };
    if (state?.event === 'not-started')
      return { secret: target.name, secretArn: target.arn, status: 'NOT_STARTED', error: state.error };
    return { secret: target.name, secretArn: target.arn, status: 'NOT_STARTED' };
  });
  const count = (status: string) => report.filter((row) => row.status === status).length;
  const failed = report.filter((row) => row.status !== 'SUCCEEDED');
  const seconds = ((ctx.now().getTime() - started) / 1000).toFixed(1);
  out.line(
    `${selection.label}: ${count('SUCCEEDED')} succeeded, ${failed.length} not (${count('FAILED')} failed, ${count('NOT_STARTED')} not started, ${count('RUNNING')} still running, ${count('ABORTED') + count('TIMED_OUT')} aborted or timed out) in ${seconds} s; journal ${journal.path}`,
  );
  for (const row of failed) {
    out.line(
      `  ${row.status.padEnd(11)} ${row.secret}${'error' in row && row.error !== undefined ? `: ${row.error}` : ''}`,
    );
  }
  out.result({
    selection: selection.label,
    ...(selection.method === undefined ? {} : { method: selection.method }),
    journal: journal.path,
    seconds: Number(seconds),
    succeeded: count('SUCCEEDED'),
    failed: failed.length,
    secrets: report,
    skipped: selection.skipped,
  });
  if (signal?.aborted === true) {
    throw new CliError(
      EXIT.interrupted,
      `interrupted: ${running.size + count('NOT_STARTED')} secret(s) not finished`,
      `Run the same command again to resume from ${journal.path}`,
    );
  }
  if (failed.length === 0) return EXIT.ok;
  const refusedOnly = failed.every(
    (row) =>
      exitOf({
        status: row.status as 'FAILED',
        ...('error' in row && row.error !== undefined ? { error: row.error } : {}),
      }) === EXIT.refused,
  );
  return refusedOnly ? EXIT.refused : EXIT.rolloutFailed;
}
