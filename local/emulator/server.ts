import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator, type Credentials } from './auth';
import { CallLog, type CallRecord, type OpenCallRecord, redactParameters } from './call-log';
import { type CloudTrailOptions, CloudTrailService, createCloudTrailHandler } from './cloudtrail';
import { CloudWatchService, createCloudWatchHandler } from './cloudwatch';
import { handleControl } from './control';
import { createDynamoDbHandler, DynamoDbService } from './dynamodb';
import { AwsServiceError, ERROR_TYPE, internalServiceError } from './errors';
import { createEventBridgeHandler, EventBridgeService } from './eventbridge';
import { FaultInjector } from './faults';
import { createIamHandler, type IamOptions, IamService } from './iam';
import { createLambdaHandler, type LambdaOptions, LambdaService } from './lambda';
import type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';
import { createRdsHandler, RdsService } from './rds';
import type { RotationLambdaHandler, RotationRetryOptions } from './rotation-driver';
import { createSecretsManagerHandler, SecretsManagerService } from './secrets-manager';
import { createStepFunctionsHandler, StepFunctionsService } from './sfn';
import { createSnsHandler, SnsService } from './sns';
import { createSsmHandler, SsmService } from './ssm';
import { createStsHandler, StsService } from './sts';

const MAX_BODY_BYTES = 1024 * 1024;

/** What the optional `log` callback receives: operation names only. */
export interface EmulatorLogEntry {
  readonly service: string;
  readonly operation: string;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - a free port chosen by the OS */
  readonly port?: number;
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** The account id in ARNs. @default '123456789012' */
  readonly accountId?: string;
  /** How failing rotation steps are retried. @default - 2 retries, 0-50 ms apart */
  readonly rotation?: RotationRetryOptions;
  /** Receives the service and operation of every call. @default - nothing is logged */
  readonly log?: (entry: EmulatorLogEntry) => void;
  /** IAM settings, e.g. the access key propagation delay. @default - keys work at once */
  readonly iam?: Omit<IamOptions, 'accountId'>;
  /** Lambda settings, e.g. how long updates stay `InProgress`. @default - updates complete on the next read */
  readonly lambda?: Pick<LambdaOptions, 'updateDelayMs'>;
  /**
   * Step Functions settings: `maxWaitMs`, the longest a Wait state or a retry interval of an
   * execution really lasts.
   * @default - as the definition says
   */
  readonly stepFunctions?: { readonly maxWaitMs?: number };
  /**
   * The bootstrap credentials: requests they sign act as the account's administrator (root).
   * @default - the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` of this process, read at each
   * request; `test` / `test` when they are unset
   */
  readonly credentials?: Credentials;
  /**
   * CloudTrail: how many LookupEvents calls a second are allowed, and how long an event takes to
   * become visible.
   * @default - 2 lookups per second, events visible at once
   */
  readonly cloudTrail?: Pick<CloudTrailOptions, 'lookupsPerSecond' | 'deliveryDelayMs'>;
}

/** The services the rollout workflow talks to. */
interface RolloutServices {
  readonly lambda: LambdaService;
  readonly ssm: SsmService;
  readonly eventBridge: EventBridgeService;
  readonly stepFunctions: StepFunctionsService;
  readonly sns: SnsService;
}

/** A running emulator. */
export interface Emulator {
  /** The endpoint to give the SDK (`endpoint`, or `AWS_ENDPOINT_URL`), e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** The port the emulator listens on. */
  readonly port: number;
  /** The Secrets Manager model: rotation set-up, rotation records, `waitForRotation`. */
  readonly secretsManager: SecretsManagerService;
  /** The CloudWatch metrics model: the data points PutMetricData stored. */
  readonly cloudWatch: CloudWatchService;
  /** The IAM model: users, access keys (the ones that may sign calls), last use. */
  readonly iam: IamService;
  /** The RDS model: register DB instances and clusters whose endpoints point at local servers. */
  readonly rds: RdsService;
  /** The Lambda model: register functions, read their configuration, schedule failed updates. */
  readonly lambda: LambdaService;
  /** The SSM Parameter Store model. */
  readonly ssm: SsmService;
  /** The EventBridge model: recorded events, and listeners standing in for rules and targets. */
  readonly eventBridge: EventBridgeService;
  /** Step Functions: task tokens (`createTaskToken`, `waitForTaskToken`), state machines and executions (`stateMachines`). */
  readonly stepFunctions: StepFunctionsService;
  /** The SNS model: topics and the messages published to them. */
  readonly sns: SnsService;
  /** CloudTrail: the management event of every authenticated call, LookupEvents, delivery delay. */
  readonly cloudTrail: CloudTrailService;
  /** The DynamoDB model: tables and their items. */
  readonly dynamodb: DynamoDbService;
  /** Fault injection: make chosen calls fail. */
  readonly faults: FaultInjector;
  /**
   * Every call received since start or the last `resetCalls()`, oldest first (copies), with who
   * signed it, from where, and its parameters without secret values.
   */
  readonly calls: readonly CallRecord[];
  /** The bootstrap credentials in effect now (the account's administrator). */
  readonly bootstrapCredentials: Credentials;
  /** Empties the call log. */
  resetCalls(): void;
  /** The number of calls per operation since start or the last `resetCalls()`. */
  callCounts(): Record<string, number>;
  /** Makes `handler` the rotation Lambda with this ARN, called by RotateSecret. */
  registerRotationLambda(lambdaArn: string, handler: RotationLambdaHandler): void;
  /** Stops the server and any rotation still running. */
  close(): Promise<void>;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function send(response: ServerResponse, result: HttpResponse): void {
  response.writeHead(result.status, { ...result.headers, 'content-length': Buffer.byteLength(result.body) });
  response.end(result.body);
}

class RunningEmulator implements Emulator {
  readonly endpoint: string;
  readonly port: number;
  readonly secretsManager: SecretsManagerService;
  readonly faults: FaultInjector;
  readonly iam: IamService;
  readonly cloudWatch: CloudWatchService;
  readonly rds: RdsService;
  readonly lambda: LambdaService;
  readonly ssm: SsmService;
  readonly eventBridge: EventBridgeService;
  readonly stepFunctions: StepFunctionsService;
  readonly sns: SnsService;
  readonly cloudTrail: CloudTrailService;
  readonly dynamodb: DynamoDbService;
  readonly #server: Server;
  readonly #calls: CallLog;
  readonly #authenticator: Authenticator;

  constructor(
    server: Server,
    port: number,
    host: string,
    secretsManager: SecretsManagerService,
    faults: FaultInjector,
    calls: CallLog,
    authenticator: Authenticator,
    iam: IamService,
    cloudWatch: CloudWatchService,
    rds: RdsService,
    rollout: RolloutServices,
    cloudTrail: CloudTrailService,
    dynamodb: DynamoDbService,
  ) {
    this.#server = server;
    this.port = port;
    this.endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.secretsManager = secretsManager;
    this.faults = faults;
    this.#calls = calls;
    this.#authenticator = authenticator;
    this.iam = iam;
    this.cloudWatch = cloudWatch;
    this.rds = rds;
    this.lambda = rollout.lambda;
    this.ssm = rollout.ssm;
    this.eventBridge = rollout.eventBridge;
    this.stepFunctions = rollout.stepFunctions;
    this.sns = rollout.sns;
    this.cloudTrail = cloudTrail;
    this.dynamodb = dynamodb;
  }

  get calls(): readonly CallRecord[] {
    return this.#calls.records;
  }

  get bootstrapCredentials(): Credentials {
    return this.#authenticator.bootstrapCredentials;
  }

  resetCalls(): void {
    this.#calls.clear();
  }

  callCounts(): Record<string, number> {
    return this.#calls.counts();
  }

  registerRotationLambda(lambdaArn: string, handler: RotationLambdaHandler): void {
    this.secretsManager.registerRotationLambda(lambdaArn, handler);
  }

  close(): Promise<void> {
    this.secretsManager.dispose();
    this.stepFunctions.dispose();
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }
}

/**
 * Starts the AWS API emulator in this process: an HTTP server speaking the real wire protocols of
 * Secrets Manager (AWS JSON 1.1), IAM, STS and RDS (Query), CloudWatch (AWS JSON 1.0), which the
 * unchanged AWS SDK v3 reaches through the standard endpoint settings; for the rollout workflow
 * also Lambda (REST-JSON), SSM and EventBridge (AWS JSON 1.1), Step Functions task tokens (AWS JSON
 * 1.0) and SNS (Query); DynamoDB (AWS JSON 1.0) for the rollout lock.
 *
 * Every request must carry a valid SigV4 signature, recomputed with the SDK's own signer: signed
 * with the bootstrap credentials (the account's administrator; see `credentials`) or with an access
 * key the emulated IAM issued that exists, is Active and has propagated. See `Authenticator`.
 *
 * @example
 * ```ts
 * import { SecretsManagerClient, CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
 * import { startEmulator } from '../local/emulator';
 *
 * const emulator = await startEmulator();
 * const client = new SecretsManagerClient({
 *   endpoint: emulator.endpoint, // or process.env.AWS_ENDPOINT_URL = emulator.endpoint
 *   region: 'us-east-1',
 *   credentials: emulator.bootstrapCredentials, // `test` / `test` unless this process has others
 * });
 * await client.send(new CreateSecretCommand({ Name: 'app/db', SecretString: '{"password":"..."}' }));
 * emulator.registerRotationLambda(lambdaArn, handler);
 * await emulator.secretsManager.waitForRotation('app/db');
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const where = {
    ...(options.region !== undefined && { region: options.region }),
    ...(options.accountId !== undefined && { accountId: options.accountId }),
  };
  const iam = new IamService({ ...options.iam, ...where });
  const lambda = new LambdaService({ ...where, ...options.lambda });
  const rollout: RolloutServices = {
    lambda,
    ssm: new SsmService(where),
    eventBridge: new EventBridgeService(where),
    stepFunctions: new StepFunctionsService({
      ...where,
      invoke: (functionName, payload) => lambda.invokeFunction(functionName, payload),
      ...(options.stepFunctions?.maxWaitMs !== undefined && { maxWaitMs: options.stepFunctions.maxWaitMs }),
    }),
    sns: new SnsService(where),
  };
  const secretsManager = new SecretsManagerService({
    ...where,
    ...(options.rotation !== undefined && { rotation: options.rotation }),
    functionAccess: (functionArn) => rollout.lambda.functionAccess(functionArn),
  });
  const cloudWatch = new CloudWatchService();
  const rds = new RdsService(where);
  const dynamodb = new DynamoDbService(where);
  const authenticator = new Authenticator({
    iam,
    accountId: iam.accountId,
    ...(options.credentials !== undefined && { credentials: options.credentials }),
  });
  const faults = new FaultInjector();
  const calls = new CallLog();
  const cloudTrail = new CloudTrailService({ accountId: iam.accountId, ...options.cloudTrail });
  const handlers: readonly ProtocolHandler[] = [
    createSecretsManagerHandler(secretsManager),
    createIamHandler(iam),
    createStsHandler(new StsService()),
    createCloudWatchHandler(cloudWatch),
    createRdsHandler(rds),
    createLambdaHandler(rollout.lambda),
    createSsmHandler(rollout.ssm),
    createEventBridgeHandler(rollout.eventBridge),
    createStepFunctionsHandler(rollout.stepFunctions),
    createSnsHandler(rollout.sns),
    createCloudTrailHandler(cloudTrail),
    createDynamoDbHandler(dynamodb),
  ];

  const handle = async (request: HttpRequest, sourceIp: string): Promise<HttpResponse> => {
    const control = handleControl(request, { calls, faults });
    if (control !== undefined) return control;
    const requestId = randomUUID();
    const handler = handlers.find((candidate) => candidate.claims(request));
    if (handler === undefined) {
      return {
        status: 404,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
        body: JSON.stringify({
          __type: ERROR_TYPE.unknownOperation,
          message: 'No emulated service serves this request.',
        }),
      };
    }
    // Decoded first, for the call log; a malformed request is answered after authentication.
    let call: DecodedCall | undefined;
    let malformed: unknown;
    const scope = Authenticator.scopeOf(request);
    try {
      call = handler.decode(request);
      if (scope !== undefined) call = { ...call, region: scope.region };
    } catch (error) {
      malformed = error;
    }
    const userAgent = request.headers['user-agent'];
    const record: OpenCallRecord = calls.open({
      service: handler.service,
      operation: call?.operation ?? 'Unknown',
      ...(call?.resourceId !== undefined && { secretId: call.resourceId }),
      time: new Date(),
      requestId,
      ...(scope !== undefined && { accessKeyId: scope.accessKeyId, region: scope.region }),
      sourceIp,
      ...(userAgent !== undefined && { userAgent }),
      requestParameters: call === undefined ? {} : redactParameters(call.input),
    });
    options.log?.({ service: handler.service, operation: record.operation });
    let output: object | undefined;
    try {
      const caller = await authenticator.authenticate(request, handler);
      record.caller = caller;
      if (call === undefined) throw malformed;
      const fault = faults.check(handler.service, call.operation, call.input);
      if (fault !== undefined) throw fault;
      output = await handler.execute(call, caller);
      // A lost response: the call took effect (and is in the trail), its answer never arrives.
      const lost = faults.check(handler.service, call.operation, call.input, 'after');
      if (lost !== undefined) throw lost;
      return handler.encodeResult(call, output, requestId);
    } catch (error) {
      // Unexpected errors become InternalServiceError without their message: it could carry input.
      const serviceError = error instanceof AwsServiceError ? error : internalServiceError();
      record.errorCode = serviceError.type;
      return handler.encodeError(serviceError, requestId);
    } finally {
      // The management event, with the caller identity of the signing key.
      cloudTrail.record(record, handler.signingName, output);
    }
  };

  const server = createServer((message, response) => {
    readBody(message)
      .then((body) =>
        handle(
          { method: message.method ?? 'GET', url: message.url ?? '/', headers: message.headers, body },
          message.socket.remoteAddress ?? '',
        ),
      )
      .then(
        (result) => send(response, result),
        () => send(response, { status: 500, headers: {}, body: '' }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return new RunningEmulator(
    server,
    port,
    host,
    secretsManager,
    faults,
    calls,
    authenticator,
    iam,
    cloudWatch,
    rds,
    rollout,
    cloudTrail,
    dynamodb,
  );
}
