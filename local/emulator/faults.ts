import { AwsServiceError, internalServiceError, throttling } from './errors';

/** An error a fault returns: an explicit exception, or a shorthand for the two the SDK retries. */
export type FaultError =
  | { readonly type: string; readonly message: string; readonly status?: number }
  | 'throttle'
  | 'internal';

/** What to fail, when and how. */
export interface FaultOptions {
  /** The operation to fail, e.g. `PutSecretValue`. */
  readonly operation: string;
  /**
   * The service the operation belongs to (`secretsmanager`, later `iam`, `sts`).
   * @default - any service
   */
  readonly service?: string;
  /**
   * How many matching calls fail before the fault is used up.
   * @default 1
   */
  readonly times?: number;
  /**
   * The error returned.
   * @default 'internal' (HTTP 500 InternalServiceError)
   */
  readonly error?: FaultError;
  /**
   * Matching calls to let through before the fault starts failing them.
   * @default 0
   */
  readonly after?: number;
  /**
   * Only calls whose decoded request input satisfies this predicate match.
   * @default - every call of the operation matches
   */
  readonly when?: (input: Readonly<Record<string, unknown>>) => boolean;
  /**
   * When the call fails: `before` it reaches the service (nothing changes), or `after` the service
   * ran it (it takes effect, and the caller gets the error instead of the answer: a lost response,
   * as a timeout after the request arrived looks to a client).
   * @default 'before'
   */
  readonly phase?: 'before' | 'after';
}

/**
 * A request-rate quota, as AWS enforces its API rate limits: a token bucket per quota (`burst`
 * tokens, refilled at `perSecond`), shared by the operations it lists; a call that finds the
 * bucket empty is `ThrottlingException` (HTTP 400), which the SDK retries with backoff.
 */
export interface RateLimitOptions {
  /** The operations sharing the quota, e.g. Secrets Manager's writes. */
  readonly operations: readonly string[];
  /** @default - any service */
  readonly service?: string;
  /** Calls per second the bucket refills. */
  readonly perSecond: number;
  /** The bucket's size. @default - `perSecond` */
  readonly burst?: number;
}

/** A rate limit that was added. */
export interface RateLimitHandle {
  /** Calls it throttled so far. */
  readonly throttled: number;
  /** Calls it let through so far. */
  readonly passed: number;
  remove(): void;
}

interface ActiveRateLimit {
  readonly options: RateLimitOptions;
  readonly capacity: number;
  tokens: number;
  updatedAt: number;
  throttled: number;
  passed: number;
}

/** A fault that was added; use it to see how often it fired or to remove it early. */
export interface FaultHandle {
  /** How many calls this fault has failed so far. */
  readonly hits: number;
  /** How many more calls it will fail. */
  readonly remaining: number;
  /** Removes the fault; later calls are not affected. */
  remove(): void;
}

interface ActiveFault {
  readonly options: FaultOptions;
  readonly times: number;
  readonly after: number;
  seen: number;
  hits: number;
}

function toServiceError(error: FaultError | undefined, operation: string): AwsServiceError {
  if (error === undefined || error === 'internal') return internalServiceError();
  if (error === 'throttle') return throttling();
  return new AwsServiceError(
    error.type,
    error.message || `Injected fault on ${operation}`,
    error.status ?? 400,
  );
}

/**
 * Fault injection for the emulator: makes chosen API calls fail the way AWS can fail, so tests can
 * prove that callers retry, compensate or report.
 *
 * @example
 * ```ts
 * const fault = emulator.faults.add({ operation: 'PutSecretValue', error: 'throttle', times: 2 });
 * // ... two PutSecretValue calls get ThrottlingException ...
 * expect(fault.hits).toBe(2);
 * emulator.faults.clear();
 * ```
 */
export class FaultInjector {
  readonly #faults: ActiveFault[] = [];
  readonly #limits: ActiveRateLimit[] = [];

  /**
   * Adds a rate quota (see {@link RateLimitOptions}).
   *
   * @example
   * ```ts
   * // Secrets Manager: RotateSecret and the writes share 50 per second per account and region.
   * emulator.faults.rateLimit({ service: 'secretsmanager', operations: ['RotateSecret', 'PutSecretValue', 'TagResource'], perSecond: 50 });
   * ```
   */
  rateLimit(options: RateLimitOptions): RateLimitHandle {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be above 0, got ${options.perSecond}`);
    const capacity = options.burst ?? options.perSecond;
    const limit: ActiveRateLimit = {
      options,
      capacity,
      tokens: capacity,
      updatedAt: performance.now(),
      throttled: 0,
      passed: 0,
    };
    this.#limits.push(limit);
    const limits = this.#limits;
    return {
      get throttled() {
        return limit.throttled;
      },
      get passed() {
        return limit.passed;
      },
      remove() {
        const index = limits.indexOf(limit);
        if (index >= 0) limits.splice(index, 1);
      },
    };
  }

  /** Adds a fault. Faults are checked in the order they were added; the first match fails the call. */
  add(options: FaultOptions): FaultHandle {
    const times = options.times ?? 1;
    const after = options.after ?? 0;
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    if (!Number.isInteger(after) || after < 0) {
      throw new RangeError(`after must be a non-negative integer, got ${after}`);
    }
    const fault: ActiveFault = { options, times, after, seen: 0, hits: 0 };
    this.#faults.push(fault);
    const faults = this.#faults;
    return {
      get hits() {
        return fault.hits;
      },
      get remaining() {
        return faults.includes(fault) ? fault.times - fault.hits : 0;
      },
      remove() {
        const index = faults.indexOf(fault);
        if (index >= 0) faults.splice(index, 1);
      },
    };
  }

  /** Removes every fault and rate limit. */
  clear(): void {
    this.#faults.length = 0;
    this.#limits.length = 0;
  }

  /** The number of faults that can still fire. */
  get size(): number {
    return this.#faults.length;
  }

  /**
   * Returns the error to send for this call, or `undefined` to let it through. Used by the server
   * before a call reaches the service, and (`phase: 'after'`) once the service has run it.
   */
  check(
    service: string,
    operation: string,
    input: Readonly<Record<string, unknown>>,
    phase: 'before' | 'after' = 'before',
  ): AwsServiceError | undefined {
    const now = performance.now();
    // A rate limit refuses a call before it reaches the service, never once it has run.
    for (const limit of phase === 'before' ? this.#limits : []) {
      const { options } = limit;
      if (!options.operations.includes(operation)) continue;
      if (options.service !== undefined && options.service !== service) continue;
      limit.tokens = Math.min(
        limit.capacity,
        limit.tokens + ((now - limit.updatedAt) / 1000) * options.perSecond,
      );
      limit.updatedAt = now;
      if (limit.tokens < 1) {
        limit.throttled += 1;
        return throttling('Rate exceeded');
      }
      limit.tokens -= 1;
      limit.passed += 1;
    }
    for (const fault of this.#faults) {
      const { options } = fault;
      if ((options.phase ?? 'before') !== phase) continue;
      if (options.operation !== operation) continue;
      if (options.service !== undefined && options.service !== service) continue;
      if (options.when !== undefined && !options.when(input)) continue;
      fault.seen += 1;
      if (fault.seen <= fault.after) continue;
      fault.hits += 1;
      if (fault.hits >= fault.times) {
        this.#faults.splice(this.#faults.indexOf(fault), 1);
      }
      return toServiceError(options.error, operation);
    }
    return undefined;
  }
}
