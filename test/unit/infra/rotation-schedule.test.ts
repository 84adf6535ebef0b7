import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { RotationSchedule } from '../../../infra/constructs';

describe('Class: RotationSchedule', () => {
  it.each([
    [Duration.days(30), 'rate(30 days)'],
    [Duration.days(1), 'rate(1 day)'],
    [Duration.hours(24), 'rate(1 day)'],
    [Duration.hours(12), 'rate(12 hours)'],
  ])('renders an interval of %s as %s with the default 4-hour window', (interval, expression) => {
    // WHEN
    const schedule = RotationSchedule.rate(interval);

    // THEN
    expect(schedule.rotationRules).toEqual({ scheduleExpression: expression, duration: '4h' });
    expect(schedule.validate()).toEqual([]);
    expect(schedule.interval?.toHours()).toBe(interval.toHours());
  });

  it('keeps a given window', () => {
    expect(
      RotationSchedule.rate(Duration.days(7), { window: Duration.hours(1) }).rotationRules.duration,
    ).toBe('1h');
  });

  it('shortens the default window of a late cron to the hours left in the UTC day', () => {
    // WHEN
    const schedule = RotationSchedule.cron('cron(0 22 ? * SAT *)');

    // THEN
    expect(schedule.rotationRules).toEqual({ scheduleExpression: 'cron(0 22 ? * SAT *)', duration: '2h' });
    expect(schedule.interval).toBeUndefined();
    expect(schedule.validate()).toEqual([]);
  });

  it('refuses an interval below 4 hours, naming the field, the value and what is allowed', () => {
    expect(RotationSchedule.rate(Duration.hours(3)).validate()).toEqual([
      {
        field: 'schedule.expression',
        received: '"rate(3 hours)"',
        allowed: expect.stringContaining('rate(4 hours) to rate(23 hours)'),
      },
    ]);
  });

  it('describes itself for messages', () => {
    expect(String(RotationSchedule.expression('rate(90 days)', { window: Duration.hours(1) }))).toBe(
      'rate(90 days), window 1 hour',
    );
  });

  it.each([
    ['rate(30 days)', 4, 30 * 24 - 4],
    ['rate(12 hours)', 2, 10],
    ['cron(0 3 * * ? *)', 4, 20],
    ['cron(0 3 ? * SUN *)', 3, 7 * 24 - 3],
    ['cron(0 3 ? * MON,WED *)', 1, 2 * 24 - 1],
    ['cron(0 3 1 * ? *)', 4, 28 * 24 - 4],
    ['cron(0 0/6 * * ? *)', 1, 5],
  ])(
    'computes the shortest gap between two rotations of %s (window %i h): %i hours',
    (expression, window, hours) => {
      const gap = RotationSchedule.expression(expression, { window: Duration.hours(window) }).shortestGap(
        new Date('2026-12-01T00:00:00Z'),
      );

      expect(gap?.toHours({ integral: false })).toBe(hours);
    },
  );

  it('has no shortest gap for a cron that fires at most once in the year ahead', () => {
    expect(RotationSchedule.cron('cron(0 3 1 1 ? 2027)').shortestGap(new Date('2026-12-01T00:00:00Z'))).toBe(
      undefined,
    );
  });
});
