import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CliError, EXIT, fromAwsError } from './errors';
import type { Output } from './output';

/** How the CLI asks a person: yes / no, and a secret typed without echo. */
export interface Prompter {
  /** Asks a yes / no question; `false` unless the person says yes. */
  confirm(question: string): Promise<boolean>;
  /** Reads a secret without echoing it (a terminal), or the whole of stdin (a pipe). */
  secret(question: string): Promise<string>;
}

/** The options every verb takes. */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly region?: string;
  readonly stateMachine?: string;
  readonly policy?: string;
}

/** The AWS clients a verb may use, built once per run with the same region. */
export interface AwsClients {
  readonly secretsManager: SecretsManagerClient;
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly iam: IAMClient;
  readonly sts: STSClient;
}

/** What every verb gets. */
export interface CliContext {
  readonly aws: AwsClients;
  readonly out: Output;
  readonly prompt: Prompter;
  readonly options: GlobalOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock. */
  now(): Date;
  /** The ARN of the rollout state machine (`--state-machine`, `HANDOVER_STATE_MACHINE`, else `Handover-rollout`). */
  stateMachineArn(): Promise<string>;
  /** The account of the credentials (STS GetCallerIdentity, once). */
  accountId(): Promise<string>;
  /** How often a followed rollout's history is read (`HANDOVER_POLL_INTERVAL_MS`, default 2000). */
  readonly pollMs: number;
  /** Aborted on Ctrl-C: a bulk run stops starting, keeps its journal and exits 130. */
  readonly signal?: AbortSignal;
}

/** The rollout state machine's name when nothing else is said: the stack's default name + `-rollout`. */
export const DEFAULT_STATE_MACHINE = 'Handover-rollout';

/**
 * The AWS clients of one run: the SDK's own credential and endpoint resolution (profiles,
 * `AWS_ENDPOINT_URL`, ...), the region from `--region` or the environment, and the SDK's adaptive
 * retry mode (client-side rate limiting that slows down when AWS throttles).
 */
export function createAwsClients(region: string | undefined): AwsClients {
  const config = {
    ...(region === undefined ? {} : { region }),
    retryMode: 'adaptive',
    maxAttempts: 8,
  } as const;
  return {
    secretsManager: new SecretsManagerClient(config),
    sfn: new SFNClient(config),
    ssm: new SSMClient(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
  };
}

/** Destroys the clients' sockets so the process can exit. */
export function destroyAwsClients(aws: AwsClients): void {
  for (const client of Object.values(aws)) client.destroy();
}

/** Builds the context of one run. */
export function createContext(deps: {
  readonly aws: AwsClients;
  readonly out: Output;
  readonly prompt: Prompter;
  readonly options: GlobalOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
}): CliContext {
  let account: Promise<string> | undefined;
  const accountId = () => {
    account ??= deps.aws.sts.send(new GetCallerIdentityCommand({})).then(
      (identity) => {
        if (identity.Account === undefined) {
          throw new CliError(EXIT.internal, 'STS GetCallerIdentity returned no account');
        }
        return identity.Account;
      },
      (error: unknown) => {
        throw fromAwsError(error, 'sts:GetCallerIdentity');
      },
    );
    return account;
  };
  const poll = Number(deps.env.HANDOVER_POLL_INTERVAL_MS ?? '');
  return {
    ...deps,
    pollMs: Number.isFinite(poll) && poll > 0 ? poll : 2000,
    now: deps.now ?? (() => new Date()),
    accountId,
    async stateMachineArn() {
      const given = deps.options.stateMachine ?? deps.env.HANDOVER_STATE_MACHINE ?? DEFAULT_STATE_MACHINE;
      if (given.startsWith('arn:')) return given;
      const region = await deps.aws.sfn.config.region();
      return `arn:aws:states:${region}:${await accountId()}:stateMachine:${given}`;
    },
  };
}
