/**
 * What the `handover` CLI exits with: one code per failure class, so a script can tell "nothing to
 * do" from "you typed it wrong" from "you may not" from "the rollout failed". `docs/cli.md` and
 * `handover --help` list them; the values never change meaning.
 */
export const EXIT = {
  /** Everything asked was done (or there was nothing to do). */
  ok: 0,
  /** A bug or an error the CLI did not expect: the message says what, a report helps. */
  internal: 1,
  /** Bad arguments: a missing or malformed option, a verb that does not exist. Nothing was changed. */
  usage: 2,
  /** The secret (or principal, or policy file) does not exist. Nothing was changed. */
  notFound: 3,
  /** The secret exists but no Handover policy entry covers it (no rollout configuration). Nothing was changed. */
  notManaged: 4,
  /** AWS refused a call: the caller lacks a permission. Nothing was changed by the refused call. */
  accessDenied: 5,
  /** A rollout ran and ended FAILED, TIMED_OUT or ABORTED (or, in bulk, at least one did). */
  rolloutFailed: 6,
  /** The request is valid but the secret's state refuses it now (another rollout holds the lock, rotation is off, AWSPENDING is stuck, ...). Nothing was changed. */
  refused: 7,
  /** The operator said no at a confirmation. Nothing was changed. */
  declined: 8,
  /** AWS could not be reached or kept throttling after every retry. */
  unavailable: 9,
  /** `age` / `status --check`: a finding (a secret older than its policy, rotation off where the policy says on, a stuck AWSPENDING). */
  findings: 10,
  /** Interrupted (Ctrl-C): a bulk run keeps its journal; run the same command again to resume. */
  interrupted: 130,
} as const;

/** One of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The name of each exit code, for `--json` output. */
export const EXIT_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EXIT).map(([name, code]) => [code, name]),
);

/**
 * An error the CLI reports as one line, `handover: <what is wrong>. <what to do>`, and exits with
 * `exitCode`. The message never contains secret material.
 *
 * @example
 * ```ts
 * throw new CliError(EXIT.notFound, 'secret orders/db does not exist in us-east-1', 'check the name, or pass --region');
 * ```
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** What to do about it. */
  readonly hint: string | undefined;

  constructor(exitCode: ExitCode, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }

  /** The one line printed for it. */
  get line(): string {
    return `handover: ${this.message}${this.hint === undefined ? '' : `. ${this.hint}`}`;
  }
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const UNAVAILABLE = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServiceError',
  'InternalFailure',
  'TimeoutError',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']);

/** An AWS SDK error's code (`name`), or a Node network error's `code`. */
export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'Error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK.has(code) ? code : error.name;
}

/** Whether an AWS error is a throttle (the caller should back off and retry). */
export function isThrottle(error: unknown): boolean {
  const name = errorCode(error);
  return name === 'ThrottlingException' || name === 'Throttling' || name === 'TooManyRequestsException';
}

/**
 * Turns an error from an AWS call into the CLI's classes: permissions, availability, or `otherwise`
 * (the caller's own classification, e.g. not found). `action` names the call for the message,
 * e.g. `secretsmanager:DescribeSecret on orders/db`.
 */
export function fromAwsError(
  error: unknown,
  action: string,
  otherwise?: (code: string) => CliError | undefined,
): CliError {
  if (error instanceof CliError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const own = otherwise?.(code);
  if (own !== undefined) return own;
  if (ACCESS_DENIED.has(code) || /not authorized|access denied/i.test(message)) {
    return new CliError(
      EXIT.accessDenied,
      `AWS refused ${action}: ${code}`,
      'Run it with credentials allowed to (docs/cli.md lists the permissions of each verb), e.g. the break-glass role',
      { cause: error },
    );
  }
  if (UNAVAILABLE.has(code) || NETWORK.has(code)) {
    return new CliError(
      EXIT.unavailable,
      `AWS did not answer ${action}: ${code}`,
      'Check the network, the region and the endpoint (AWS_ENDPOINT_URL), then run it again',
      { cause: error },
    );
  }
  return new CliError(EXIT.internal, `${action} failed: ${code}: ${message}`, undefined, { cause: error });
}
