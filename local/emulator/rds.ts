import type {
  DBCluster,
  DBClusterMember,
  DBClusterMessage,
  DBInstance,
  DBInstanceMessage,
} from '@aws-sdk/client-rds';
import { AwsServiceError } from './errors';
import type { OperationInput } from './input';
import type { ProtocolHandler } from './protocol';
import { createQueryHandler, toQueryXml } from './query-protocol';

/** Every RDS operation the emulator implements. */
export const RDS_OPERATIONS = ['DescribeDBClusters', 'DescribeDBInstances'] as const;
/** An RDS operation the emulator implements. */
export type RdsOperation = (typeof RDS_OPERATIONS)[number];

/** RDS's API version and XML namespace. */
export const RDS_VERSION = '2014-10-31';
export const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/**
 * Error codes RDS returns (Query protocol `<Code>`), with their HTTP status. The SDK maps
 * `DBInstanceNotFound` to `DBInstanceNotFoundFault` and `DBClusterNotFoundFault` to itself.
 */
export const RDS_ERROR = {
  dbInstanceNotFound: { code: 'DBInstanceNotFound', status: 404 },
  dbClusterNotFound: { code: 'DBClusterNotFoundFault', status: 404 },
  invalidParameterValue: { code: 'InvalidParameterValue', status: 400 },
  invalidParameterCombination: { code: 'InvalidParameterCombination', status: 400 },
} as const;

/** A DB instance to register with {@link RdsService.registerInstance}. */
export interface RdsInstanceOptions {
  /** `DBInstanceIdentifier`; RDS keeps identifiers in lower case, and so does the emulator. */
  readonly identifier: string;
  /** `Engine`, e.g. `postgres`, `mariadb`, `aurora-postgresql`. */
  readonly engine: string;
  /**
   * `Endpoint.Address`: point it at a local server (`localhost`).
   * @default - no endpoint, as while RDS is still creating the instance
   */
  readonly address?: string;
  /**
   * `Endpoint.Port`.
   * @default - 5432 for PostgreSQL engines, 3306 otherwise
   */
  readonly port?: number;
  /**
   * `DBInstanceStatus`.
   * @default 'available'
   */
  readonly status?: string;
  /**
   * `ReadReplicaSourceDBInstanceIdentifier`: the instance this one is a read replica of (an
   * identifier, or an ARN for a cross-region source).
   * @default - not a read replica
   */
  readonly readReplicaSource?: string;
  /**
   * `DBClusterIdentifier`: the cluster this instance belongs to.
   * @default - not in a cluster
   */
  readonly clusterIdentifier?: string;
  /**
   * `EngineVersion`.
   * @default - none reported
   */
  readonly engineVersion?: string;
  /**
   * `MasterUsername`.
   * @default - none reported
   */
  readonly masterUsername?: string;
  /**
   * `DBName`.
   * @default - none reported
   */
  readonly dbName?: string;
}

/** One member of a cluster: an instance and whether it is the writer. */
export interface RdsClusterMemberOptions {
  readonly instance: string;
  readonly writer: boolean;
}

/** A DB cluster to register with {@link RdsService.registerCluster}. */
export interface RdsClusterOptions {
  /** `DBClusterIdentifier` (kept in lower case). */
  readonly identifier: string;
  /** `Engine`, e.g. `aurora-postgresql`, `aurora-mysql`. */
  readonly engine: string;
  /**
   * `Endpoint`: the writer (cluster) endpoint.
   * @default - no endpoint, as while RDS is still creating the cluster
   */
  readonly endpoint?: string;
  /**
   * `ReaderEndpoint`.
   * @default - none
   */
  readonly readerEndpoint?: string;
  /**
   * `Port`.
   * @default - 5432 for PostgreSQL engines, 3306 otherwise
   */
  readonly port?: number;
  /**
   * `DBClusterMembers`, with `IsClusterWriter`.
   * @default - no members
   */
  readonly members?: readonly RdsClusterMemberOptions[];
  /**
   * `Status`.
   * @default 'available'
   */
  readonly status?: string;
}

/** Options of the RDS model. */
export interface RdsOptions {
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** The account id in ARNs. @default '123456789012' */
  readonly accountId?: string;
}

/**
 * Element names of list members: RDS's Query XML names each list's members after the member shape
 * (`<DBInstances><DBInstance>…`), not `<member>` as IAM and STS do.
 */
const LIST_MEMBER: Readonly<Record<string, string>> = {
  DBInstances: 'DBInstance',
  DBClusters: 'DBCluster',
  DBClusterMembers: 'DBClusterMember',
  ReadReplicaDBInstanceIdentifiers: 'ReadReplicaDBInstanceIdentifier',
  ReadReplicaIdentifiers: 'ReadReplicaIdentifier',
};

/**
 * Model values to RDS Query XML: like {@link toQueryXml}, but each list's members are named after
 * its member shape ({@link LIST_MEMBER}).
 */
export function toRdsXml(value: unknown, listMember = 'member'): string {
  if (Array.isArray(value)) {
    return value.map((item) => `<${listMember}>${toRdsXml(item)}</${listMember}>`).join('');
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `<${key}>${toRdsXml(member, LIST_MEMBER[key] ?? 'member')}</${key}>`)
      .join('');
  }
  return toQueryXml(value);
}

const IDENTIFIER_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;

const defaultPort = (engine: string) => (/postgres/.test(engine) ? 5432 : 3306);

/** One of {@link RDS_ERROR}. */
export type RdsErrorKind = (typeof RDS_ERROR)[keyof typeof RDS_ERROR];

/** Builds an `AwsServiceError` with an RDS error code and its HTTP status. */
export function rdsError(kind: RdsErrorKind, message: string): AwsServiceError {
  return new AwsServiceError(kind.code, message, kind.status);
}

function parameterValue(message: string): AwsServiceError {
  return rdsError(RDS_ERROR.invalidParameterValue, message);
}

function optionalMember(input: OperationInput, field: string): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw parameterValue(`${field} must be a single value.`);
  return value;
}

/** `{ Value: { '1': 'a', '2': 'b' } }` (the decoded form of `Values.Value.N`) -> `['a', 'b']`. */
function namedList(value: unknown, member: string): string[] {
  if (value === undefined || value === '') return [];
  const items =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[member] : undefined;
  if (typeof items !== 'object' || items === null) throw parameterValue(`expected a list of ${member}`);
  return Object.entries(items)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, item]) => {
      if (typeof item !== 'string') throw parameterValue(`expected a list of ${member} strings`);
      return item;
    });
}

interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** Decodes `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M`. */
function parseFilters(input: OperationInput, allowed: readonly string[]): Filter[] {
  const filters = input.Filters;
  if (filters === undefined || filters === '') return [];
  const entries =
    typeof filters === 'object' && filters !== null ? (filters as Record<string, unknown>).Filter : undefined;
  if (typeof entries !== 'object' || entries === null)
    throw parameterValue('Filters must be a list of Filter.');
  return Object.values(entries).map((entry) => {
    const filter = (typeof entry === 'object' && entry !== null ? entry : {}) as OperationInput;
    const name = optionalMember(filter, 'Name');
    if (name === undefined || !allowed.includes(name)) {
      throw parameterValue(
        `Unrecognized filter name: ${name ?? ''}. The emulator supports ${allowed.join(', ')}.`,
      );
    }
    return { name, values: namedList(filter.Values, 'Value') };
  });
}

/** MaxRecords (20-100, default 100) and Marker (an offset the emulator issued). */
function page<T>(input: OperationInput, items: readonly T[]): { page: T[]; marker?: string } {
  const raw = optionalMember(input, 'MaxRecords');
  const max = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(max) || max < 20 || max > 100) {
    throw parameterValue(`Invalid value ${raw ?? ''} for MaxRecords. Must be between 20 and 100`);
  }
  const marker = optionalMember(input, 'Marker');
  const start = marker === undefined || marker === '' ? 0 : Number(marker);
  if (!Number.isInteger(start) || start < 0) throw parameterValue('Invalid Marker.');
  const next = start + max;
  return { page: items.slice(start, next), ...(next < items.length && { marker: String(next) }) };
}

/**
 * The RDS model: DB instances and clusters that tests register so that their endpoints point at
 * local servers (embedded PostgreSQL, MariaDB), served read-only through DescribeDBInstances and
 * DescribeDBClusters with RDS's semantics: identifiers are case-insensitive (kept in lower case)
 * and may be given as ARNs; an unknown instance is `DBInstanceNotFound` (HTTP 404, the SDK's
 * `DBInstanceNotFoundFault`), an unknown cluster `DBClusterNotFoundFault` (HTTP 404); without an
 * identifier every instance (cluster) is listed, optionally filtered and paged. An instance's
 * `ReadReplicaDBInstanceIdentifiers` and `DBClusterIdentifier`'s membership are derived from the
 * registered instances and clusters, as RDS keeps them consistent.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator();
 * emulator.rds.registerInstance({ identifier: 'orders', engine: 'postgres', address: 'localhost', port: 5432 });
 * emulator.rds.registerInstance({ identifier: 'orders-ro', engine: 'postgres', address: 'localhost', port: 5433, readReplicaSource: 'orders' });
 * // new RDSClient({}) with AWS_ENDPOINT_URL_RDS=emulator.endpoint now sees both.
 * ```
 */
export class RdsService {
  readonly region: string;
  readonly accountId: string;
  readonly #instances = new Map<string, RdsInstanceOptions>();
  readonly #clusters = new Map<string, RdsClusterOptions>();

  readonly #operations: Record<RdsOperation, (input: OperationInput) => object> = {
    DescribeDBInstances: (input) => this.#describeInstances(input),
    DescribeDBClusters: (input) => this.#describeClusters(input),
  };

  constructor(options: RdsOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
  }

  /** Whether `operation` is an RDS operation the emulator implements. */
  static isOperation(operation: string): operation is RdsOperation {
    return (RDS_OPERATIONS as readonly string[]).includes(operation);
  }

  /** The ARN of an instance (`arn:aws:rds:<region>:<account>:db:<id>`). */
  instanceArn(identifier: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:db:${identifier.toLowerCase()}`;
  }

  /** The ARN of a cluster (`arn:aws:rds:<region>:<account>:cluster:<id>`). */
  clusterArn(identifier: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:cluster:${identifier.toLowerCase()}`;
  }

  /** Adds (or replaces) an instance; returns it as DescribeDBInstances shows it. A test API. */
  registerInstance(options: RdsInstanceOptions): DBInstance {
    const identifier = this.#checkIdentifier(options.identifier, 'identifier');
    this.#instances.set(identifier, { ...options, identifier });
    return this.#instanceShape(identifier);
  }

  /** Adds (or replaces) a cluster; returns it as DescribeDBClusters shows it. A test API. */
  registerCluster(options: RdsClusterOptions): DBCluster {
    const identifier = this.#checkIdentifier(options.identifier, 'identifier');
    this.#clusters.set(identifier, {
      ...options,
      identifier,
      members: (options.members ?? []).map((member) => ({
        ...member,
        instance: member.instance.toLowerCase(),
      })),
    });
    return this.#clusterShape(identifier);
  }

  /** Removes an instance; whether it existed. A test API. */
  removeInstance(identifier: string): boolean {
    return this.#instances.delete(identifier.toLowerCase());
  }

  /** Removes a cluster; whether it existed. A test API. */
  removeCluster(identifier: string): boolean {
    return this.#clusters.delete(identifier.toLowerCase());
  }

  /** Runs one RDS operation on decoded Query input; throws `AwsServiceError`. */
  invoke(operation: RdsOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  #checkIdentifier(identifier: string, field: string): string {
    if (!IDENTIFIER_PATTERN.test(identifier) || identifier.endsWith('-') || identifier.includes('--')) {
      throw new TypeError(
        `${field} must be 1-63 letters, digits or hyphens, start with a letter, not end with a hyphen or contain two consecutive hyphens, got ${JSON.stringify(identifier)}`,
      );
    }
    return identifier.toLowerCase();
  }

  /** An identifier or the ARN of one in this region and account, lower-cased; `undefined` for another ARN. */
  #resolve(value: string, kind: 'db' | 'cluster'): string | undefined {
    if (!value.startsWith('arn:')) return value.toLowerCase();
    const prefix = `arn:aws:rds:${this.region}:${this.accountId}:${kind}:`;
    return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : undefined;
  }

  #instanceShape(identifier: string): DBInstance {
    const instance = this.#instances.get(identifier);
    if (instance === undefined) throw new Error(`no instance ${identifier}`);
    const replicas = [...this.#instances.values()]
      .filter(
        (other) =>
          other.readReplicaSource !== undefined &&
          this.#resolve(other.readReplicaSource, 'db') === identifier,
      )
      .map((other) => other.identifier);
    const cluster =
      instance.clusterIdentifier?.toLowerCase() ??
      [...this.#clusters.values()].find((c) => c.members?.some((m) => m.instance === identifier))?.identifier;
    return {
      DBInstanceIdentifier: identifier,
      DBInstanceClass: 'db.t4g.micro',
      Engine: instance.engine,
      DBInstanceStatus: instance.status ?? 'available',
      ...(instance.masterUsername !== undefined && { MasterUsername: instance.masterUsername }),
      ...(instance.dbName !== undefined && { DBName: instance.dbName }),
      ...(instance.address !== undefined && {
        Endpoint: {
          Address: instance.address,
          Port: instance.port ?? defaultPort(instance.engine),
          HostedZoneId: 'Z2R2ITUGPM61AM',
        },
      }),
      ...(instance.engineVersion !== undefined && { EngineVersion: instance.engineVersion }),
      ...(instance.readReplicaSource !== undefined && {
        ReadReplicaSourceDBInstanceIdentifier: instance.readReplicaSource,
      }),
      ReadReplicaDBInstanceIdentifiers: replicas,
      ...(cluster !== undefined && { DBClusterIdentifier: cluster }),
      DBInstanceArn: this.instanceArn(identifier),
    };
  }

  #clusterShape(identifier: string): DBCluster {
    const cluster = this.#clusters.get(identifier);
    if (cluster === undefined) throw new Error(`no cluster ${identifier}`);
    const members: DBClusterMember[] = (cluster.members ?? []).map((member, index) => ({
      DBInstanceIdentifier: member.instance,
      IsClusterWriter: member.writer,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: index + 1,
    }));
    return {
      DBClusterIdentifier: identifier,
      Engine: cluster.engine,
      Status: cluster.status ?? 'available',
      ...(cluster.endpoint !== undefined && { Endpoint: cluster.endpoint }),
      ...(cluster.readerEndpoint !== undefined && { ReaderEndpoint: cluster.readerEndpoint }),
      Port: cluster.port ?? defaultPort(cluster.engine),
      DBClusterMembers: members,
      DBClusterArn: this.clusterArn(identifier),
    };
  }

  #describeInstances(input: OperationInput): DBInstanceMessage {
    const wanted = optionalMember(input, 'DBInstanceIdentifier');
    const filters = parseFilters(input, ['db-instance-id', 'db-cluster-id', 'engine']);
    if (wanted !== undefined && wanted !== '') {
      const identifier = this.#resolve(wanted, 'db');
      if (identifier === undefined || !this.#instances.has(identifier)) {
        throw rdsError(RDS_ERROR.dbInstanceNotFound, `DBInstance ${wanted} not found.`);
      }
      return { DBInstances: [this.#instanceShape(identifier)] };
    }
    const all = [...this.#instances.keys()].sort().map((id) => this.#instanceShape(id));
    const matching = all.filter((instance) =>
      filters.every((filter) => {
        const value =
          filter.name === 'db-instance-id'
            ? [instance.DBInstanceIdentifier, instance.DBInstanceArn]
            : filter.name === 'db-cluster-id'
              ? [instance.DBClusterIdentifier]
              : [instance.Engine];
        return filter.values.some((v) => value.includes(v.toLowerCase()) || value.includes(v));
      }),
    );
    const { page: instances, marker } = page(input, matching);
    return { DBInstances: instances, ...(marker !== undefined && { Marker: marker }) };
  }

  #describeClusters(input: OperationInput): DBClusterMessage {
    const wanted = optionalMember(input, 'DBClusterIdentifier');
    const filters = parseFilters(input, ['db-cluster-id', 'engine']);
    if (wanted !== undefined && wanted !== '') {
      const identifier = this.#resolve(wanted, 'cluster');
      if (identifier === undefined || !this.#clusters.has(identifier)) {
        throw rdsError(RDS_ERROR.dbClusterNotFound, `DBCluster ${wanted} not found.`);
      }
      return { DBClusters: [this.#clusterShape(identifier)] };
    }
    const all = [...this.#clusters.keys()].sort().map((id) => this.#clusterShape(id));
    const matching = all.filter((cluster) =>
      filters.every((filter) => {
        const value =
          filter.name === 'db-cluster-id'
            ? [cluster.DBClusterIdentifier, cluster.DBClusterArn]
            : [cluster.Engine];
        return filter.values.some((v) => value.includes(v.toLowerCase()) || value.includes(v));
      }),
    );
    const { page: clusters, marker } = page(input, matching);
    return { DBClusters: clusters, ...(marker !== undefined && { Marker: marker }) };
  }
}

/**
 * Serves an {@link RdsService} over the Query protocol (service name `rds`, XML namespace
 * {@link RDS_XMLNS}), with RDS's list member names in responses.
 */
export function createRdsHandler(rds: RdsService): ProtocolHandler {
  const handler = createQueryHandler({
    service: 'rds',
    version: RDS_VERSION,
    xmlns: RDS_XMLNS,
    isOperation: (action) => RdsService.isOperation(action),
    resourceMembers: ['DBInstanceIdentifier', 'DBClusterIdentifier'],
    invoke: (action, input) => {
      if (!RdsService.isOperation(action)) {
        throw parameterValue(`Could not find operation ${action} for version ${RDS_VERSION}`);
      }
      return rds.invoke(action, input);
    },
  });
  return {
    ...handler,
    encodeResult(call, output, requestId) {
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<${call.operation}Response xmlns="${RDS_XMLNS}">` +
        `<${call.operation}Result>${toRdsXml(output)}</${call.operation}Result>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${call.operation}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
    },
  };
}
