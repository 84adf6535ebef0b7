import type { Principal } from './auth';
import type { OperationInput } from './input';

/**
 * One API call the emulator received, with what CloudTrail records of a management event: who
 * signed it, from where, with which client, when, the operation, its parameters WITHOUT secret
 * values, and the error it ended with. Never holds a request body, a secret value or a signature.
 */
export interface CallRecord {
  /** The service, e.g. `secretsmanager` (`states` for Step Functions, `events` for EventBridge). */
  readonly service: string;
  /** The operation, e.g. `PutSecretValue`. */
  readonly operation: string;
  /** The SecretId (or Name for CreateSecret; UserName for IAM; the instance or cluster identifier for RDS) the call was about, when it had one. */
  readonly secretId?: string;
  /** When the call arrived. */
  readonly time: Date;
  /** The request id the response carried (`x-amzn-requestid`). */
  readonly requestId: string;
  /** The region of the signature's credential scope, when it was signed. */
  readonly region?: string;
  /** The access key id the request was signed with, even when authentication failed. */
  readonly accessKeyId?: string;
  /** Who signed it, when authentication succeeded (CloudTrail's `userIdentity`). */
  readonly caller?: Principal;
  /** The client's address (CloudTrail's `sourceIPAddress`). */
  readonly sourceIp: string;
  /** The `User-Agent` header. */
  readonly userAgent?: string;
  /**
   * The decoded input, with every member that can hold secret material replaced by
   * {@link HIDDEN} (CloudTrail's `requestParameters`).
   */
  readonly requestParameters: Readonly<Record<string, unknown>>;
  /** The error code the call was answered with; absent when it succeeded. */
  readonly errorCode?: string;
}

/** What CloudTrail writes in place of a sensitive parameter. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * Input members that can carry secret material in the emulated APIs, compared without case (Step
 * Functions spells its members `taskToken`, `output`, `cause`): secret values, rotation and task
 * tokens, parameter values, environment variables, messages, event details, task output and
 * failure causes, function code, passwords and key secrets.
 */
const SENSITIVE_MEMBERS: ReadonlySet<string> = new Set(
  [
    'SecretString',
    'SecretBinary',
    'RotationToken',
    'TaskToken',
    'Output',
    'Cause',
    'Value',
    'Variables',
    'Message',
    'Detail',
    'ZipFile',
    'Password',
    'MasterUserPassword',
    'SecretAccessKey',
  ].map((name) => name.toLowerCase()),
);

function redact(value: unknown): unknown {
  if (value instanceof Uint8Array) return HIDDEN;
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      out[key] = SENSITIVE_MEMBERS.has(key.toLowerCase()) ? HIDDEN : redact(member);
    }
    return out;
  }
  return value;
}

/**
 * A call's input as the call log keeps it: secret-bearing members replaced by {@link HIDDEN}.
 *
 * @example
 * ```ts
 * redactParameters({ SecretId: 'app/db', SecretString: 'p4ss' });
 * // { SecretId: 'app/db', SecretString: 'HIDDEN_DUE_TO_SECURITY_REASONS' }
 * ```
 */
export function redactParameters(input: OperationInput): Record<string, unknown> {
  return redact(input) as Record<string, unknown>;
}

/** A call record while the call is served: the caller and the error are filled in as they are known. */
export type OpenCallRecord = { -readonly [K in keyof CallRecord]: CallRecord[K] };

/**
 * The call log: every call the emulator received, oldest first, in one place. The in-process API
 * (`emulator.calls`) and the HTTP control endpoint (`GET /_emulator/calls`) read it; a CloudTrail
 * `LookupEvents` can be built on it.
 */
export class CallLog {
  readonly #records: OpenCallRecord[] = [];

  /** Appends a record and returns it, to be completed when the call is answered. */
  open(record: OpenCallRecord): OpenCallRecord {
    this.#records.push(record);
    return record;
  }

  /** Copies of every record, oldest first. */
  get records(): readonly CallRecord[] {
    return this.#records.map((record) => ({ ...record }));
  }

  /** Empties the log. */
  clear(): void {
    this.#records.length = 0;
  }

  /** The number of calls per operation. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { operation } of this.#records) counts[operation] = (counts[operation] ?? 0) + 1;
    return counts;
  }
}
