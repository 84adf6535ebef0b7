import { createHash, randomUUID } from 'node:crypto';
import type { FunctionConfiguration, LastUpdateStatusReasonCode } from '@aws-sdk/client-lambda';
import { AwsServiceError } from './errors';
import { type OperationInput, optionalInteger, optionalObject, optionalString, requireString } from './input';
import type { ProtocolHandler } from './protocol';
import { createRestJsonHandler } from './rest-json-protocol';

/**
 * Lambda for the emulator: the configuration API the rollout's Lambda consumer adapter uses,
 * GetFunctionConfiguration and UpdateFunctionConfiguration, and the function life cycle a caller
 * playing Secrets Manager's rotation needs (CreateFunction, AddPermission, DeleteFunction), over
 * the protocol the installed `@aws-sdk/client-lambda` speaks: REST-JSON
 * (`GET|PUT /2015-03-31/functions/{FunctionName}/configuration`, errors named by the
 * `x-amzn-errortype` header).
 *
 * Semantics kept from Lambda: `Environment.Variables` in an update REPLACES the whole map (callers
 * must read, merge and write back); an update makes `LastUpdateStatus` `InProgress` for
 * `updateDelayMs`, then `Successful` (or `Failed` with a reason when a failure was scheduled with
 * {@link LambdaService.failNextUpdate}); another update while one is in progress is
 * `ResourceConflictException` (409); a `RevisionId` that is not the latest is
 * `PreconditionFailedException` (412); every update gets a new `RevisionId`; variables above 4 KB are
 * `InvalidParameterValueException`, whose message quotes the variables, as Lambda's does; a
 * function whose variables cannot be decrypted shows `Environment.Error` instead of the variables.
 *
 * A created function is `Active` at once; its code is accepted and never run. AddPermission
 * statements are kept so that Secrets Manager can tell whether it may invoke a function
 * ({@link LambdaService.functionAccess}).
 *
 * Functions given code in-process ({@link LambdaService.registerHandler}) are invoked by Step
 * Functions executions ({@link LambdaService.invokeFunction}).
 *
 * Not emulated: the Invoke API over HTTP (Secrets Manager calls rotation handlers registered
 * in-process), running uploaded code, versions and aliases (only `$LATEST`),
 * layers, VPC settings, conditions of permission statements.
 */

/** Every Lambda operation the emulator implements. */
export const LAMBDA_OPERATIONS = [
  'AddPermission',
  'CreateFunction',
  'DeleteFunction',
  'GetFunctionConfiguration',
  'UpdateFunctionConfiguration',
] as const;
/** A Lambda operation the emulator implements. */
export type LambdaOperation = (typeof LAMBDA_OPERATIONS)[number];

/** The REST path prefix of Lambda's function API. */
export const LAMBDA_PATH_PREFIX = '/2015-03-31/functions';

/** Exception names Lambda returns, with their HTTP status. */
export const LAMBDA_ERROR = {
  resourceNotFound: { type: 'ResourceNotFoundException', status: 404 },
  resourceConflict: { type: 'ResourceConflictException', status: 409 },
  preconditionFailed: { type: 'PreconditionFailedException', status: 412 },
  invalidParameterValue: { type: 'InvalidParameterValueException', status: 400 },
} as const;

const lambdaError = (kind: (typeof LAMBDA_ERROR)[keyof typeof LAMBDA_ERROR], message: string) =>
  new AwsServiceError(kind.type, message, kind.status);

/** Options of the Lambda model. */
export interface LambdaOptions {
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** The account id in ARNs. @default '123456789012' */
  readonly accountId?: string;
  /**
   * How long an update stays `InProgress`, for functions registered without their own delay.
   * Also settable later through {@link LambdaService.updateDelayMs}.
   * @default 0 - the update is `InProgress` in its own response and `Successful` on the next read
   */
  readonly updateDelayMs?: number;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

/** A function to register. */
export interface LambdaFunctionOptions {
  readonly functionName: string;
  /** @default - no variables */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'nodejs20.x' */
  readonly runtime?: string;
  /** @default 'index.handler' */
  readonly handler?: string;
  /** @default '' */
  readonly description?: string;
  /** @default 3 */
  readonly timeout?: number;
  /** @default 128 */
  readonly memorySize?: number;
  /** How long this function's updates stay `InProgress`. @default - the service's `updateDelayMs` */
  readonly updateDelayMs?: number;
}

/** The code of a function, run in-process when the function is invoked: the event in, the result out. */
export type FunctionHandler = (event: unknown) => Promise<unknown>;

/** A failure to apply to the next update of a function. */
export interface LambdaUpdateFailure {
  /** @default 'InvalidConfiguration' */
  readonly reasonCode?: LastUpdateStatusReasonCode;
  /** @default 'The function could not be updated.' */
  readonly reason?: string;
}

interface PendingUpdate {
  readonly completesAt: number;
  readonly failure?: LambdaUpdateFailure;
}

/** A statement of a function's resource-based policy (AddPermission). */
interface PermissionStatement {
  readonly sid: string;
  readonly action: string;
  readonly principal: string;
}

interface LambdaFunction {
  readonly name: string;
  readonly arn: string;
  readonly role?: string;
  readonly permissions: PermissionStatement[];
  readonly runtime: string;
  readonly handler: string;
  readonly updateDelayMs: number | undefined;
  description: string;
  timeout: number;
  memorySize: number;
  variables: Record<string, string>;
  environmentError?: { readonly ErrorCode: string; readonly Message: string };
  revisionId: string;
  lastModified: Date;
  lastUpdateStatus: 'Successful' | 'Failed' | 'InProgress';
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: LastUpdateStatusReasonCode;
  pending?: PendingUpdate;
  nextFailure?: LambdaUpdateFailure;
  updates: number;
}

const NAME_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;
const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const STATEMENT_ID_PATTERN = /^[a-zA-Z0-9-_]{1,100}$/;
const VARIABLE_PATTERN = /^[a-zA-Z]([a-zA-Z0-9_])+$/;
const RESERVED_VARIABLES = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);
const MAX_VARIABLES_BYTES = 4096;

/** Lambda's timestamp format: `2026-11-21T10:00:00.000+0000`. */
function lambdaTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/**
 * The Lambda model: registered functions and their configuration. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const lambda = new LambdaService({ updateDelayMs: 200 });
 * lambda.registerFunction({ functionName: 'billing-api', environment: { TABLE: 'bills' } });
 * lambda.failNextUpdate('billing-api', { reasonCode: 'EniLimitExceeded', reason: 'ENI limit reached' });
 * ```
 */
export class LambdaService {
  readonly region: string;
  readonly accountId: string;
  /** How long updates stay `InProgress` for functions without their own delay, in milliseconds. */
  updateDelayMs: number;
  readonly #now: () => Date;
  readonly #functions = new Map<string, LambdaFunction>();
  readonly #handlers = new Map<string, FunctionHandler>();

  readonly #operations: Record<LambdaOperation, (input: OperationInput) => object> = {
    AddPermission: (input) => this.#addPermission(input),
    CreateFunction: (input) => this.#createFunction(input),
    DeleteFunction: (input) => this.#deleteFunction(input),
    GetFunctionConfiguration: (input) => this.#getFunctionConfiguration(input),
    UpdateFunctionConfiguration: (input) => this.#updateFunctionConfiguration(input),
  };

  constructor(options: LambdaOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.updateDelayMs = options.updateDelayMs ?? 0;
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is a Lambda operation the emulator implements. */
  static isOperation(operation: string): operation is LambdaOperation {
    return (LAMBDA_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: LambdaOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Registers (or replaces) a function; returns its configuration as GetFunctionConfiguration would. */
  registerFunction(options: LambdaFunctionOptions): FunctionConfiguration {
    if (!NAME_PATTERN.test(options.functionName)) {
      throw new RangeError(`functionName must match ${NAME_PATTERN.source}, got '${options.functionName}'`);
    }
    const fn: LambdaFunction = {
      name: options.functionName,
      arn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${options.functionName}`,
      permissions: [],
      runtime: options.runtime ?? 'nodejs20.x',
      handler: options.handler ?? 'index.handler',
      updateDelayMs: options.updateDelayMs,
      description: options.description ?? '',
      timeout: options.timeout ?? 3,
      memorySize: options.memorySize ?? 128,
      variables: { ...options.environment },
      revisionId: randomUUID(),
      lastModified: this.#now(),
      lastUpdateStatus: 'Successful',
      updates: 0,
    };
    this.#functions.set(fn.name, fn);
    return this.#configuration(fn);
  }

  /** The function's configuration as GetFunctionConfiguration returns it; `undefined` when unknown. */
  functionConfiguration(functionName: string): FunctionConfiguration | undefined {
    const fn = this.#find(functionName);
    return fn === undefined ? undefined : this.#configuration(fn);
  }

  /** How many updates the function accepted since it was registered. */
  updateCount(functionName: string): number {
    return this.#find(functionName)?.updates ?? 0;
  }

  /** Makes the next update of the function end `Failed` with this reason (after its delay). */
  failNextUpdate(functionName: string, failure: LambdaUpdateFailure = {}): void {
    this.#require(functionName).nextFailure = failure;
  }

  /**
   * Makes Lambda unable to show the function's variables (`Environment.Error`, as when their KMS
   * key is disabled); `undefined` clears it.
   */
  setEnvironmentError(
    functionName: string,
    error: { readonly ErrorCode: string; readonly Message: string } | undefined,
  ): void {
    const fn = this.#require(functionName);
    if (error === undefined) delete fn.environmentError;
    else fn.environmentError = error;
  }

  /**
   * Whether Secrets Manager may invoke the function with this ARN (or name): `missing` when there is
   * none, `invocable` when a statement of its policy grants `lambda:InvokeFunction` to
   * `secretsmanager.amazonaws.com`, `forbidden` otherwise.
   */
  functionAccess(functionArn: string): 'invocable' | 'forbidden' | 'missing' {
    const fn = this.#find(functionArn);
    if (fn === undefined) return 'missing';
    const granted = fn.permissions.some(
      (statement) =>
        statement.principal === 'secretsmanager.amazonaws.com' &&
        ['lambda:InvokeFunction', 'lambda:*'].includes(statement.action),
    );
    return granted ? 'invocable' : 'forbidden';
  }

  /**
   * Gives a function code the emulator can run: {@link invokeFunction} (a Step Functions Task state
   * invoking it) calls `handler`. The function is named by name or ARN; it need not be registered.
   */
  registerHandler(functionNameOrArn: string, handler: FunctionHandler): void {
    this.#handlers.set(LambdaService.#nameOf(functionNameOrArn), handler);
  }

  /**
   * Invokes a function synchronously (`RequestResponse`), as a Step Functions Lambda task does: the
   * event and the result travel as JSON, as they do through Lambda. A function with no handler fails
   * with `Lambda.ResourceNotFoundException`; an error the handler throws keeps its name (Lambda's
   * `errorType`).
   */
  async invokeFunction(functionNameOrArn: string, event: unknown): Promise<unknown> {
    const handler = this.#handlers.get(LambdaService.#nameOf(functionNameOrArn));
    if (handler === undefined) {
      const error = new Error(`Function not found: ${functionNameOrArn}`);
      error.name = 'Lambda.ResourceNotFoundException';
      throw error;
    }
    const result = await handler(JSON.parse(JSON.stringify(event ?? null)));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  /** The function name in a name, a full ARN or a partial ARN. */
  static #nameOf(reference: string): string {
    return (
      /^(?:arn:aws[\w-]*:lambda:[\w-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9-_]+)(?::\$LATEST)?$/.exec(
        reference,
      )?.[1] ?? reference
    );
  }

  /** Forgets every function. */
  clear(): void {
    this.#functions.clear();
    this.#handlers.clear();
  }

  #require(functionName: string): LambdaFunction {
    const fn = this.#find(functionName);
    if (fn === undefined) throw new RangeError(`no function named ${functionName} is registered`);
    return fn;
  }

  /** Resolves a name, a full ARN or a partial ARN (`123456789012:function:name`). */
  #find(reference: string): LambdaFunction | undefined {
    const match =
      /^(?:arn:aws[\w-]*:lambda:[\w-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST))?$/.exec(
        reference,
      );
    const name = match?.[1];
    const fn = name === undefined ? undefined : this.#functions.get(name);
    if (fn !== undefined) this.#settle(fn);
    return fn;
  }

  #resolve(input: OperationInput): LambdaFunction {
    const reference = requireString(input, 'FunctionName');
    const qualifier = optionalString(input, 'Qualifier');
    const fn = this.#find(reference);
    if (fn === undefined || (qualifier !== undefined && qualifier !== '$LATEST')) {
      const arn = fn?.arn ?? `arn:aws:lambda:${this.region}:${this.accountId}:function:${reference}`;
      throw lambdaError(
        LAMBDA_ERROR.resourceNotFound,
        `Function not found: ${arn}${qualifier === undefined ? '' : `:${qualifier}`}`,
      );
    }
    return fn;
  }

  /** Completes an update whose delay has passed. */
  #settle(fn: LambdaFunction): void {
    const pending = fn.pending;
    if (pending === undefined || this.#now().getTime() < pending.completesAt) return;
    delete fn.pending;
    if (pending.failure === undefined) {
      fn.lastUpdateStatus = 'Successful';
      delete fn.lastUpdateStatusReason;
      delete fn.lastUpdateStatusReasonCode;
    } else {
      fn.lastUpdateStatus = 'Failed';
      fn.lastUpdateStatusReason = pending.failure.reason ?? 'The function could not be updated.';
      fn.lastUpdateStatusReasonCode = pending.failure.reasonCode ?? 'InvalidConfiguration';
    }
  }

  #configuration(fn: LambdaFunction): FunctionConfiguration {
    const environment =
      fn.environmentError !== undefined
        ? { Environment: { Error: { ...fn.environmentError } } }
        : Object.keys(fn.variables).length > 0
          ? { Environment: { Variables: { ...fn.variables } } }
          : {};
    return {
      FunctionName: fn.name,
      FunctionArn: fn.arn,
      Runtime: fn.runtime as FunctionConfiguration['Runtime'],
      Role: fn.role ?? `arn:aws:iam::${this.accountId}:role/${fn.name}-role`,
      Handler: fn.handler,
      CodeSize: 1024,
      Description: fn.description,
      Timeout: fn.timeout,
      MemorySize: fn.memorySize,
      LastModified: lambdaTimestamp(fn.lastModified),
      CodeSha256: createHash('sha256').update(fn.name).digest('base64'),
      Version: '$LATEST',
      ...environment,
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: fn.revisionId,
      State: 'Active',
      LastUpdateStatus: fn.lastUpdateStatus,
      ...(fn.lastUpdateStatusReason === undefined
        ? {}
        : { LastUpdateStatusReason: fn.lastUpdateStatusReason }),
      ...(fn.lastUpdateStatusReasonCode === undefined
        ? {}
        : { LastUpdateStatusReasonCode: fn.lastUpdateStatusReasonCode }),
      PackageType: 'Zip',
      Architectures: ['arm64'],
    };
  }

  #createFunction(input: OperationInput): FunctionConfiguration {
    const name = requireString(input, 'FunctionName');
    const role = requireString(input, 'Role');
    if (!NAME_PATTERN.test(name)) {
      throw lambdaError(
        LAMBDA_ERROR.invalidParameterValue,
        `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN.source}`,
      );
    }
    if (!ROLE_PATTERN.test(role)) {
      throw lambdaError(
        LAMBDA_ERROR.invalidParameterValue,
        `1 validation error detected: Value '${role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_PATTERN.source}`,
      );
    }
    if (optionalObject(input, 'Code') === undefined) {
      throw lambdaError(LAMBDA_ERROR.invalidParameterValue, 'Code is required.');
    }
    if (this.#functions.has(name)) {
      throw lambdaError(LAMBDA_ERROR.resourceConflict, `Function already exist: ${name}`);
    }
    const environment = optionalObject(input, 'Environment');
    const runtime = optionalString(input, 'Runtime');
    const handler = optionalString(input, 'Handler');
    const description = optionalString(input, 'Description');
    const timeout = optionalInteger(input, 'Timeout', 1, 900);
    const memorySize = optionalInteger(input, 'MemorySize', 128, 10_240);
    const fn: LambdaFunction = {
      name,
      arn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`,
      role,
      permissions: [],
      runtime: runtime ?? 'nodejs20.x',
      handler: handler ?? 'index.handler',
      updateDelayMs: undefined,
      description: description ?? '',
      timeout: timeout ?? 3,
      memorySize: memorySize ?? 128,
      variables: environment === undefined ? {} : this.#variables(environment),
      revisionId: randomUUID(),
      lastModified: this.#now(),
      lastUpdateStatus: 'Successful',
      updates: 0,
    };
    this.#functions.set(name, fn);
    return this.#configuration(fn);
  }

  #deleteFunction(input: OperationInput): object {
    const fn = this.#resolve(input);
    this.#functions.delete(fn.name);
    return {};
  }

  #addPermission(input: OperationInput): object {
    const fn = this.#resolve(input);
    const sid = requireString(input, 'StatementId');
    const action = requireString(input, 'Action');
    const principal = requireString(input, 'Principal');
    if (!STATEMENT_ID_PATTERN.test(sid)) {
      throw lambdaError(
        LAMBDA_ERROR.invalidParameterValue,
        `1 validation error detected: Value '${sid}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ${STATEMENT_ID_PATTERN.source}`,
      );
    }
    if (fn.permissions.some((statement) => statement.sid === sid)) {
      throw lambdaError(
        LAMBDA_ERROR.resourceConflict,
        `The statement id (${sid}) provided already exists. Please specify a new statement id, or remove the existing statement.`,
      );
    }
    fn.permissions.push({ sid, action, principal });
    const principalShape = principal.includes('.amazonaws.com') ? { Service: principal } : { AWS: principal };
    return {
      Statement: JSON.stringify({
        Sid: sid,
        Effect: 'Allow',
        Principal: principalShape,
        Action: action,
        Resource: fn.arn,
      }),
    };
  }

  #getFunctionConfiguration(input: OperationInput): FunctionConfiguration {
    return this.#configuration(this.#resolve(input));
  }

  #updateFunctionConfiguration(input: OperationInput): FunctionConfiguration {
    const fn = this.#resolve(input);
    if (fn.lastUpdateStatus === 'InProgress') {
      throw lambdaError(
        LAMBDA_ERROR.resourceConflict,
        `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
      );
    }
    const revisionId = optionalString(input, 'RevisionId');
    if (revisionId !== undefined && revisionId !== fn.revisionId) {
      throw lambdaError(
        LAMBDA_ERROR.preconditionFailed,
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
    }
    const environment = optionalObject(input, 'Environment');
    const variables = environment === undefined ? undefined : this.#variables(environment);
    const description = optionalString(input, 'Description');
    const timeout = optionalInteger(input, 'Timeout', 1, 900);
    const memorySize = optionalInteger(input, 'MemorySize', 128, 10_240);

    if (variables !== undefined) {
      fn.variables = variables;
      delete fn.environmentError;
    }
    if (description !== undefined) fn.description = description;
    if (timeout !== undefined) fn.timeout = timeout;
    if (memorySize !== undefined) fn.memorySize = memorySize;
    fn.revisionId = randomUUID();
    fn.lastModified = this.#now();
    fn.lastUpdateStatus = 'InProgress';
    delete fn.lastUpdateStatusReason;
    delete fn.lastUpdateStatusReasonCode;
    fn.updates += 1;
    fn.pending = {
      completesAt: this.#now().getTime() + (fn.updateDelayMs ?? this.updateDelayMs),
      ...(fn.nextFailure === undefined ? {} : { failure: fn.nextFailure }),
    };
    delete fn.nextFailure;
    // The response shows the update in progress; a zero delay completes it on the next read.
    return this.#configuration(fn);
  }

  /** Validates `Environment.Variables` (the whole new map: Lambda replaces, never merges). */
  #variables(environment: OperationInput): Record<string, string> {
    const raw = environment.Variables;
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw lambdaError(
        LAMBDA_ERROR.invalidParameterValue,
        'Environment.Variables must be a map of strings.',
      );
    }
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (!VARIABLE_PATTERN.test(name)) {
        throw lambdaError(
          LAMBDA_ERROR.invalidParameterValue,
          `Lambda was unable to configure your environment variables because the environment variables you have provided contains a key that is not valid: ${name}`,
        );
      }
      if (RESERVED_VARIABLES.has(name)) {
        throw lambdaError(
          LAMBDA_ERROR.invalidParameterValue,
          `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${name}`,
        );
      }
      if (typeof value !== 'string') {
        throw lambdaError(
          LAMBDA_ERROR.invalidParameterValue,
          `The value of environment variable ${name} must be a string.`,
        );
      }
      variables[name] = value;
    }
    const measured = JSON.stringify(variables);
    if (Buffer.byteLength(measured) > MAX_VARIABLES_BYTES) {
      // Lambda quotes the variables in this message: callers must redact it.
      throw lambdaError(
        LAMBDA_ERROR.invalidParameterValue,
        `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
      );
    }
    return variables;
  }
}

/** Serves a {@link LambdaService} over REST-JSON. */
export function createLambdaHandler(lambda: LambdaService): ProtocolHandler {
  return createRestJsonHandler({
    service: 'lambda',
    pathPrefix: LAMBDA_PATH_PREFIX,
    routes: [
      { method: 'POST', path: LAMBDA_PATH_PREFIX, operation: 'CreateFunction', successStatus: 201 },
      {
        method: 'DELETE',
        path: `${LAMBDA_PATH_PREFIX}/{FunctionName}`,
        operation: 'DeleteFunction',
        successStatus: 204,
      },
      {
        method: 'POST',
        path: `${LAMBDA_PATH_PREFIX}/{FunctionName}/policy`,
        operation: 'AddPermission',
        successStatus: 201,
      },
      {
        method: 'GET',
        path: `${LAMBDA_PATH_PREFIX}/{FunctionName}/configuration`,
        operation: 'GetFunctionConfiguration',
      },
      {
        method: 'PUT',
        path: `${LAMBDA_PATH_PREFIX}/{FunctionName}/configuration`,
        operation: 'UpdateFunctionConfiguration',
      },
    ],
    resourceMember: 'FunctionName',
    invoke: (operation, input) => {
      if (!LambdaService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return lambda.invoke(operation, input);
    },
    // Lambda's error bodies: `Type` (User / Service) and the message, capitalised for not-found.
    errorBody: (error) => {
      const Type = error.status >= 500 ? 'Service' : 'User';
      return error.type === LAMBDA_ERROR.resourceNotFound.type
        ? { Type, Message: error.message }
        : { Type, message: error.message };
    },
  });
}
