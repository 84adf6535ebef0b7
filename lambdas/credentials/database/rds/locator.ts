import type { StrategyLogger } from '../../../rotation/strategy';
import { SecretFormatError, TargetError } from '../../../shared/errors';
import { isHostOrAddress } from '../schema';
import type { DbClusterInfo, DbInstanceInfo, Endpoint, RdsDiscovery } from './discovery';

/** The database families Handover rotates, and the RDS `Engine` values of each. */
export const RDS_ENGINES = {
  postgres: ['postgres', 'aurora-postgresql'],
  mysql: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
} as const satisfies Record<string, readonly string[]>;
export type EngineFamily = keyof typeof RDS_ENGINES;

const FAMILY_NAME: Readonly<Record<EngineFamily, string>> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL / MariaDB',
};

/**
 * The tags RDS puts on a master user secret it manages (`ManageMasterUserPassword`): the ARN of
 * the instance or cluster whose master user it holds.
 */
export const RDS_MASTER_SECRET_TAGS = {
  instance: 'aws:rds:primaryDBInstanceArn',
  cluster: 'aws:rds:primaryDBClusterArn',
} as const;

/** The RDS names a database secret may carry (CDK's `rds.DatabaseSecret` and RDS attachments write them). */
export interface RdsNames {
  readonly dbInstanceIdentifier?: string | undefined;
  readonly dbClusterIdentifier?: string | undefined;
}

/** The location fields of a database secret. */
export interface SecretLocation extends RdsNames {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
}

/** Whether a secret names an RDS instance or cluster. */
export function namesRdsDatabase(secret: RdsNames): boolean {
  return secret.dbInstanceIdentifier !== undefined || secret.dbClusterIdentifier !== undefined;
}

/**
 * The schema rule for `host` and `port`, which RDS can supply: a secret must carry `host`, and
 * `port` when `portRequired`, unless it names an RDS instance or cluster. Throws a
 * `SecretFormatError` naming the field.
 */
export function assertLocatable(secret: SecretLocation, portRequired: boolean): void {
  if (namesRdsDatabase(secret)) return;
  if (secret.host === undefined) {
    throw new SecretFormatError(
      'host',
      'secret field "host" is required unless the secret names an RDS instance or cluster ' +
        '("dbInstanceIdentifier" or "dbClusterIdentifier"), whose endpoint is then looked up in RDS',
    );
  }
  if (portRequired && secret.port === undefined) {
    throw new SecretFormatError(
      'port',
      'secret field "port" is required unless the secret names an RDS instance or cluster ' +
        '("dbInstanceIdentifier" or "dbClusterIdentifier"), whose port is then looked up in RDS',
    );
  }
}

/** `host:port`, for messages. */
export function describeEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/** Whether two endpoints are the same host and port (host names compared case-insensitively). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}

/**
 * The secret's credentials at `endpoint`: what a connection needs. The secret object itself keeps
 * its fields as written (a host found in RDS is never written back into the secret).
 */
export function at<T extends object>(secret: T, endpoint: Endpoint): Omit<T, 'host' | 'port'> & Endpoint {
  return { ...secret, host: endpoint.host, port: endpoint.port };
}

/**
 * The server a secret points at is a read replica or an Aurora reader, and the writer, where
 * passwords must change, cannot be found. The message says which host, how it was detected and
 * what to do. Nothing was changed.
 */
export class ReadReplicaError extends TargetError {
  /** The read-only endpoint. */
  readonly endpoint: Endpoint;
  constructor(message: string, endpoint: Endpoint, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReadReplicaError';
    this.endpoint = endpoint;
  }
}

/**
 * A master secret that says nowhere where the master user connects: no `host` (with `port`, for
 * PostgreSQL), no `dbInstanceIdentifier` / `dbClusterIdentifier`, and no RDS tag
 * ({@link RDS_MASTER_SECRET_TAGS}) naming its database. The master never connects where the rotated
 * secret points: whoever can write that secret would choose where the master password goes.
 * Nothing was changed.
 */
export class MasterEndpointError extends SecretFormatError {
  /** The master secret (its ARN, from the rotated secret's `masterarn`). */
  readonly masterSecretId: string;
  constructor(masterSecretId: string, field: 'host' | 'port', message: string, options?: ErrorOptions) {
    super(field, message, options);
    this.name = 'MasterEndpointError';
    this.masterSecretId = masterSecretId;
  }
}

/** What {@link DatabaseLocator.findWriter} needs to know. */
export interface WriterRequest {
  /** The RDS names of the rotated secret. */
  readonly secret: RdsNames;
  /** The endpoint found read-only. */
  readonly readOnly: Endpoint;
  /** How it was found read-only, e.g. `pg_is_in_recovery() is true`. */
  readonly evidence: string;
  /**
   * A master secret whose RDS tags ({@link RDS_MASTER_SECRET_TAGS}) name the primary.
   * @default - none
   */
  readonly masterSecretId?: string;
  /**
   * The writer's DB instance identifier as the server itself reports it (Aurora MySQL:
   * `information_schema.replica_host_status`), asked only when nothing else names the writer.
   * @default - none
   */
  readonly serverReportedWriter?: () => Promise<string | undefined>;
}

/** Why a server refused a change: it is read-only. */
export interface ReadOnlyServer {
  /** How it was found read-only, e.g. `pg_is_in_recovery() is true`, `@@read_only = 1`. */
  readonly evidence: string;
  /**
   * The writer's DB instance identifier, when the server itself reports it (Aurora MySQL).
   * @default - not reported
   */
  readonly reportedWriter?: string | undefined;
}

/**
 * Makes a change where passwords can change: runs `write` at `first`; when that server is
 * read-only (`write` returns why), finds the writer ({@link DatabaseLocator.findWriter}) and runs
 * `write` there. Returns the endpoint where the change was made. A writer that is read-only too
 * is a {@link ReadReplicaError} (a failover in progress).
 *
 * @example
 * ```ts
 * const changedOn = await changeOnWriter(locator, where, { secret: current }, async (endpoint) => {
 *   // log in at endpoint; return { evidence } if read-only, else write and return undefined
 * }, ctx.logger);
 * ```
 */
export async function changeOnWriter(
  locator: DatabaseLocator,
  first: Endpoint,
  names: { readonly secret: RdsNames; readonly masterSecretId?: string | undefined },
  write: (endpoint: Endpoint) => Promise<ReadOnlyServer | undefined>,
  logger: StrategyLogger,
): Promise<Endpoint> {
  const refused = await write(first);
  if (refused === undefined) return first;
  const writer = await locator.findWriter(
    {
      secret: names.secret,
      readOnly: first,
      evidence: refused.evidence,
      ...(names.masterSecretId !== undefined && { masterSecretId: names.masterSecretId }),
      serverReportedWriter: async () => refused.reportedWriter,
    },
    logger,
  );
  const again = await write(writer);
  if (again !== undefined) {
    throw new ReadReplicaError(
      `the writer ${describeEndpoint(writer)} is read-only too (${again.evidence}): a failover may be in ` +
        'progress; retry the rotation when it is over. Nothing was changed.',
      writer,
    );
  }
  return writer;
}

/**
 * After a change made on `changedOn`: when that is not the secret's own endpoint `where` (the
 * writer of its read replica), waits until `probe` (the new password logs in at `where`) says
 * the change arrived where consumers, and testSecret, log in.
 */
export async function awaitReplica(
  locator: DatabaseLocator,
  changedOn: Endpoint,
  where: Endpoint,
  username: string,
  probe: () => Promise<boolean>,
  logger: StrategyLogger,
): Promise<void> {
  if (sameEndpoint(changedOn, where)) return;
  await locator.waitForReplication({ replica: where, writer: changedOn, username, probe }, logger);
}

/** Where the password changes and who checks that it reached the read replica. */
export interface ReplicationWait {
  /** The secret's own endpoint (the read replica). */
  readonly replica: Endpoint;
  /** Where the password was changed. */
  readonly writer: Endpoint;
  /** The user whose password changed, for messages. */
  readonly username: string;
  /** Whether the new password logs in on the replica yet. */
  readonly probe: () => Promise<boolean>;
}

/**
 * Finds the endpoints a database rotation connects to: a secret's own `host` / `port`, or its RDS
 * instance's or cluster's endpoint; the endpoint of an RDS-managed master secret from its tags;
 * and the writer of a read replica or Aurora reader. One per strategy; it caches nothing, so every
 * invocation sees RDS as it is (a failover moves the writer).
 */
export interface DatabaseLocator {
  /**
   * Where `secret` points: its `host` and `port` when it has both (no RDS call); otherwise the
   * missing ones from RDS: the cluster's writer endpoint (`dbClusterIdentifier`, preferred) or the
   * instance's endpoint (`dbInstanceIdentifier`). Checks that RDS's engine is of this family.
   */
  locate(secret: SecretLocation, logger: StrategyLogger): Promise<Endpoint>;
  /**
   * Where the master user connects, from the master secret or RDS only, never from the rotated
   * secret: the master secret's own `host` and `port` (MySQL: 3306 when it has no `port`); else
   * its own `dbInstanceIdentifier` / `dbClusterIdentifier`, looked up in RDS; else, for an
   * RDS-managed master secret (only `username` / `password`), the primary instance or cluster its
   * tags name (DescribeSecret on `masterSecretId`). Throws a {@link MasterEndpointError} naming the
   * master secret and the missing field when none of these says where.
   */
  locateMaster(master: SecretLocation, masterSecretId: string, logger: StrategyLogger): Promise<Endpoint>;
  /**
   * The writer of a read-only endpoint: the cluster's writer endpoint (`dbClusterIdentifier`, or the
   * cluster of the named instance), the source of a read replica (`ReadReplicaSourceDBInstanceIdentifier`,
   * followed through chained replicas), the primary an RDS-managed master secret is tagged with,
   * or the writer the server reports. Throws a {@link ReadReplicaError} saying what to do when none
   * is known.
   */
  findWriter(request: WriterRequest, logger: StrategyLogger): Promise<Endpoint>;
  /**
   * Waits, up to `replicationWaitMs`, until `probe` says the new password logs in on the replica.
   * Returns the number of probes; throws a `TargetError` naming both endpoints on timeout.
   */
  waitForReplication(wait: ReplicationWait, logger: StrategyLogger): Promise<number>;
}

/** Options of {@link createDatabaseLocator}. */
export interface DatabaseLocatorOptions {
  readonly family: EngineFamily;
  /**
   * RDS and Secrets Manager look-ups.
   * @default - none: secrets must carry their own `host`, and a read replica's writer cannot be found
   */
  readonly discovery?: RdsDiscovery | undefined;
  /**
   * Longest wait for a password changed on the writer to reach a read replica, in milliseconds.
   * @default 30000
   */
  readonly replicationWaitMs?: number;
  /**
   * Sleeps between replication probes.
   * @default - a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Milliseconds now, for the replication deadline.
   * @default - `performance.now`
   */
  readonly now?: () => number;
}

/** The port a secret with a `host` and no `port` means, per family (`undefined`: `port` is required). */
const DEFAULT_PORT: Readonly<Record<EngineFamily, number | undefined>> = { postgres: undefined, mysql: 3306 };

/** How many replicas of replicas {@link DatabaseLocator.findWriter} follows before giving up. */
const MAX_REPLICA_HOPS = 5;

/**
 * An RDS instance or cluster to look up, and where its name came from: a secret field (bad input
 * there is a `SecretFormatError` naming it) or something RDS or the server said.
 */
interface Subject {
  readonly kind: 'instance' | 'cluster';
  readonly id: string;
  readonly field?: 'dbInstanceIdentifier' | 'dbClusterIdentifier';
  /** Where the name came from, for messages. */
  readonly source: string;
}

const fromField = (field: 'dbInstanceIdentifier' | 'dbClusterIdentifier', id: string): Subject => ({
  kind: field === 'dbClusterIdentifier' ? 'cluster' : 'instance',
  id,
  field,
  source: `secret field "${field}"`,
});

/**
 * Creates the {@link DatabaseLocator} of a database family.
 *
 * @example
 * ```ts
 * const locator = createDatabaseLocator({ family: 'postgres', discovery: createRdsDiscovery(clients) });
 * const endpoint = await locator.locate({ dbInstanceIdentifier: 'orders' }, ctx.logger);
 * // { host: 'orders.abc123.eu-west-1.rds.amazonaws.com', port: 5432 }
 * ```
 */
export function createDatabaseLocator(options: DatabaseLocatorOptions): DatabaseLocator {
  const { family, discovery } = options;
  const replicationWaitMs = options.replicationWaitMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => performance.now());
  const engines: readonly string[] = RDS_ENGINES[family];

  /** A `SecretFormatError` naming the field when the name came from one, else a `TargetError`. */
  const problem = (subject: Subject, message: string): Error =>
    subject.field === undefined ? new TargetError(message) : new SecretFormatError(subject.field, message);

  const requireDiscovery = (subject: Subject): RdsDiscovery => {
    if (discovery === undefined) {
      throw problem(
        subject,
        `${subject.source} names RDS ${subject.kind} "${subject.id}", but this strategy was built without RDS ` +
          'discovery (option "rds"), so it cannot be looked up: give the secret a "host" and "port"',
      );
    }
    return discovery;
  };

  const checkEngine = (subject: Subject, engine: string | undefined): void => {
    if (engine !== undefined && !engines.includes(engine)) {
      throw problem(
        subject,
        `RDS ${subject.kind} "${subject.id}" (${subject.source}) runs engine "${engine}"; ` +
          `this function rotates ${FAMILY_NAME[family]} (engines ${engines.join(', ')})`,
      );
    }
  };

  const noEndpoint = (subject: Subject, status: string | undefined) =>
    new TargetError(
      `RDS ${subject.kind} "${subject.id}" has no endpoint yet (status: ${status ?? 'unknown'}): retry when it is available`,
    );

  /** Refuses an endpoint whose host is no host name or IP address: nothing connects there. */
  const checkEndpoint = (subject: Subject, endpoint: Endpoint | undefined): void => {
    if (endpoint !== undefined && !isHostOrAddress(endpoint.host)) {
      throw new TargetError(
        `RDS ${subject.kind} "${subject.id}" reports endpoint host ${JSON.stringify(endpoint.host)}, which is not ` +
          'a host name or IP address: refusing to connect there',
      );
    }
  };

  const instance = async (subject: Subject): Promise<DbInstanceInfo> => {
    const found = await requireDiscovery(subject).describeInstance(subject.id);
    if (found === undefined) {
      throw problem(
        subject,
        `RDS has no DB instance "${subject.id}" (${subject.source}) in this account and region`,
      );
    }
    checkEngine(subject, found.engine);
    checkEndpoint(subject, found.endpoint);
    return found;
  };

  const cluster = async (subject: Subject): Promise<DbClusterInfo> => {
    const found = await requireDiscovery(subject).describeCluster(subject.id);
    if (found === undefined) {
      throw problem(
        subject,
        `RDS has no DB cluster "${subject.id}" (${subject.source}) in this account and region`,
      );
    }
    checkEngine(subject, found.engine);
    checkEndpoint(subject, found.endpoint);
    return found;
  };

  const clusterWriter = async (subject: Subject): Promise<Endpoint> => {
    const found = await cluster(subject);
    if (found.endpoint === undefined) throw noEndpoint(subject, found.status);
    return found.endpoint;
  };

  /** The writer of an instance: itself, its cluster's writer endpoint, or its source's writer. */
  const instanceWriter = async (subject: Subject, hops = 0): Promise<Endpoint> => {
    const found = await instance(subject);
    if (found.clusterIdentifier !== undefined) {
      return clusterWriter({
        kind: 'cluster',
        id: found.clusterIdentifier,
        source: `the cluster of RDS instance "${found.identifier}"`,
      });
    }
    if (found.replicaSource !== undefined) {
      if (hops >= MAX_REPLICA_HOPS) {
        throw new TargetError(
          `RDS instance "${found.identifier}" is a read replica more than ${MAX_REPLICA_HOPS} levels deep: cannot find its writer`,
        );
      }
      return instanceWriter(
        {
          kind: 'instance',
          id: found.replicaSource,
          source: `the replica source of RDS instance "${found.identifier}"; a cross-region source is not supported`,
        },
        hops + 1,
      );
    }
    if (found.endpoint === undefined) throw noEndpoint(subject, found.status);
    return found.endpoint;
  };

  /** The primary an RDS-managed master secret is tagged with, if any. */
  const taggedPrimary = async (masterSecretId: string): Promise<Subject | undefined> => {
    if (discovery === undefined) return undefined;
    const tags = await discovery.secretTags(masterSecretId);
    const clusterArn = tags.get(RDS_MASTER_SECRET_TAGS.cluster);
    if (clusterArn) {
      return {
        kind: 'cluster',
        id: clusterArn,
        source: `tag ${RDS_MASTER_SECRET_TAGS.cluster} of the master secret`,
      };
    }
    const instanceArn = tags.get(RDS_MASTER_SECRET_TAGS.instance);
    if (instanceArn) {
      return {
        kind: 'instance',
        id: instanceArn,
        source: `tag ${RDS_MASTER_SECRET_TAGS.instance} of the master secret`,
      };
    }
    return undefined;
  };

  const writerOf = (subject: Subject) =>
    subject.kind === 'cluster' ? clusterWriter(subject) : instanceWriter(subject);

  const locate = async (secret: SecretLocation, logger: StrategyLogger): Promise<Endpoint> => {
    if (secret.host !== undefined && secret.port !== undefined)
      return { host: secret.host, port: secret.port };
    let subject: Subject;
    let found: Endpoint | undefined;
    let status: string | undefined;
    if (secret.dbClusterIdentifier !== undefined) {
      subject = fromField('dbClusterIdentifier', secret.dbClusterIdentifier);
      const info = await cluster(subject);
      found = info.endpoint;
      status = info.status;
    } else if (secret.dbInstanceIdentifier !== undefined) {
      subject = fromField('dbInstanceIdentifier', secret.dbInstanceIdentifier);
      const info = await instance(subject);
      found = info.endpoint;
      status = info.status;
    } else {
      // The schemas refuse such a secret; a hand-built value gets the same error.
      assertLocatable(secret, true);
      throw new SecretFormatError('host', 'secret field "host" is required');
    }
    if (found === undefined) throw noEndpoint(subject, status);
    const endpoint = { host: secret.host ?? found.host, port: secret.port ?? found.port };
    logger.info('database endpoint looked up in RDS', {
      rds_kind: subject.kind,
      rds_identifier: subject.id,
      host: endpoint.host,
      port: endpoint.port,
    });
    return endpoint;
  };

  return {
    locate,

    async locateMaster(master, masterSecretId, logger) {
      if (master.host !== undefined && !namesRdsDatabase(master)) {
        const port = master.port ?? DEFAULT_PORT[family];
        if (port === undefined) {
          throw new MasterEndpointError(
            masterSecretId,
            'port',
            `master secret ${masterSecretId}: field "port" is required with "host" (or name the database with ` +
              '"dbInstanceIdentifier" / "dbClusterIdentifier"); the master never takes the rotated secret\'s port',
          );
        }
        return { host: master.host, port };
      }
      if (master.host !== undefined || namesRdsDatabase(master)) return locate(master, logger);
      const primary = await taggedPrimary(masterSecretId);
      if (primary === undefined) {
        throw new MasterEndpointError(
          masterSecretId,
          'host',
          `master secret ${masterSecretId}: field "host" is required: the secret has no "host", no ` +
            '"dbInstanceIdentifier" / "dbClusterIdentifier" and no RDS tag ' +
            `(${RDS_MASTER_SECRET_TAGS.instance} / ${RDS_MASTER_SECRET_TAGS.cluster}) naming its database` +
            (discovery === undefined
              ? ' (and this function was built without RDS discovery to read tags)'
              : '') +
            '. The master never connects where the rotated secret points: add "host" and "port" to the master ' +
            'secret, or "dbInstanceIdentifier" / "dbClusterIdentifier". Nothing was changed.',
        );
      }
      const endpoint = await writerOf(primary);
      logger.info('master endpoint from its RDS tags', {
        rds_kind: primary.kind,
        rds_identifier: primary.id,
        host: endpoint.host,
        port: endpoint.port,
      });
      return endpoint;
    },

    async findWriter(request, logger) {
      const where = describeEndpoint(request.readOnly);
      const candidates: (() => Promise<Subject | undefined>)[] = [
        async () =>
          request.secret.dbClusterIdentifier === undefined
            ? undefined
            : fromField('dbClusterIdentifier', request.secret.dbClusterIdentifier),
        async () =>
          request.secret.dbInstanceIdentifier === undefined
            ? undefined
            : fromField('dbInstanceIdentifier', request.secret.dbInstanceIdentifier),
        async () =>
          request.masterSecretId === undefined ? undefined : taggedPrimary(request.masterSecretId),
        async () => {
          if (discovery === undefined || request.serverReportedWriter === undefined) return undefined;
          const id = await request.serverReportedWriter();
          return id === undefined
            ? undefined
            : { kind: 'instance', id, source: `the writer instance the server at ${where} reports` };
        },
      ];
      const selfNamed: string[] = [];
      for (const candidate of candidates) {
        const subject = await candidate();
        if (subject === undefined) continue;
        const writer = await writerOf(subject);
        if (sameEndpoint(writer, request.readOnly)) {
          selfNamed.push(`RDS ${subject.kind} "${subject.id}"`);
          continue;
        }
        logger.info('read replica detected: changing the password on the writer', {
          replica: where,
          evidence: request.evidence,
          writer: describeEndpoint(writer),
          rds_kind: subject.kind,
          rds_identifier: subject.id,
        });
        return writer;
      }
      const reason =
        selfNamed.length > 0
          ? `${selfNamed.join(' and ')} names ${where} itself as the writer (a failover in progress? retry later)`
          : discovery === undefined
            ? 'this function was built without RDS discovery'
            : 'the secret names no RDS instance or cluster, and no RDS-managed master secret names the primary';
      throw new ReadReplicaError(
        `${where} is a read replica (${request.evidence}): passwords can only be changed on the writer, and ` +
          `Handover cannot find it: ${reason}. Point the secret's "host" at the writer (the primary instance or ` +
          'the cluster endpoint), or add "dbInstanceIdentifier" / "dbClusterIdentifier" so the writer can be ' +
          'looked up in RDS. Nothing was changed.',
        request.readOnly,
      );
    },

    async waitForReplication(wait, logger) {
      const deadline = now() + replicationWaitMs;
      let delay = 100;
      for (let probes = 1; ; probes++) {
        if (await wait.probe()) {
          logger.info('password change reached the read replica', {
            replica: describeEndpoint(wait.replica),
            writer: describeEndpoint(wait.writer),
            probes,
          });
          return probes;
        }
        const left = deadline - now();
        if (left <= 0) {
          throw new TargetError(
            `the password of "${wait.username}" was changed on the writer ${describeEndpoint(wait.writer)}, but the ` +
              `read replica ${describeEndpoint(wait.replica)} still rejects it after ${replicationWaitMs} ms ` +
              '(replication lag?). Re-running setSecret is safe: it finds the change and waits again.',
          );
        }
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, 1000);
      }
    },
  };
}
