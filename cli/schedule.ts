import awsCronParser from 'aws-cron-parser';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

/** A rotation schedule as Secrets Manager holds it: an expression (or a number of days) and a window. */
export interface Schedule {
  /** `rate(30 days)`, `cron(0 3 ? * SUN *)`; `undefined` with `afterDays`. */
  readonly expression?: string;
  /** `AutomaticallyAfterDays` (the older form). */
  readonly afterDays?: number;
  /** The window in hours. @default 24 for `afterDays`, else 4 */
  readonly windowHours?: number;
}

/** One rotation window: Secrets Manager rotates at some moment between `start` and `end`. */
export interface RotationWindow {
  readonly start: Date;
  readonly end: Date;
}

/** The schedule of DescribeSecret's `RotationRules`, or `undefined` when there is none. */
export function scheduleOfRules(
  rules: { ScheduleExpression?: string; AutomaticallyAfterDays?: number; Duration?: string } | undefined,
): Schedule | undefined {
  if (rules === undefined) return undefined;
  const hours = /^(\d+)h$/.exec(rules.Duration ?? '')?.[1];
  const window = hours === undefined ? {} : { windowHours: Number(hours) };
  if (rules.ScheduleExpression !== undefined) return { expression: rules.ScheduleExpression, ...window };
  if (rules.AutomaticallyAfterDays !== undefined)
    return { afterDays: rules.AutomaticallyAfterDays, ...window };
  return undefined;
}

/** The fixed interval of a schedule in milliseconds; `undefined` for a cron (no fixed interval). */
export function intervalMs(schedule: Schedule): number | undefined {
  if (schedule.afterDays !== undefined) return schedule.afterDays * DAY_MS;
  const rate = RATE.exec(schedule.expression ?? '');
  if (rate === null) return undefined;
  return Number(rate[1]) * (rate[2]?.startsWith('day') ? DAY_MS : HOUR_MS);
}

/** The window in milliseconds. */
function windowMs(schedule: Schedule): number {
  return (schedule.windowHours ?? (schedule.afterDays !== undefined ? 24 : 4)) * HOUR_MS;
}

/**
 * The longest a secret on this schedule may go without rotating: the interval plus the window for
 * a rate, the widest gap between two cron windows over the next year plus the window for a cron.
 */
export function maxAgeMs(schedule: Schedule, from: Date): number | undefined {
  const interval = intervalMs(schedule);
  if (interval !== undefined) return interval + windowMs(schedule);
  const windows = nextWindows(schedule, from, 60, undefined);
  let widest = 0;
  for (let i = 1; i < windows.length; i += 1) {
    widest = Math.max(widest, (windows[i]?.start.getTime() ?? 0) - (windows[i - 1]?.start.getTime() ?? 0));
  }
  return widest === 0 ? undefined : widest + windowMs(schedule);
}

/**
 * The next `count` rotation windows after `from`. A cron (AWS's six fields with `?` and a year,
 * parsed with `aws-cron-parser`) opens a window at each occurrence; a rate opens one at midnight
 * UTC of the day the interval after the last rotation falls on (Secrets Manager's rule), then every
 * interval.
 */
export function nextWindows(
  schedule: Schedule,
  from: Date,
  count: number,
  lastRotated: Date | undefined,
): RotationWindow[] {
  const width = windowMs(schedule);
  const windows: RotationWindow[] = [];
  const cron = CRON.exec(schedule.expression ?? '');
  if (cron !== null) {
    const parsed = awsCronParser.parse(cron[1] ?? '');
    let cursor = new Date(from.getTime() - width);
    while (windows.length < count) {
      const next = awsCronParser.next(parsed, cursor);
      if (next === null) break;
      if (next.getTime() + width > from.getTime())
        windows.push({ start: next, end: new Date(next.getTime() + width) });
      cursor = new Date(next.getTime() + 60_000);
    }
    return windows;
  }
  const interval = intervalMs(schedule);
  if (interval === undefined) return windows;
  const base = lastRotated ?? from;
  let start = new Date(base.getTime() + interval);
  if (interval >= DAY_MS)
    start = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  while (start.getTime() + width <= from.getTime()) start = new Date(start.getTime() + interval);
  while (windows.length < count) {
    windows.push({ start, end: new Date(start.getTime() + width) });
    start = new Date(start.getTime() + interval);
  }
  return windows;
}

/** `rate(30 days), window 4h` for people. */
export function describeSchedule(schedule: Schedule): string {
  const what = schedule.expression ?? `every ${schedule.afterDays} days`;
  return `${what}, window ${windowMs(schedule) / HOUR_MS}h`;
}
