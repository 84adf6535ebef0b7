import { Duration } from 'aws-cdk-lib';
import awsCronParser from 'aws-cron-parser';

/** One thing wrong with a schedule: the field, the value received and what is allowed. */
export interface ScheduleProblem {
  readonly field: 'schedule.expression' | 'schedule.window';
  readonly received: string;
  readonly allowed: string;
}

/** Options of {@link RotationSchedule} factories. */
export interface RotationScheduleOptions {
  /**
   * The rotation window: Secrets Manager rotates at some moment inside it. Whole hours, 1 to 24; it
   * must not run into the next window or the next UTC day (a `rate()` window starts at midnight UTC,
   * a `cron()` window at the hour of the expression).
   * @default - 4 hours, or the hours left in the UTC day when a `cron()` starts later than 20:00
   */
  readonly window?: Duration;
}

const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const MIN_INTERVAL_HOURS = 4;
const MAX_RATE_DAYS = 1000;
const DEFAULT_WINDOW_HOURS = 4;
const YEAR_MS = 366 * 24 * 3600_000;
const MAX_OCCURRENCES = 20_000;

const hoursText = (hours: number) => `${hours} hour${hours === 1 ? '' : 's'}`;

/**
 * When Secrets Manager rotates a secret: a `rate()` or `cron()` expression (UTC) and a rotation
 * window, rendered as `AWS::SecretsManager::RotationSchedule` `RotationRules` with
 * `ScheduleExpression` and `Duration` (CDK's `automaticallyAfter` can express neither a cron nor a
 * window).
 *
 * @example
 * ```ts
 * RotationSchedule.rate(Duration.days(30), { window: Duration.hours(2) }); // rate(30 days), 2h
 * RotationSchedule.cron('cron(0 3 ? * SUN *)', { window: Duration.hours(3) }); // Sundays 03:00-06:00 UTC
 * ```
 */
export class RotationSchedule {
  /**
   * Every `interval` (whole days, or whole hours from 4 to 23).
   */
  public static rate(interval: Duration, options: RotationScheduleOptions = {}): RotationSchedule {
    const hours = interval.toHours({ integral: false });
    const expression =
      hours % 24 === 0
        ? `rate(${hours / 24} ${hours === 24 ? 'day' : 'days'})`
        : `rate(${hours} ${hours === 1 ? 'hour' : 'hours'})`;
    return new RotationSchedule(expression, options.window);
  }

  /**
   * A Secrets Manager cron expression, six fields in UTC: `cron(minutes hours day-of-month month
   * day-of-week year)`.
   */
  public static cron(expression: string, options: RotationScheduleOptions = {}): RotationSchedule {
    return new RotationSchedule(expression, options.window);
  }

  /** A `rate(...)` or `cron(...)` expression as written in a policy. */
  public static expression(expression: string, options: RotationScheduleOptions = {}): RotationSchedule {
    return new RotationSchedule(expression, options.window);
  }

  /** The `ScheduleExpression`. */
  public readonly expressionString: string;
  /** The window given, if any. */
  public readonly explicitWindow: Duration | undefined;

  private constructor(expression: string, window: Duration | undefined) {
    this.expressionString = expression;
    this.explicitWindow = window;
  }

  /** The interval of a `rate()` schedule; `undefined` for `cron()` (not a fixed interval). */
  public get interval(): Duration | undefined {
    const match = RATE.exec(this.expressionString);
    if (match === null) return undefined;
    const value = Number(match[1]);
    return match[2]?.startsWith('day') ? Duration.days(value) : Duration.hours(value);
  }

  /** The hour a `cron()` window opens, when the hours field is a single number. */
  private get cronStartHour(): number | undefined {
    const fields = CRON.exec(this.expressionString)?.[1]?.trim().split(/\s+/);
    const hour = fields?.[1];
    return hour !== undefined && /^\d{1,2}$/.test(hour) ? Number(hour) : undefined;
  }

  /** The window in whole hours, after defaults. */
  public get windowHours(): number {
    if (this.explicitWindow !== undefined) return this.explicitWindow.toHours({ integral: false });
    const start = this.cronStartHour;
    return start === undefined
      ? DEFAULT_WINDOW_HOURS
      : Math.max(1, Math.min(DEFAULT_WINDOW_HOURS, 24 - start));
  }

  /**
   * The shortest time there can be between two rotations: for `rate()`, the interval minus the
   * window (a rotation happens anywhere inside its window); for `cron()`, the shortest gap between
   * two consecutive occurrences over the year from `from` (parsed with `aws-cron-parser`, which
   * reads AWS's six fields with `?`, `L`, `W`, `#` and years), minus the window. `undefined` when
   * the expression does not parse, or it fires at most once in that year.
   */
  public shortestGap(from: Date = new Date()): Duration | undefined {
    const windowMs = this.windowHours * 3600_000;
    const interval = this.interval;
    if (interval !== undefined) return Duration.millis(Math.max(0, interval.toMilliseconds() - windowMs));
    const fields = CRON.exec(this.expressionString)?.[1]?.trim();
    if (fields === undefined) return undefined;
    let parsed: ReturnType<typeof awsCronParser.parse>;
    try {
      parsed = awsCronParser.parse(fields);
    } catch {
      return undefined;
    }
    const end = from.getTime() + YEAR_MS;
    let shortest: number | undefined;
    let previous = awsCronParser.next(parsed, from);
    // A cron that fires more often than every few minutes has its shortest gap within its first
    // occurrences: stop there rather than walk every minute of a year.
    for (let seen = 0; previous !== null && previous.getTime() < end && seen < MAX_OCCURRENCES; seen += 1) {
      const next = awsCronParser.next(parsed, previous);
      if (next === null || next.getTime() >= end) break;
      const gap = next.getTime() - previous.getTime();
      if (shortest === undefined || gap < shortest) shortest = gap;
      previous = next;
    }
    return shortest === undefined ? undefined : Duration.millis(Math.max(0, shortest - windowMs));
  }

  /** The `RotationRules` of `AWS::SecretsManager::RotationSchedule`. */
  public get rotationRules(): { scheduleExpression: string; duration: string } {
    return { scheduleExpression: this.expressionString, duration: `${this.windowHours}h` };
  }

  /** Every problem with this schedule; empty when Secrets Manager will accept it. */
  public validate(): ScheduleProblem[] {
    const problems: ScheduleProblem[] = [];
    const expression = this.expressionString;
    const rate = RATE.exec(expression);
    const cron = CRON.exec(expression);
    const expressionProblem = (allowed: string) =>
      problems.push({ field: 'schedule.expression', received: JSON.stringify(expression), allowed });
    let maxWindow = 24;
    if (rate !== null) {
      const value = Number(rate[1]);
      const unit = rate[2] ?? '';
      if ((value === 1) !== !unit.endsWith('s')) {
        expressionProblem(
          `a singular unit for 1 and a plural one otherwise, e.g. rate(1 day) or rate(12 hours)`,
        );
      }
      if (unit.startsWith('hour')) {
        if (value < MIN_INTERVAL_HOURS || value > 23) {
          expressionProblem(
            `rate(4 hours) to rate(23 hours) (Secrets Manager rotates at most every 4 hours; use days beyond 23 hours)`,
          );
        }
        maxWindow = Math.min(24, value);
      } else if (value < 1 || value > MAX_RATE_DAYS) {
        expressionProblem(`rate(1 day) to rate(${MAX_RATE_DAYS} days)`);
      }
    } else if (cron !== null) {
      const fields = (cron[1] ?? '').trim().split(/\s+/);
      if (fields.length !== 6) {
        expressionProblem(
          `cron() with 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
        );
      }
      const start = this.cronStartHour;
      if (start !== undefined) {
        if (start > 23) expressionProblem('an hours field from 0 to 23');
        maxWindow = Math.max(1, 24 - start);
      }
    } else {
      expressionProblem('rate(<n> hours|days) or cron(<6 fields>), in UTC');
    }
    const window = this.explicitWindow;
    if (window !== undefined) {
      const hours = window.isUnresolved() ? Number.NaN : window.toHours({ integral: false });
      if (!Number.isInteger(hours) || hours < 1 || hours > maxWindow) {
        problems.push({
          field: 'schedule.window',
          received: Number.isNaN(hours) ? window.toString() : hoursText(hours),
          allowed: `whole hours from 1 to ${maxWindow} (${
            maxWindow < 24 ? 'it must end before the next window or UTC day starts' : 'at most one UTC day'
          }), e.g. Duration.hours(${Math.min(DEFAULT_WINDOW_HOURS, maxWindow)})`,
        });
      }
    }
    return problems;
  }

  /** A short description for messages, e.g. `rate(30 days), window 4 hours`. */
  public toString(): string {
    return `${this.expressionString}, window ${hoursText(this.windowHours)}`;
  }
}
