import { gunzipSync } from 'node:zlib';
import type {
  Datapoint,
  Dimension,
  GetMetricDataOutput,
  GetMetricStatisticsOutput,
  ListMetricsOutput,
  Metric,
  MetricDataResult,
  StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { createAwsJsonHandler } from './aws-json-protocol';
import { AwsServiceError } from './errors';
import {
  type OperationInput,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requireString,
} from './input';
import type { HttpRequest, ProtocolHandler } from './protocol';

/**
 * CloudWatch metrics for the emulator: PutMetricData, GetMetricData, GetMetricStatistics and
 * ListMetrics, over the protocol the installed `@aws-sdk/client-cloudwatch` speaks: AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`) with the `awsQueryCompatible` trait,
 * so errors also carry the Query error code in `x-amzn-query-error`. PutMetricData bodies above the
 * SDK's compression threshold arrive gzip-compressed (`Content-Encoding: gzip`).
 *
 * Not emulated: metric math expressions, percentiles and other extended statistics, alarms,
 * dashboards, anomaly detection, retention (every data point is kept until the emulator stops).
 */

/** Every CloudWatch operation the emulator implements. */
export const CLOUDWATCH_OPERATIONS = [
  'GetMetricData',
  'GetMetricStatistics',
  'ListMetrics',
  'PutMetricData',
] as const;
/** A CloudWatch operation the emulator implements. */
export type CloudWatchOperation = (typeof CLOUDWATCH_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of CloudWatch. */
export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';

/** Exception names (`__type`) CloudWatch returns, and their Query error codes. */
export const CLOUDWATCH_ERROR = {
  invalidParameterValue: 'InvalidParameterValueException',
  missingParameter: 'MissingRequiredParameterException',
  invalidParameterCombination: 'InvalidParameterCombinationException',
  invalidNextToken: 'InvalidNextToken',
} as const;

const QUERY_ERROR_CODES: Readonly<Record<string, string>> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  InvalidNextToken: 'InvalidNextToken',
  InternalServiceError: 'InternalServiceError',
};

const invalidValue = (message: string) =>
  new AwsServiceError(CLOUDWATCH_ERROR.invalidParameterValue, message);
const missing = (message: string) => new AwsServiceError(CLOUDWATCH_ERROR.missingParameter, message);
const combination = (message: string) =>
  new AwsServiceError(CLOUDWATCH_ERROR.invalidParameterCombination, message);

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
type Statistic = (typeof STATISTICS)[number];
const isStatistic = (value: string): value is Statistic => (STATISTICS as readonly string[]).includes(value);

const UNITS: ReadonlySet<string> = new Set<StandardUnit>([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const MAX_DATUMS = 1000;
const MAX_DIMENSIONS = 30;
const MAX_QUERIES = 500;
const MAX_STATISTICS_DATAPOINTS = 1440;
const DEFAULT_MAX_DATAPOINTS = 100_800;
const LIST_PAGE = 500;
const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;
const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

/** Aggregated values at one instant, as PutMetricData delivers them. */
interface StatPoint {
  readonly at: number;
  readonly unit: StandardUnit | undefined;
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

interface Series {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name. */
  readonly dimensions: readonly Dimension[];
  readonly points: StatPoint[];
}

/** One period's aggregate. */
interface Bucket {
  readonly start: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  unit: StandardUnit | undefined;
}

/** Options of the CloudWatch model. */
export interface CloudWatchOptions {
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

function seriesKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  return JSON.stringify([namespace, metricName, dimensions.map((d) => [d.Name, d.Value])]);
}

/** An optional timestamp member: epoch seconds on the wire (AWS JSON), or an ISO 8601 string. */
function readTimestamp(input: OperationInput, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalidValue(`The parameter ${field} must be a timestamp.`);
  return ms;
}

function requireTimestamp(input: OperationInput, field: string): number {
  const ms = readTimestamp(input, field);
  if (ms === undefined) throw missing(`The parameter ${field} is required.`);
  return ms;
}

/** An optional list of finite numbers. */
function readNumberList(input: OperationInput, field: string, where: string): number[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidValue(`The parameter ${where}.${field} must be a non-empty list of finite numbers.`);
  }
  return value.map((item: unknown) => {
    if (typeof item !== 'number' || !Number.isFinite(item)) {
      throw invalidValue(`The parameter ${where}.${field} must be a non-empty list of finite numbers.`);
    }
    return item;
  });
}

function readNumber(input: OperationInput, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidValue(`The value for parameter ${field} must be a finite number.`);
  }
  return value;
}

function readDimensions(input: OperationInput, field: string, where: string): Dimension[] {
  const list = optionalObjectList(input, field) ?? [];
  if (list.length > MAX_DIMENSIONS) {
    throw invalidValue(
      `The collection ${where}.${field} must not have a size greater than ${MAX_DIMENSIONS}.`,
    );
  }
  const dimensions = list.map((item, i) => {
    const Name = optionalString(item, 'Name');
    const Value = optionalString(item, 'Value');
    if (Name === undefined || Name === '')
      throw missing(`The parameter ${where}.${field}.${i + 1}.Name is required.`);
    if (Value === undefined || Value === '') {
      throw missing(`The parameter ${where}.${field}.${i + 1}.Value is required.`);
    }
    if (Name.length > 255) throw invalidValue(`Dimension name ${Name.slice(0, 40)}... is longer than 255.`);
    if (Value.length > 1024) throw invalidValue(`The value of dimension ${Name} is longer than 1024.`);
    return { Name, Value };
  });
  const names = new Set(dimensions.map((d) => d.Name));
  if (names.size !== dimensions.length) {
    throw invalidValue(`The collection ${where}.${field} must not contain duplicate dimension names.`);
  }
  return dimensions.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

const isUnit = (value: string): value is StandardUnit => UNITS.has(value);

function readUnit(input: OperationInput, where: string): StandardUnit | undefined {
  const unit = optionalString(input, 'Unit');
  if (unit === undefined) return undefined;
  if (!isUnit(unit)) {
    throw invalidValue(`The parameter ${where}.Unit must be a valid CloudWatch unit, got '${unit}'.`);
  }
  return unit;
}

function readPeriod(input: OperationInput, where: string): number {
  const period = input.Period;
  if (period === undefined || period === null) throw missing(`The parameter ${where}.Period is required.`);
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) {
    throw invalidValue(`The parameter ${where}.Period must be a positive integer.`);
  }
  if (period % 60 !== 0 && ![1, 5, 10, 30].includes(period)) {
    throw invalidValue(
      `The parameter ${where}.Period must be 1, 5, 10, 30 or a multiple of 60, got ${period}.`,
    );
  }
  return period;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new AwsServiceError(
    CLOUDWATCH_ERROR.invalidNextToken,
    'The service couldn’t process your NextToken.',
  );
}

function statValue(bucket: Bucket, stat: Statistic): number {
  switch (stat) {
    case 'SampleCount':
      return bucket.sampleCount;
    case 'Sum':
      return bucket.sum;
    case 'Minimum':
      return bucket.min;
    case 'Maximum':
      return bucket.max;
    case 'Average':
      return bucket.sum / bucket.sampleCount;
  }
}

/**
 * The CloudWatch metrics model: stores every data point PutMetricData receives and answers
 * GetMetricData / GetMetricStatistics with the statistics of each period (periods aligned to the
 * epoch, a data point belongs to `[StartTime, EndTime)`), and ListMetrics. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const cloudWatch = new CloudWatchService();
 * cloudWatch.invoke('PutMetricData', { Namespace: 'Handover', MetricData: [{ MetricName: 'X', Value: 1 }] });
 * ```
 */
export class CloudWatchService {
  readonly #series = new Map<string, Series>();
  readonly #now: () => Date;

  readonly #operations: Record<CloudWatchOperation, (input: OperationInput) => object> = {
    GetMetricData: (input) => this.#getMetricData(input),
    GetMetricStatistics: (input) => this.#getMetricStatistics(input),
    ListMetrics: (input) => this.#listMetrics(input),
    PutMetricData: (input) => this.#putMetricData(input),
  };

  constructor(options: CloudWatchOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is a CloudWatch operation the emulator implements. */
  static isOperation(operation: string): operation is CloudWatchOperation {
    return (CLOUDWATCH_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input (wire member names) and returns the response members. */
  invoke(operation: CloudWatchOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** The number of data points stored for the metric with exactly these dimensions (for tests). */
  dataPointCount(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>> = {},
  ): number {
    const sorted = Object.entries(dimensions)
      .map(([Name, Value]) => ({ Name, Value }))
      .sort((a, b) => (a.Name < b.Name ? -1 : 1));
    return this.#series.get(seriesKey(namespace, metricName, sorted))?.points.length ?? 0;
  }

  /** Forgets every data point. */
  clear(): void {
    this.#series.clear();
  }

  #putMetricData(input: OperationInput): object {
    const namespace = requireString(input, 'Namespace');
    if (namespace.startsWith('AWS/')) {
      throw invalidValue(
        'The value AWS/ for parameter Namespace is invalid: it is reserved for AWS services.',
      );
    }
    const data = optionalObjectList(input, 'MetricData');
    if (data === undefined || data.length === 0) throw missing('The parameter MetricData is required.');
    if (data.length > MAX_DATUMS) {
      throw invalidValue(`The collection MetricData must not have a size greater than ${MAX_DATUMS}.`);
    }
    const now = this.#now().getTime();
    // Validate everything first: a bad datum rejects the whole call, as CloudWatch does.
    const points = data.map((datum, i) => {
      const where = `MetricData.member.${i + 1}`;
      const metricName = optionalString(datum, 'MetricName');
      if (metricName === undefined || metricName === '')
        throw missing(`The parameter ${where}.MetricName is required.`);
      const dimensions = readDimensions(datum, 'Dimensions', where);
      const at = readTimestamp(datum, 'Timestamp') ?? now;
      if (at < now - TWO_WEEKS_MS || at > now + TWO_HOURS_MS) {
        throw invalidValue(
          `The parameter ${where}.Timestamp must specify a time no more than two weeks in the past or two hours in the future.`,
        );
      }
      const unit = readUnit(datum, where);
      return { metricName, dimensions, point: this.#point(datum, where, at, unit) };
    });
    for (const { metricName, dimensions, point } of points) {
      const key = seriesKey(namespace, metricName, dimensions);
      let series = this.#series.get(key);
      if (series === undefined) {
        series = { namespace, metricName, dimensions, points: [] };
        this.#series.set(key, series);
      }
      series.points.push(point);
    }
    return {};
  }

  #point(datum: OperationInput, where: string, at: number, unit: StandardUnit | undefined): StatPoint {
    const value = readNumber(datum, 'Value');
    const values = readNumberList(datum, 'Values', where);
    const stats = optionalObject(datum, 'StatisticValues');
    const kinds = [value, values, stats].filter((kind) => kind !== undefined);
    if (kinds.length !== 1) {
      throw combination(
        `The parameters ${where}.Value, ${where}.Values and ${where}.StatisticValues are mutually exclusive and one is required.`,
      );
    }
    if (value !== undefined) return { at, unit, sampleCount: 1, sum: value, min: value, max: value };
    if (stats !== undefined) {
      const read = (field: string) => {
        const v = readNumber(stats, field);
        if (v === undefined) throw missing(`The parameter ${where}.StatisticValues.${field} is required.`);
        return v;
      };
      const sampleCount = read('SampleCount');
      if (sampleCount <= 0) {
        throw invalidValue(`The parameter ${where}.StatisticValues.SampleCount must be positive.`);
      }
      return { at, unit, sampleCount, sum: read('Sum'), min: read('Minimum'), max: read('Maximum') };
    }
    const list = values ?? [];
    const counts = readNumberList(datum, 'Counts', where);
    if (counts !== undefined && (counts.length !== list.length || counts.some((c) => c <= 0))) {
      throw invalidValue(`The parameter ${where}.Counts must list one positive count per value.`);
    }
    let sampleCount = 0;
    let sum = 0;
    for (const [i, v] of list.entries()) {
      const weight = counts?.[i] ?? 1;
      sampleCount += weight;
      sum += v * weight;
    }
    return { at, unit, sampleCount, sum, min: Math.min(...list), max: Math.max(...list) };
  }

  #seriesFor(metric: OperationInput, where: string): Series | undefined {
    const namespace = optionalString(metric, 'Namespace');
    const metricName = optionalString(metric, 'MetricName');
    if (namespace === undefined || namespace === '')
      throw missing(`The parameter ${where}.Namespace is required.`);
    if (metricName === undefined || metricName === '')
      throw missing(`The parameter ${where}.MetricName is required.`);
    return this.#series.get(seriesKey(namespace, metricName, readDimensions(metric, 'Dimensions', where)));
  }

  #buckets(
    series: Series | undefined,
    start: number,
    end: number,
    periodMs: number,
    unit: StandardUnit | undefined,
  ): Bucket[] {
    const buckets = new Map<number, Bucket>();
    for (const point of series?.points ?? []) {
      if (point.at < start || point.at >= end) continue;
      if (unit !== undefined && point.unit !== unit) continue;
      const bucketStart = Math.floor(point.at / periodMs) * periodMs;
      const bucket = buckets.get(bucketStart);
      if (bucket === undefined) {
        buckets.set(bucketStart, { start: bucketStart, ...point });
        continue;
      }
      bucket.sampleCount += point.sampleCount;
      bucket.sum += point.sum;
      bucket.min = Math.min(bucket.min, point.min);
      bucket.max = Math.max(bucket.max, point.max);
    }
    return [...buckets.values()].sort((a, b) => a.start - b.start);
  }

  #window(input: OperationInput): { start: number; end: number } {
    const start = requireTimestamp(input, 'StartTime');
    const end = requireTimestamp(input, 'EndTime');
    if (start >= end) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
    return { start, end };
  }

  #getMetricData(input: OperationInput): GetMetricDataOutput {
    const queries = optionalObjectList(input, 'MetricDataQueries');
    if (queries === undefined || queries.length === 0)
      throw missing('The parameter MetricDataQueries is required.');
    if (queries.length > MAX_QUERIES) {
      throw invalidValue(
        `The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`,
      );
    }
    const { start, end } = this.#window(input);
    const scanBy = optionalString(input, 'ScanBy') ?? 'TimestampDescending';
    if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
      throw invalidValue(
        `The parameter ScanBy must be TimestampDescending or TimestampAscending, got '${scanBy}'.`,
      );
    }
    const maxDatapoints =
      optionalInteger(input, 'MaxDatapoints', 1, DEFAULT_MAX_DATAPOINTS) ?? DEFAULT_MAX_DATAPOINTS;
    const offset = decodeToken(optionalString(input, 'NextToken'));
    const ids = new Set<string>();
    const computed = queries.map((query, i) => {
      const where = `MetricDataQueries.member.${i + 1}`;
      const id = requireString(query, 'Id');
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) {
        throw invalidValue(
          `The parameter ${where}.Id must start with a lower-case letter and hold only letters, digits and _.`,
        );
      }
      if (ids.has(id))
        throw invalidValue(`The values of MetricDataQueries Id must be unique: ${id} is repeated.`);
      ids.add(id);
      if (query.Expression !== undefined && query.Expression !== null) {
        throw invalidValue(`${where}.Expression: the emulator does not evaluate metric math expressions.`);
      }
      const stat = optionalObject(query, 'MetricStat');
      if (stat === undefined) throw missing(`The parameter ${where}.MetricStat is required.`);
      const metric = optionalObject(stat, 'Metric');
      if (metric === undefined) throw missing(`The parameter ${where}.MetricStat.Metric is required.`);
      const statistic = requireString(stat, 'Stat');
      if (!isStatistic(statistic)) {
        throw invalidValue(
          `${where}.MetricStat.Stat: the emulator supports ${STATISTICS.join(', ')}, got '${statistic}'.`,
        );
      }
      const period = readPeriod(stat, `${where}.MetricStat`);
      const unit = readUnit(stat, `${where}.MetricStat`);
      const series = this.#seriesFor(metric, `${where}.MetricStat.Metric`);
      const buckets = this.#buckets(series, start, end, period * 1000, unit);
      if (scanBy === 'TimestampDescending') buckets.reverse();
      const returnData = query.ReturnData !== false;
      const label = optionalString(query, 'Label') ?? optionalString(metric, 'MetricName') ?? id;
      return {
        id,
        label,
        returnData,
        points: buckets.map((b) => ({ at: new Date(b.start), value: statValue(b, statistic) })),
      };
    });
    // Pagination runs over the data points of every returned query, in query order.
    const returned = computed.filter((q) => q.returnData);
    const total = returned.reduce((n, q) => n + q.points.length, 0);
    if (offset > total)
      throw new AwsServiceError(CLOUDWATCH_ERROR.invalidNextToken, 'The NextToken is out of range.');
    const pageEnd = Math.min(total, offset + maxDatapoints);
    let cursor = 0;
    const results: MetricDataResult[] = returned.map((q) => {
      const from = Math.max(0, offset - cursor);
      const to = Math.max(0, Math.min(q.points.length, pageEnd - cursor));
      cursor += q.points.length;
      const page = q.points.slice(from, Math.max(from, to));
      return {
        Id: q.id,
        Label: q.label,
        Timestamps: page.map((p) => p.at),
        Values: page.map((p) => p.value),
        StatusCode: pageEnd < total ? 'PartialData' : 'Complete',
      };
    });
    return {
      MetricDataResults: results,
      Messages: [],
      ...(pageEnd < total ? { NextToken: encodeToken(pageEnd) } : {}),
    };
  }

  #getMetricStatistics(input: OperationInput): GetMetricStatisticsOutput {
    const { start, end } = this.#window(input);
    const period = readPeriod(input, 'GetMetricStatistics');
    const statistics = optionalStringList(input, 'Statistics') ?? [];
    const extended = optionalStringList(input, 'ExtendedStatistics') ?? [];
    if (statistics.length === 0 && extended.length === 0) {
      throw missing('Either the Statistics or the ExtendedStatistics parameter must be specified.');
    }
    if (extended.length > 0) {
      throw invalidValue('ExtendedStatistics: the emulator does not compute percentiles.');
    }
    if (statistics.length > STATISTICS.length) {
      throw invalidValue(`The collection Statistics must not have a size greater than ${STATISTICS.length}.`);
    }
    const wanted = statistics.map((statistic) => {
      if (!isStatistic(statistic)) {
        throw invalidValue(`Statistics: expected one of ${STATISTICS.join(', ')}, got '${statistic}'.`);
      }
      return statistic;
    });
    const unit = readUnit(input, 'GetMetricStatistics');
    const metricName = requireString(input, 'MetricName');
    const series = this.#seriesFor(input, 'GetMetricStatistics');
    if ((end - start) / (period * 1000) > MAX_STATISTICS_DATAPOINTS) {
      throw combination(
        `You have requested up to ${Math.ceil((end - start) / (period * 1000))} datapoints, which exceeds the limit of ${MAX_STATISTICS_DATAPOINTS}.`,
      );
    }
    const datapoints: Datapoint[] = this.#buckets(series, start, end, period * 1000, unit).map((bucket) => {
      const datapoint: Datapoint = {
        Timestamp: new Date(bucket.start),
        Unit: bucket.unit ?? 'None',
      };
      for (const statistic of wanted) datapoint[statistic] = statValue(bucket, statistic);
      return datapoint;
    });
    return { Label: metricName, Datapoints: datapoints };
  }

  #listMetrics(input: OperationInput): ListMetricsOutput {
    const namespace = optionalString(input, 'Namespace');
    const metricName = optionalString(input, 'MetricName');
    const filters = (optionalObjectList(input, 'Dimensions') ?? []).map((filter, i) => {
      const name = optionalString(filter, 'Name');
      if (name === undefined || name === '')
        throw missing(`The parameter Dimensions.member.${i + 1}.Name is required.`);
      return { name, value: optionalString(filter, 'Value') };
    });
    const offset = decodeToken(optionalString(input, 'NextToken'));
    const matches: Metric[] = [...this.#series.values()]
      .filter(
        (s) =>
          (namespace === undefined || s.namespace === namespace) &&
          (metricName === undefined || s.metricName === metricName) &&
          filters.every((f) =>
            s.dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value)),
          ),
      )
      .map((s) => ({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: [...s.dimensions] }));
    const page = matches.slice(offset, offset + LIST_PAGE);
    const next = offset + LIST_PAGE < matches.length ? encodeToken(offset + LIST_PAGE) : undefined;
    return { Metrics: page, ...(next === undefined ? {} : { NextToken: next }) };
  }
}

function decompress(request: HttpRequest): HttpRequest {
  const encoding = request.headers['content-encoding'];
  if (typeof encoding !== 'string' || !encoding.split(',').some((e) => e.trim().toLowerCase() === 'gzip')) {
    return request;
  }
  try {
    return { ...request, body: gunzipSync(request.body, { maxOutputLength: MAX_DECOMPRESSED_BYTES }) };
  } catch {
    throw new AwsServiceError(
      'SerializationException',
      'The gzip-encoded request body could not be decompressed.',
    );
  }
}

/**
 * Serves {@link CloudWatchService} over AWS JSON 1.0 (`awsQueryCompatible`): gzip request bodies are
 * decompressed, and every error also carries `x-amzn-query-error: <Query code>;<Sender|Receiver>`
 * as the real service sends it.
 *
 * @example
 * ```ts
 * const cloudWatch = new CloudWatchService();
 * const handlers: ProtocolHandler[] = [createCloudWatchHandler(cloudWatch)];
 * ```
 */
export function createCloudWatchHandler(service: CloudWatchService): ProtocolHandler {
  const json = createAwsJsonHandler({
    service: 'cloudwatch',
    signingName: 'monitoring',
    targetPrefix: CLOUDWATCH_TARGET_PREFIX,
    jsonVersion: '1.0',
    isOperation: (operation) => CloudWatchService.isOperation(operation),
    invoke: (operation, input) => {
      if (!CloudWatchService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return service.invoke(operation, input);
    },
    resourceMembers: ['Namespace'],
  });
  return {
    ...json,
    decode: (request) => json.decode(decompress(request)),
    encodeResult: (call, output, requestId) => json.encodeResult(call, output, requestId),
    encodeError: (error, requestId) => {
      const response = json.encodeError(error, requestId);
      const code = QUERY_ERROR_CODES[error.type] ?? error.type;
      const fault = error.status >= 500 ? 'Receiver' : 'Sender';
      return { ...response, headers: { ...response.headers, 'x-amzn-query-error': `${code};${fault}` } };
    },
  };
}
