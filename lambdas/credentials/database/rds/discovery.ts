import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type RDSClientConfig,
} from '@aws-sdk/client-rds';
import type { SecretsPort } from '../../../rotation/secrets-port';
import { TargetError } from '../../../shared/errors';

/** Where to connect: a host name (or address) and a port. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** What Handover reads of a DB instance (DescribeDBInstances). */
export interface DbInstanceInfo {
  readonly identifier: string;
  /** `Engine`, e.g. `postgres`, `mariadb`, `aurora-mysql`. */
  readonly engine: string | undefined;
  /** `DBInstanceStatus`, e.g. `available`, `creating`. */
  readonly status: string | undefined;
  /** `Endpoint.Address` / `Endpoint.Port`; absent while RDS is still creating the instance. */
  readonly endpoint: Endpoint | undefined;
  /** `ReadReplicaSourceDBInstanceIdentifier`: set on a read replica (an ARN for a cross-region source). */
  readonly replicaSource: string | undefined;
  /** `DBClusterIdentifier`: set on a member of an Aurora or Multi-AZ DB cluster. */
  readonly clusterIdentifier: string | undefined;
}

/** What Handover reads of a DB cluster (DescribeDBClusters). */
export interface DbClusterInfo {
  readonly identifier: string;
  readonly engine: string | undefined;
  readonly status: string | undefined;
  /** The cluster (writer) endpoint: `Endpoint` and `Port` (never the `ReaderEndpoint`). */
  readonly endpoint: Endpoint | undefined;
}

/**
 * The narrow AWS surface database rotations use to find endpoints: DescribeDBInstances,
 * DescribeDBClusters (`rds:DescribeDBInstances`, `rds:DescribeDBClusters`) and the tags of a
 * secret (`secretsmanager:DescribeSecret`, for RDS-managed master secrets). Built once per Lambda
 * from module-scope SDK clients ({@link createRdsDiscovery}); unit tests pass fakes. Nothing is
 * cached: every call asks AWS.
 */
export interface RdsDiscovery {
  /** The instance, or `undefined` when RDS has none by that identifier (or ARN). */
  describeInstance(identifier: string): Promise<DbInstanceInfo | undefined>;
  /** The cluster, or `undefined` when RDS has none by that identifier (or ARN). */
  describeCluster(identifier: string): Promise<DbClusterInfo | undefined>;
  /** The tags of a secret (DescribeSecret), by key. */
  secretTags(secretId: string): Promise<ReadonlyMap<string, string>>;
}

/**
 * What {@link createRdsDiscovery} calls, and nothing else of it: the RDS client, and the function's
 * Secrets Manager port for DescribeSecret (a secret's tags). The port, not a Secrets Manager SDK
 * client, so that this module (imported on demand) pulls no Secrets Manager code of its own.
 */
export interface RdsDiscoveryClients {
  readonly rds: Pick<RDSClient, 'send'>;
  readonly secrets: Pick<SecretsPort, 'describe'>;
}

/**
 * Settings of the module-scope `RDSClient`: bounded connection and request times, so a function in
 * VPC subnets with no route to the RDS API fails the step with a clear error instead of hanging
 * until the Lambda times out. Region, credentials and endpoint (`AWS_ENDPOINT_URL_RDS`) come from
 * the environment.
 */
export const RDS_CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000 },
} as const satisfies RDSClientConfig;

const NETWORK_FAILURE = /^(TimeoutError|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN)$/;

function describeFailure(operation: string, subject: string, error: unknown): TargetError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const network = NETWORK_FAILURE.test(name) || (typeof code === 'string' && NETWORK_FAILURE.test(code));
  const hint = network
    ? ' (no route to the AWS API? A function in VPC subnets needs a NAT gateway or an interface VPC endpoint for the service)'
    : '';
  return new TargetError(`${operation} for ${subject} failed: ${name}: ${message}${hint}`, { cause: error });
}

/**
 * Adapts the AWS SDK RDS and Secrets Manager clients to {@link RdsDiscovery}. The clients reach
 * real AWS, the local emulator or any other implementation through the standard endpoint settings
 * (`AWS_ENDPOINT_URL_RDS`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`). AWS errors other than "not found"
 * become a `TargetError` naming the operation and the identifier (AWS error messages carry no
 * secret).
 *
 * @example
 * ```ts
 * // handler.ts: clients at module scope, reused across invocations
 * const secrets = createSecretsManagerPort(new SecretsManagerClient({}));
 * const rds = createRdsDiscovery({ rds: new RDSClient({}), secrets });
 * const strategy = createPostgresStrategy({ ...postgresOptionsFromEnv(), rds });
 * ```
 */
export function createRdsDiscovery(clients: RdsDiscoveryClients): RdsDiscovery {
  return {
    async describeInstance(identifier) {
      try {
        const out = await clients.rds.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
        );
        const instance = out.DBInstances?.[0];
        if (instance === undefined) return undefined;
        const { Address: address, Port: port } = instance.Endpoint ?? {};
        return {
          identifier: instance.DBInstanceIdentifier ?? identifier,
          engine: instance.Engine,
          status: instance.DBInstanceStatus,
          endpoint: address !== undefined && port !== undefined ? { host: address, port } : undefined,
          replicaSource: instance.ReadReplicaSourceDBInstanceIdentifier || undefined,
          clusterIdentifier: instance.DBClusterIdentifier || undefined,
        };
      } catch (error) {
        if (error instanceof DBInstanceNotFoundFault) return undefined;
        throw describeFailure('RDS DescribeDBInstances', `DB instance "${identifier}"`, error);
      }
    },

    async describeCluster(identifier) {
      try {
        const out = await clients.rds.send(
          new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }),
        );
        const cluster = out.DBClusters?.[0];
        if (cluster === undefined) return undefined;
        return {
          identifier: cluster.DBClusterIdentifier ?? identifier,
          engine: cluster.Engine,
          status: cluster.Status,
          endpoint:
            cluster.Endpoint !== undefined && cluster.Port !== undefined
              ? { host: cluster.Endpoint, port: cluster.Port }
              : undefined,
          readerEndpoint: cluster.ReaderEndpoint,
          writer: cluster.DBClusterMembers?.find((member) => member.IsClusterWriter === true)
            ?.DBInstanceIdentifier,
        };
      } catch (error) {
        if (error instanceof DBClusterNotFoundFault) return undefined;
        throw describeFailure('RDS DescribeDBClusters', `DB cluster "${identifier}"`, error);
      }
    },

    async secretTags(secretId) {
      try {
        return new Map(Object.entries((await clients.secrets.describe(secretId)).tags));
      } catch (error) {
        throw describeFailure('Secrets Manager DescribeSecret', `secret ${secretId}`, error);
      }
    },
  };
}

/**
 * {@link createRdsDiscovery} with a new `RDSClient` ({@link RDS_CLIENT_CONFIG}; region, credentials
 * and endpoint from the environment) and the function's own Secrets Manager port. What a
 * composition root imports on demand (`rdsDiscoveryOnDemand`), so the RDS client is evaluated only
 * when a secret needs RDS.
 */
export function createDefaultRdsDiscovery(secrets: RdsDiscoveryClients['secrets']): RdsDiscovery {
  return createRdsDiscovery({ rds: new RDSClient(RDS_CLIENT_CONFIG), secrets });
}
