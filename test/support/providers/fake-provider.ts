import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a fake provider sees it. Header names are lower case. */
export interface FakeRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A fake provider's answer; an object `body` is sent as JSON. */
export interface FakeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A matched route: the operation's name (for faults and the log) and what it does. */
export interface Route {
  readonly operation: string;
  readonly handle: () => FakeResponse;
}

/** A scripted failure of one operation. */
export interface FaultSpec {
  /** The operation to fail: `create`, `list`, `delete`, `verify`, `lastUsed`, `account`. */
  readonly operation: string;
  /**
   * Status to answer with instead of the real answer.
   * @default - the real answer (use with `delayMs` for a slow but successful response)
   */
  readonly status?: number;
  /** `Retry-After` header of the fault's answer. @default - none */
  readonly retryAfter?: string;
  /** Body of the fault's answer. @default - a JSON error naming the status */
  readonly body?: unknown;
  /** Wait this long before answering (a slow provider). @default 0 */
  readonly delayMs?: number;
  /** Matching requests that fail. @default 1 */
  readonly times?: number;
  /**
   * Do the operation first, then answer with the fault: the provider acted but the caller never
   * learns it (a lost response).
   * @default false
   */
  readonly afterEffect?: boolean;
}

/** A fault that was added: how often it fired. */
export interface FaultHandle {
  readonly hits: number;
}

/** One request the fake answered (or dropped), for assertions. */
export interface RequestRecord {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
  hits: number;
}

const sleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** URL-safe random text (`n` bytes of entropy). */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Random hex digits. */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** Reads `Authorization: Bearer <token>`. */
export function bearerOf(request: FakeRequest): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Reads `Authorization: Basic <base64(user:password)>`. */
export function basicOf(request: FakeRequest): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The shared machinery of the local fake providers: routing, scriptable faults (status,
 * `Retry-After`, slow answers, failures after the effect), a request log and a log of side
 * effects in order. Reachable two ways: `listen()` serves real HTTP on 127.0.0.1 (a free port),
 * and `fetch` answers in-process (for unit tests: no network, same behaviour).
 */
export abstract class FakeProvider {
  /** Every request answered, oldest first. */
  readonly requests: RequestRecord[] = [];
  /** Side effects in order, e.g. `create:<id>`, `delete:<id>`. */
  readonly effects: string[] = [];
  private readonly faults: ActiveFault[] = [];
  private server: Server | undefined;

  /** Maps a request to an operation, or `undefined` for 404. */
  protected abstract route(request: FakeRequest): Route | undefined;

  /** Fails the next matching requests as `spec` says. */
  fail(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1, hits: 0 };
    this.faults.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
    };
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** The operations answered so far, in order (e.g. `['list', 'create']`). */
  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  /** Answers one request: route, faults, the real handler. */
  async handle(request: FakeRequest, signal?: AbortSignal | null): Promise<FakeResponse> {
    const route = this.route(request);
    const operation = route?.operation ?? 'unknown';
    const fault = this.faults.find((f) => f.spec.operation === operation && f.remaining > 0);
    let response: FakeResponse;
    if (fault !== undefined) {
      fault.remaining -= 1;
      fault.hits += 1;
      // With afterEffect the provider acts first, then answers late or wrongly (a lost response).
      const acted = fault.spec.afterEffect ? route?.handle() : undefined;
      if (fault.spec.delayMs !== undefined) await sleep(fault.spec.delayMs, signal);
      const real = acted ?? (fault.spec.status === undefined ? route?.handle() : undefined);
      response =
        fault.spec.status === undefined
          ? (real ?? { status: 404, body: { message: 'not found' } })
          : {
              status: fault.spec.status,
              headers: fault.spec.retryAfter === undefined ? {} : { 'retry-after': fault.spec.retryAfter },
              body: fault.spec.body ?? {
                message: `injected HTTP ${fault.spec.status}`,
                status: fault.spec.status,
              },
            };
    } else {
      response = route?.handle() ?? { status: 404, body: { message: 'not found' } };
    }
    this.requests.push({
      operation,
      method: request.method,
      path: request.url.pathname,
      status: response.status,
    });
    return response;
  }

  /** An in-process `fetch` bound to this fake (honours the abort signal, like the real one). */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body = typeof init?.body === 'string' ? init.body : '';
    const signal = init?.signal;
    if (signal?.aborted) throw signal.reason;
    const answer = await this.handle({ method: init?.method ?? 'GET', url, headers, body }, signal);
    const text =
      answer.body === undefined
        ? null
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return new Response(answer.status === 204 ? null : text, {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };

  /** Serves real HTTP on 127.0.0.1 and a free port; returns the base URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops the HTTP server, dropping open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[key] = value;
    }
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(new Error('client went away'));
    });
    let answer: FakeResponse;
    try {
      answer = await this.handle(
        {
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', 'http://127.0.0.1'),
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        },
        aborted.signal,
      );
    } catch {
      res.destroy();
      return;
    }
    const text =
      answer.body === undefined || answer.status === 204
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...answer.headers,
    });
    res.end(text);
  }
}
