import type { CallLog } from './call-log';
import type { FaultError, FaultInjector, FaultOptions } from './faults';
import type { HttpRequest, HttpResponse } from './protocol';

/** The path prefix of the emulator's own control API, which no AWS service uses. */
export const CONTROL_PATH_PREFIX = '/_emulator/';

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

const noContent: HttpResponse = { status: 204, headers: {}, body: '' };

function badRequest(message: string): HttpResponse {
  return json(400, { message });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a fault from a JSON body; a string is the reason it is not one. */
function parseFault(body: unknown): FaultOptions | string {
  if (!isRecord(body)) return 'the body must be a JSON object';
  const { operation, service, times, after, error, match, phase } = body;
  if (typeof operation !== 'string' || operation === '') return 'operation must be a non-empty string';
  if (service !== undefined && typeof service !== 'string') return 'service must be a string';
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) {
    return 'times must be a positive integer';
  }
  if (after !== undefined && (typeof after !== 'number' || !Number.isInteger(after) || after < 0)) {
    return 'after must be a non-negative integer';
  }
  let fault: FaultError | undefined;
  if (error === 'throttle' || error === 'internal') fault = error;
  else if (isRecord(error) && typeof error.type === 'string') {
    fault = {
      type: error.type,
      message: typeof error.message === 'string' ? error.message : '',
      ...(typeof error.status === 'number' && { status: error.status }),
    };
  } else if (error !== undefined) return "error must be 'throttle', 'internal' or { type, message, status }";
  if (match !== undefined && !isRecord(match)) return 'match must be an object of input members';
  if (phase !== undefined && phase !== 'before' && phase !== 'after')
    return "phase must be 'before' or 'after'";
  const expected = match === undefined ? undefined : Object.entries(match);
  return {
    operation,
    ...(service !== undefined && { service }),
    ...(times !== undefined && { times }),
    ...(after !== undefined && { after }),
    ...(fault !== undefined && { error: fault }),
    ...(phase !== undefined && { phase }),
    ...(expected !== undefined && {
      when: (input: Readonly<Record<string, unknown>>) =>
        expected.every(([member, value]) => input[member] === value),
    }),
  };
}

/**
 * The emulator's control API, for a caller in another process (a test harness, a shell), unsigned
 * and served on the emulator's own port under `/_emulator/`:
 *
 * - `GET /_emulator/calls`: `{ "calls": [CallRecord, ...] }`, oldest first.
 * - `DELETE /_emulator/calls`: empties the call log.
 * - `POST /_emulator/faults` with `{ "operation", "service"?, "times"?, "after"?, "error"?, "match"?, "phase"? }`
 *   (`error`: `"throttle"`, `"internal"` or `{ "type", "message", "status" }`; `match`: input
 *   members that must be equal): adds a fault.
 * - `DELETE /_emulator/faults`: removes every fault.
 *
 * Returns `undefined` for a request that is not for the control API.
 */
export function handleControl(
  request: HttpRequest,
  deps: { readonly calls: CallLog; readonly faults: FaultInjector },
): HttpResponse | undefined {
  const path = new URL(request.url, 'http://localhost').pathname;
  if (!path.startsWith(CONTROL_PATH_PREFIX)) return undefined;
  const route = `${request.method} ${path.slice(CONTROL_PATH_PREFIX.length)}`;
  switch (route) {
    case 'GET calls':
      return json(200, { calls: deps.calls.records });
    case 'DELETE calls':
      deps.calls.clear();
      return noContent;
    case 'POST faults': {
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        return badRequest('the body must be JSON');
      }
      const fault = parseFault(body);
      if (typeof fault === 'string') return badRequest(fault);
      deps.faults.add(fault);
      return json(201, { added: fault.operation });
    }
    case 'DELETE faults':
      deps.faults.clear();
      return noContent;
    default:
      return json(404, { message: `No control route ${route}` });
  }
}
