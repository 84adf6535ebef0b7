import {
  CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readersOf, stragglersAmong, versionsRead } from '../../../lambdas/rollout/readers/classify';
import type { ReadersConfig, ReadQuery, SecretRead } from '../../../lambdas/rollout/readers/model';
import { namesSecret } from '../../../lambdas/rollout/readers/sources/cloudtrail';
import {
  createCloudTrailLakeSource,
  readersQuery,
} from '../../../lambdas/rollout/readers/sources/cloudtrail-lake';
import { checkReaders, findReaders } from '../../../lambdas/rollout/readers/tasks';
import { NOW, plan, type RolloutTestWorld, rolloutWorld, succeeded } from './fakes';

const ROOT = 'arn:aws:iam::123456789012:root';
const REPORTS = 'arn:aws:iam::123456789012:user/billing-reports';
const API_ROLE = 'arn:aws:iam::123456789012:role/orders-api';
const BOUNDARY = NOW;
const secondsBefore = (seconds: number) => new Date(BOUNDARY.getTime() - seconds * 1000);
const secondsAfter = (seconds: number) => new Date(BOUNDARY.getTime() + seconds * 1000);

const read = (arn: string, at: Date, extra: Partial<SecretRead> = {}): SecretRead => ({
  principal: { arn, type: arn.includes(':role/') ? 'AssumedRole' : 'IAMUser' },
  sourceIp: '10.0.1.7',
  userAgent: 'aws-sdk-js/3',
  first: at,
  last: at,
  count: 1,
  ...extra,
});

const CONFIG: ReadersConfig = {
  source: { kind: 'cloudtrail' },
  deliveryDelaySeconds: 300,
  handover: [ROOT],
  ignore: [{ principal: 'arn:aws:iam::123456789012:role/break-glass*', reason: 'incident responders' }],
};

describe('Readers: which versions a read returned', () => {
  const versions = { boundary: BOUNDARY, oldVersionId: 'old', newVersionId: 'new' };
  it.each([
    ['AWSCURRENT before the rotation', read(REPORTS, secondsBefore(60)), { old: true, fresh: false }],
    ['AWSCURRENT after the rotation', read(REPORTS, secondsAfter(60)), { old: false, fresh: true }],
    [
      'AWSPREVIOUS after the rotation',
      read(REPORTS, secondsAfter(60), { versionStage: 'AWSPREVIOUS' }),
      { old: true, fresh: false },
    ],
    [
      'the old version by id',
      read(REPORTS, secondsAfter(60), { versionId: 'old' }),
      { old: true, fresh: false },
    ],
    [
      'the new version by id',
      read(REPORTS, secondsBefore(60), { versionId: 'new' }),
      { old: false, fresh: true },
    ],
    [
      'AWSPENDING (the rotation itself)',
      read(REPORTS, secondsBefore(1), { versionStage: 'AWSPENDING' }),
      { old: false, fresh: false },
    ],
    [
      'a group of reads on both sides (CloudTrail Lake)',
      read(REPORTS, secondsBefore(60), { last: secondsAfter(60), count: 9 }),
      { old: true, fresh: true },
    ],
  ])('judges %s', (_what, given, expected) => {
    expect(versionsRead(given, versions)).toEqual(expected);
  });
});

describe('Readers: principals and stragglers', () => {
  const known = { handover: [ROOT], ignore: CONFIG.ignore, declared: new Map([[API_ROLE, ['orders-api']]]) };

  it('groups reads by principal, most recent first, and says what each is to the rollout', () => {
    const readers = readersOf(
      [
        read(REPORTS, secondsBefore(120)),
        read(REPORTS, secondsBefore(30), { sourceIp: '10.0.2.9', versionStage: 'AWSCURRENT' }),
        read(API_ROLE, secondsBefore(60), {
          principal: { arn: API_ROLE, type: 'AssumedRole', session: 'orders-api' },
        }),
        read(ROOT, secondsBefore(1)),
        read('arn:aws:iam::123456789012:role/break-glass-oncall', secondsBefore(10)),
      ],
      known,
      { boundary: BOUNDARY },
    );

    expect(readers.map((reader) => [reader.principal, reader.role, reader.note])).toEqual([
      [ROOT, 'handover', undefined],
      ['arn:aws:iam::123456789012:role/break-glass-oncall', 'ignored', 'incident responders'],
      [REPORTS, 'undeclared', undefined],
      [API_ROLE, 'declared', 'orders-api'],
    ]);
    expect(readers.find((reader) => reader.principal === REPORTS)).toMatchObject({
      reads: 2,
      sourceIps: ['10.0.1.7', '10.0.2.9'],
      requested: ['AWSCURRENT'],
      firstRead: secondsBefore(120).toISOString(),
      lastRead: secondsBefore(30).toISOString(),
      readOld: true,
      readNew: false,
    });
  });

  it('names as stragglers who read the old version and not the new one: not Handover, not ignored, not a moved consumer', () => {
    const readers = readersOf(
      [
        read(REPORTS, secondsBefore(60)),
        read(API_ROLE, secondsBefore(60)),
        read('arn:aws:iam::123456789012:user/staging', secondsBefore(60)),
        read('arn:aws:iam::123456789012:user/staging', secondsAfter(30)),
        read(ROOT, secondsBefore(60)),
      ],
      known,
      { boundary: BOUNDARY },
    );

    expect(stragglersAmong(readers, new Set(['orders-api'])).map((reader) => reader.principal)).toEqual([
      REPORTS,
    ]);
    // A declared consumer the rollout did not move is a straggler too.
    expect(
      stragglersAmong(readers, new Set())
        .map((reader) => reader.principal)
        .sort(),
    ).toEqual([API_ROLE, REPORTS].sort());
  });

  it('knows a secret by ARN, name or partial ARN in a GetSecretValue', () => {
    const secret = {
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-AbCdEf',
      secretName: 'orders/db',
    };
    expect(namesSecret(secret.secretArn, secret)).toBe(true);
    expect(namesSecret('orders/db', secret)).toBe(true);
    expect(namesSecret('arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db', secret)).toBe(true);
    expect(namesSecret('orders/db-other', secret)).toBe(false);
    expect(namesSecret(undefined, secret)).toBe(false);
  });
});

describe('Tasks: find-readers and check-readers', () => {
  let world: RolloutTestWorld;
  let reads: SecretRead[];
  let queries: ReadQuery[];
  let complete: boolean;

  beforeEach(() => {
    world = rolloutWorld();
    reads = [];
    queries = [];
    complete = true;
    (world.deps as { readerSources?: unknown }).readerSources = () => ({
      reads: async (query: ReadQuery) => {
        queries.push(query);
        return { reads, complete, calls: 1, ...(complete ? {} : { readBackTo: secondsBefore(3600) }) };
      },
    });
  });
  afterEach(() => world.restore());

  const rolledOut = () => {
    const arn = world.createSecret();
    world.rotate(arn, 'v2-00000000-0000-0000-0000-000000000002');
    return arn;
  };
  const rotation = succeeded(
    'v2-00000000-0000-0000-0000-000000000002',
    'v1-00000000-0000-0000-0000-000000000001',
  );

  it('names the readers no consumer accounts for: metric, event and SNS message, since the previous rotation', async () => {
    const arn = rolledOut();
    reads = [read(ROOT, secondsBefore(5)), read(REPORTS, secondsBefore(600))];

    const report = await findReaders(world.deps, {
      Task: 'find-readers',
      rollout: plan(arn, { readers: CONFIG }),
      rotation,
    });

    expect(report).toMatchObject({ status: 'found', complete: true, deliveryDelaySeconds: 300 });
    expect(report.undeclared).toEqual([
      expect.objectContaining({
        identity: REPORTS,
        from: '10.0.1.7',
        lastSeen: secondsBefore(600).toISOString(),
      }),
    ]);
    // The window starts when the replaced version was created (the previous rotation).
    expect(queries[0]?.start).toEqual(NOW);
    expect(world.metrics.recorded).toContain('UndeclaredReaders:postgres=1');
    expect(world.milestones()).toEqual(['Handover Rollout UndeclaredReaders']);
    expect(world.logger.lines.at(-1)?.fields).toMatchObject({
      stragglers: [REPORTS],
      outcome: 'undeclared-readers',
    });
  });

  it('reports readers unavailable, without failing, when the source fails', async () => {
    const arn = rolledOut();
    (world.deps as { readerSources?: unknown }).readerSources = () => ({
      reads: async () =>
        Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })),
    });

    const report = await findReaders(world.deps, {
      Task: 'find-readers',
      rollout: plan(arn, { readers: CONFIG }),
      rotation,
    });

    expect(report).toMatchObject({
      status: 'unavailable',
      evidence: 'readers unknown: AccessDeniedException: denied',
    });
  });

  it('blocks the gate while a reader still holds the old version, and names it', async () => {
    const arn = rolledOut();
    reads = [read(ROOT, secondsBefore(5)), read(REPORTS, secondsBefore(600))];
    world.deps = { ...world.deps, now: () => secondsAfter(3600) };

    const gate = await checkReaders(world.deps, {
      Task: 'check-readers',
      phase: 'gate',
      rollout: plan(arn, { readers: CONFIG }),
      rotation,
    });

    expect(gate).toMatchObject({ blocking: true, trusted: true });
    expect(gate.stragglers.map((straggler) => straggler.identity)).toEqual([REPORTS]);
    expect(gate.evidence).toMatch(
      /^1 reader still holds the old version \(CloudTrail\): arn:aws:iam::123456789012:user\/billing-reports/,
    );
  });

  it('does not trust an absence before CloudTrail delivery delay has passed since the rotation, and says so', async () => {
    const arn = rolledOut();
    reads = [read(ROOT, secondsBefore(5))];
    world.deps = { ...world.deps, now: () => secondsAfter(60) };

    const early = await checkReaders(world.deps, {
      Task: 'check-readers',
      phase: 'gate',
      rollout: plan(arn, { readers: CONFIG }),
      rotation,
    });
    world.deps = { ...world.deps, now: () => secondsAfter(301) };
    const late = await checkReaders(world.deps, {
      Task: 'check-readers',
      phase: 'gate',
      rollout: plan(arn, { readers: CONFIG }),
      rotation,
    });

    expect(early).toMatchObject({ blocking: true, trusted: false });
    expect(early.evidence).toBe(
      `no straggler seen, but CloudTrail delivers events up to 300 s late: an absence is trusted from ${secondsAfter(300).toISOString()}`,
    );
    expect(late).toMatchObject({ blocking: false, trusted: true });
  });

  it('does not trust an incomplete scan, nor one that sees no read at all', async () => {
    const arn = rolledOut();
    world.deps = { ...world.deps, now: () => secondsAfter(3600) };
    const check = () =>
      checkReaders(world.deps, {
        Task: 'check-readers',
        phase: 'gate',
        rollout: plan(arn, { readers: CONFIG }),
        rotation,
      });

    const blind = await check();
    reads = [read(ROOT, secondsBefore(5))];
    complete = false;
    const partial = await check();

    expect(blind).toMatchObject({ blocking: true, trusted: false });
    expect(blind.evidence).toContain('shows no read of this secret at all');
    expect(partial).toMatchObject({ blocking: true, trusted: false });
    expect(partial.evidence).toContain('the scan stopped early');
  });

  it('lists everyone who read the old version as breaking in an emergency, and never blocks', async () => {
    const arn = rolledOut();
    reads = [
      read(REPORTS, secondsBefore(600)),
      read(API_ROLE, secondsBefore(60)),
      read(ROOT, secondsBefore(5)),
    ];

    const gate = await checkReaders(world.deps, {
      Task: 'check-readers',
      phase: 'emergency',
      rollout: plan(arn, {
        readers: CONFIG,
        mode: 'emergency',
        waves: {
          canary: [],
          main: [{ kind: 'lambda', name: 'orders-api', functionName: 'orders-api', principals: [API_ROLE] }],
        },
      }),
      rotation,
    });

    expect(gate.blocking).toBe(false);
    expect(
      Object.fromEntries(
        gate.stragglers.map((straggler) => [straggler.identity, straggler.evidence.split(':')[0]]),
      ),
    ).toEqual({
      [REPORTS]: 'will break',
      [API_ROLE]: 'will break until the rollout updates orders-api',
    });
  });

  it('checks nothing and never blocks without a readers configuration', async () => {
    const arn = rolledOut();

    const gate = await checkReaders(world.deps, {
      Task: 'check-readers',
      phase: 'gate',
      rollout: plan(arn),
      rotation,
    });

    expect(gate).toEqual({
      blocking: false,
      trusted: true,
      stragglers: [],
      omitted: 0,
      evidence: 'no readers check: the policy configures no reader source for this secret',
    });
    expect(queries).toEqual([]);
  });
});

describe('Reader source: cloudtrail-lake', () => {
  const lake = mockClient(CloudTrailClient);
  afterEach(() => lake.reset());
  const store =
    'arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
  const query: ReadQuery = {
    secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db'x-AbCdEf",
    secretName: "orders/db'x",
    start: secondsBefore(86_400),
    end: secondsAfter(600),
    boundary: BOUNDARY,
  };

  it('asks for successful GetSecretValue reads of the secret, grouped, before and after the rotation, quoting literals', () => {
    const sql = readersQuery('EXAMPLE-store', query);

    expect(sql).toContain('FROM EXAMPLE-store');
    expect(sql).toContain("eventName = 'GetSecretValue' AND errorCode IS NULL");
    expect(sql).toContain(
      "IN ('arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db''x-AbCdEf', 'orders/db''x', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db''x')",
    );
    expect(sql).toContain(
      `CASE WHEN eventTime >= '${BOUNDARY.toISOString().replace('T', ' ').replace('Z', '')}' THEN 'after' ELSE 'before' END`,
    );
  });

  it('runs the query to the end and reads every page of results as reads', async () => {
    lake.on(StartQueryCommand).resolves({ QueryId: 'q-1' });
    lake
      .on(DescribeQueryCommand)
      .resolvesOnce({ QueryStatus: 'RUNNING' })
      .resolves({ QueryStatus: 'FINISHED' });
    const row = (principal: string, reads: string, last: string): Array<Record<string, string>> => [
      { identityType: 'AssumedRole' },
      { principal },
      { sourceIp: '10.0.1.7' },
      { userAgent: 'aws-sdk-go/1.50' },
      { reads },
      { firstRead: '2026-11-21 09:00:00.000' },
      { lastRead: last },
    ];
    lake
      .on(GetQueryResultsCommand)
      .resolvesOnce({ QueryResultRows: [row(API_ROLE, '1200', '2026-11-21 09:59:59.000')], NextToken: 'n' })
      .resolvesOnce({ QueryResultRows: [row(REPORTS, '3', '2026-11-21 09:30:00.000')] });
    const source = createCloudTrailLakeSource(
      { kind: 'cloudtrail-lake', eventDataStoreArn: store },
      { cloudTrail: lake as unknown as CloudTrailClient, sleep: async () => {} },
    );

    const scan = await source.reads(query);

    expect(scan).toMatchObject({ complete: true, calls: 5 });
    expect(scan.reads).toEqual([
      expect.objectContaining({
        principal: { arn: API_ROLE, type: 'AssumedRole' },
        count: 1200,
        last: new Date('2026-11-21T09:59:59.000Z'),
      }),
      expect.objectContaining({ principal: { arn: REPORTS, type: 'AssumedRole' }, count: 3 }),
    ]);
    expect(lake.commandCalls(DescribeQueryCommand)[0]?.args[0].input).toEqual({
      EventDataStore: store,
      QueryId: 'q-1',
    });
  });

  it('fails with the query status and message when Lake fails the query', async () => {
    lake.on(StartQueryCommand).resolves({ QueryId: 'q-2' });
    lake.on(DescribeQueryCommand).resolves({ QueryStatus: 'FAILED', ErrorMessage: 'bad column' });
    const source = createCloudTrailLakeSource(
      { kind: 'cloudtrail-lake', eventDataStoreArn: store },
      { cloudTrail: lake as unknown as CloudTrailClient, sleep: async () => {} },
    );

    await expect(source.reads(query)).rejects.toThrow(/query q-2 .* ended FAILED: bad column/);
  });
});
