import { type Principal, parseAuthorization } from './auth';
import { QUERY_ERROR, queryError, queryErrorResponse } from './errors';
import type { OperationInput } from './input';
import type { HttpRequest, HttpResponse, ProtocolHandler } from './protocol';
import { escapeXml } from './xml';

type FormTree = { [key: string]: FormTree | string };

function isTree(value: FormTree | string | undefined): value is FormTree {
  return typeof value === 'object';
}

/** `{ member: { '1': a, '2': b } }` -> `[a, b]`, recursively; other trees stay objects. */
function normalize(value: FormTree | string): unknown {
  if (!isTree(value)) return value;
  const keys = Object.keys(value);
  const member = value.member;
  if (keys.length === 1 && isTree(member) && Object.keys(member).every((key) => /^[1-9][0-9]*$/.test(key))) {
    return Object.entries(member)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, item]) => normalize(item));
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = normalize(item);
  return out;
}

/**
 * Decodes a Query protocol form body (`Action=...&Version=...&Tags.member.1.Key=...`) into nested
 * members: dotted names become structures, `member.N` lists become arrays. Every scalar stays a
 * string (the Query protocol has no types on the wire); an empty list is sent as `Name=` (`''`).
 */
export function decodeQueryForm(body: string): Record<string, unknown> {
  const root: FormTree = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const path = name.split('.');
    let node = root;
    for (const [index, segment] of path.entries()) {
      if (index === path.length - 1) {
        node[segment] = value;
        break;
      }
      const next = node[segment];
      if (isTree(next)) {
        node = next;
      } else {
        const child: FormTree = {};
        node[segment] = child;
        node = child;
      }
    }
  }
  return normalize(root) as Record<string, unknown>;
}

/**
 * Model values to Query protocol XML elements: a structure's members in order, lists as
 * `<member>` elements, dates in ISO 8601, booleans as `true` / `false`; `undefined` members are left
 * out.
 */
export function toQueryXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toQueryXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `<${key}>${toQueryXml(member)}</${key}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** What a Query protocol service needs to be served. */
export interface QueryServiceOptions {
  /** The service name: the SigV4 signing name, the call log's and the faults' service, e.g. `iam`. */
  readonly service: string;
  /** The API version the `Version` parameter must carry, e.g. `2010-05-08`. */
  readonly version: string;
  /** The XML namespace of responses, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`. */
  readonly xmlns: string;
  /** Whether the service implements `action`. */
  readonly isOperation: (action: string) => boolean;
  /** Runs an operation for `caller`, who signed the request. */
  readonly invoke: (action: string, input: OperationInput, caller: Principal) => object | Promise<object>;
  /** Input members naming the resource, for the call log. @default ['UserName'] */
  readonly resourceMembers?: readonly string[];
}

function isFormRequest(request: HttpRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * Serves one AWS Query protocol service (IAM, STS): `POST /` with a form-encoded body carrying
 * `Action` and `Version`; responses are XML (`<ActionResponse><ActionResult>...`), errors are
 * `<ErrorResponse>` (see `queryErrorResponse`) with the error's HTTP status.
 *
 * A request is claimed by the SigV4 credential scope's service name (`.../iam/aws4_request`), so
 * several Query services can share one endpoint; an unsigned request is claimed by its `Action`.
 *
 * @example
 * ```ts
 * const handler = createQueryHandler({
 *   service: 'sts',
 *   version: '2011-06-15',
 *   xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
 *   isOperation: (action) => action === 'GetCallerIdentity',
 *   invoke: (action, input, caller) => sts.invoke(action, input, caller),
 * });
 * ```
 */
export function createQueryHandler(options: QueryServiceOptions): ProtocolHandler {
  const resourceMembers = options.resourceMembers ?? ['UserName'];
  const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  const respond = (status: number, body: string, requestId: string): HttpResponse => ({
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: xml(body),
  });

  return {
    service: options.service,
    signingName: options.service,
    protocol: 'awsQuery',
    claims(request) {
      if (request.method !== 'POST' || !isFormRequest(request)) return false;
      const credential = parseAuthorization(request.headers);
      if (credential !== undefined && 'service' in credential) return credential.service === options.service;
      const action = new URLSearchParams(request.body.toString('utf8')).get('Action');
      return action !== null && options.isOperation(action);
    },
    decode(request) {
      const input = decodeQueryForm(request.body.toString('utf8'));
      const { Action: action, Version: version, ...members } = input;
      if (typeof action !== 'string' || action === '') {
        throw queryError(QUERY_ERROR.missingAction, 'The request must contain the parameter Action.');
      }
      if (!options.isOperation(action) || version !== options.version) {
        throw queryError(
          QUERY_ERROR.invalidAction,
          `Could not find operation ${action} for version ${typeof version === 'string' ? version : 'NO_VERSION_SPECIFIED'}`,
        );
      }
      const resourceId = resourceMembers.map((member) => members[member]).find((v) => typeof v === 'string');
      return {
        operation: action,
        input: members,
        ...(typeof resourceId === 'string' && { resourceId }),
      };
    },
    execute: async (call, caller) => options.invoke(call.operation, call.input, caller),
    encodeResult(call, output, requestId) {
      const result =
        Object.keys(output).length === 0
          ? ''
          : `<${call.operation}Result>${toQueryXml(output)}</${call.operation}Result>`;
      return respond(
        200,
        `<${call.operation}Response xmlns="${options.xmlns}">${result}` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
          `</${call.operation}Response>`,
        requestId,
      );
    },
    encodeError: (error, requestId) => queryErrorResponse(error, requestId, options.xmlns),
  };
}
