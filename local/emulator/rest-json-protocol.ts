import { AwsServiceError, ERROR_TYPE, restJsonErrorResponse } from './errors';
import type { OperationInput } from './input';
import type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';

/** One REST operation: its HTTP method, its path template and its name. */
export interface RestJsonRoute {
  readonly method: string;
  /** e.g. `/2015-03-31/functions/{FunctionName}/configuration` */
  readonly path: string;
  readonly operation: string;
  /** The HTTP status of a successful response. @default 200 */
  readonly successStatus?: number;
}

/** What an AWS REST-JSON service needs to be served. */
export interface RestJsonServiceOptions {
  /** The service name for the call log and faults, e.g. `lambda`. */
  readonly service: string;
  /** Requests whose path starts with this are the service's (unknown routes then get an error). */
  readonly pathPrefix: string;
  readonly routes: readonly RestJsonRoute[];
  /** Runs an operation on input merged from path labels, query parameters and the JSON body. */
  readonly invoke: (operation: string, input: OperationInput) => object | Promise<object>;
  /** The input member naming the resource, for the call log. */
  readonly resourceMember?: string;
  /**
   * The error body for an error type. Services differ (`Message` or `message`, a `Type` member).
   * @default - `{ message }`
   */
  readonly errorBody?: (error: AwsServiceError) => Record<string, unknown>;
}

interface CompiledRoute extends RestJsonRoute {
  readonly pattern: RegExp;
  readonly labels: readonly string[];
}

function compile(route: RestJsonRoute): CompiledRoute {
  const labels: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const match = /^\{(\w+)\}$/.exec(segment);
      if (match === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      labels.push(match[1] ?? '');
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), labels };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serves one AWS REST-JSON service (Lambda): the operation is chosen by HTTP method and path
 * template, path labels and query parameters become input members, the body is JSON; errors carry
 * `x-amzn-errortype: <Exception>` and a JSON body, with the error's HTTP status.
 *
 * @example
 * ```ts
 * createRestJsonHandler({
 *   service: 'lambda',
 *   pathPrefix: '/2015-03-31/functions',
 *   routes: [{ method: 'GET', path: '/2015-03-31/functions/{FunctionName}/configuration', operation: 'GetFunctionConfiguration' }],
 *   invoke: (operation, input) => lambda.invoke(operation, input),
 * });
 * ```
 */
export function createRestJsonHandler(options: RestJsonServiceOptions): ProtocolHandler {
  const routes = options.routes.map(compile);
  const statuses = new WeakMap<DecodedCall, number>();
  const pathOf = (request: HttpRequest) => new URL(request.url, 'http://localhost').pathname;
  const errorBody = options.errorBody ?? ((error: AwsServiceError) => ({ message: error.message }));

  return {
    service: options.service,
    signingName: options.service,
    protocol: 'restJson1',
    claims: (request) => pathOf(request).startsWith(options.pathPrefix),
    decode(request) {
      const url = new URL(request.url, 'http://localhost');
      let params: string[] | undefined;
      const route = routes.find((candidate) => {
        if (candidate.method !== request.method) return false;
        const match = candidate.pattern.exec(url.pathname);
        params = match?.slice(1);
        return match !== null;
      });
      if (route === undefined || params === undefined) {
        throw new AwsServiceError(
          ERROR_TYPE.unknownOperation,
          `The emulator does not implement ${request.method} ${url.pathname}.`,
          404,
        );
      }
      let body: unknown = {};
      if (request.body.length > 0) {
        try {
          body = JSON.parse(request.body.toString('utf8'));
        } catch {
          throw new AwsServiceError(ERROR_TYPE.serialization, 'The request body is not valid JSON.');
        }
        if (!isPlainObject(body)) {
          throw new AwsServiceError(ERROR_TYPE.serialization, 'The request body must be a JSON object.');
        }
      }
      const input: Record<string, unknown> = { ...(body as Record<string, unknown>) };
      for (const [name, value] of url.searchParams) input[name] = value;
      const values = params;
      route.labels.forEach((name, index) => {
        input[name] = decodeURIComponent(values[index] ?? '');
      });
      const resource = options.resourceMember === undefined ? undefined : input[options.resourceMember];
      const call: DecodedCall = {
        operation: route.operation,
        input,
        ...(typeof resource === 'string' && { resourceId: resource }),
      };
      statuses.set(call, route.successStatus ?? 200);
      return call;
    },
    execute: async (call) => options.invoke(call.operation, call.input),
    encodeResult: (call, output, requestId): HttpResponse => {
      const status = statuses.get(call) ?? 200;
      // 204 No Content has no body.
      return status === 204
        ? { status, headers: { 'x-amzn-requestid': requestId }, body: '' }
        : {
            status,
            headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
            body: JSON.stringify(output),
          };
    },
    encodeError: (error, requestId) => restJsonErrorResponse(error, requestId, errorBody(error)),
  };
}
