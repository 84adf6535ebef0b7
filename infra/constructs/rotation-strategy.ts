import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CredentialType } from '../../lambdas/rotation/constants';
import {
  type DatabaseTlsMode,
  type IamActivePreviousKey,
  type MysqlStrategy,
  type PostgresStrategy,
  ROTATION_TYPES,
  type RotationSettings,
  type RotationTarget,
} from './credential-types';

/** Settings shared by the database rotations (PostgreSQL and MySQL). */
export interface DatabaseRotationOptions {
  /**
   * How the function connects to the database. `verify-full` checks the chain against the Amazon RDS
   * CA bundle shipped in the function, and the host name.
   * @default 'verify-full'
   */
  readonly tlsMode?: DatabaseTlsMode;
  /**
   * Length of generated passwords, 16 to 128.
   * @default 32
   */
  readonly passwordLength?: number;
  /**
   * Connection timeout (TCP, TLS and authentication), in milliseconds.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * The database's security group and port: the function's security group gets egress to it and the
   * database's group an ingress rule from the function on that port.
   * @default - no security group rule (you open the port yourself)
   */
  readonly database?: DatabaseEndpoint;
}

/** The database a function must reach. */
export interface DatabaseEndpoint {
  /** The security group of the database (instance, cluster or proxy). */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The port.
   * @default - the engine's default port (5432 for PostgreSQL, 3306 for MySQL)
   */
  readonly port?: number;
}

/** Options of the alternating-users rotations. */
export interface MasterSecretRotationOptions extends DatabaseRotationOptions {
  /** The secret of the user that changes the other users' passwords; read-only for the function. */
  readonly masterSecret: secretsmanager.ISecret;
}

/** Options of {@link Rotation.iamAccessKey}. */
export interface IamAccessKeyRotationOptions {
  /** The IAM user whose access keys rotate: the function may manage this user's keys and no other. */
  readonly user: iam.IUser;
  /**
   * How long testSecret retries STS while the new key propagates, in milliseconds.
   * @default 30000
   */
  readonly testTimeoutMs?: number;
  /**
   * When the previous key is still Active in the user's second slot: `fail` the rotation, or `delete` it.
   * @default 'fail'
   */
  readonly activePreviousKey?: IamActivePreviousKey;
}

/** Options of {@link Rotation.apiKey}. */
export interface ApiKeyRotationOptions {
  /**
   * The secret holding the provider's management credential (the rotated secret names it in
   * `managementSecretArn`); read-only for the function.
   */
  readonly managementSecret: secretsmanager.ISecret;
  /**
   * Other base URLs of the built-in providers (e.g. SendGrid's EU endpoint).
   * @default - the providers' public endpoints
   */
  readonly providerBaseUrls?: RotationSettings['providerBaseUrls'];
  /**
   * The generic HTTP services, by name.
   * @default - none
   */
  readonly httpServices?: RotationSettings['httpServices'];
  /**
   * Timeout of one provider request, in milliseconds.
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
}

/** Options of {@link Rotation.sharedKey}. */
export interface SharedKeyRotationOptions {
  /**
   * The namespace the verifiers publish their metrics to.
   * @default 'Handover'
   */
  readonly metricsNamespace?: string;
  /**
   * Require the verifiers' heartbeat before the previous key counts as unused.
   * @default true
   */
  readonly requireVerifierHeartbeat?: boolean;
}

/**
 * What rotates a secret: the credential type, its strategy, the function settings and the resources
 * the secret points at. Pass one to {@link SecretRotation}; the factories mirror
 * `secretsmanager.HostedRotation` (`HostedRotation.postgreSqlSingleUser()` becomes
 * `Rotation.postgresSingleUser()`).
 *
 * @example
 * ```ts
 * new SecretRotation(this, 'OrdersDb', {
 *   secret,
 *   rotation: Rotation.postgresAlternatingUsers({ masterSecret, database: { securityGroup: dbSg } }),
 *   network: { vpc, subnets: { subnets }, secretsManagerEndpoint: true },
 * });
 * ```
 */
export class Rotation {
  /** PostgreSQL, one user changing its own password (a short window where the old password fails). */
  public static postgresSingleUser(options: DatabaseRotationOptions = {}): Rotation {
    return Rotation.database('postgres', 'single-user' satisfies PostgresStrategy, options);
  }

  /** PostgreSQL, two users alternated by a master user: the old credential works until the next rotation. */
  public static postgresAlternatingUsers(options: MasterSecretRotationOptions): Rotation {
    return Rotation.database('postgres', 'alternating-users' satisfies PostgresStrategy, options);
  }

  /** MySQL / MariaDB, one user changing its own password. */
  public static mysqlSingleUser(options: DatabaseRotationOptions = {}): Rotation {
    return Rotation.database('mysql', 'single-user' satisfies MysqlStrategy, options);
  }

  /** MySQL / MariaDB, two users alternated by a master user. */
  public static mysqlAlternatingUsers(options: MasterSecretRotationOptions): Rotation {
    return Rotation.database('mysql', 'alternating-users' satisfies MysqlStrategy, options);
  }

  /**
   * MySQL 8.0.14+ dual password (`RETAIN CURRENT PASSWORD`): one user, old and new password both
   * valid until the rollout discards the old one. The user needs `APPLICATION_PASSWORD_ADMIN`.
   */
  public static mysqlDualPassword(options: DatabaseRotationOptions = {}): Rotation {
    return Rotation.database('mysql', 'dual-password' satisfies MysqlStrategy, options);
  }

  /** IAM user access keys. */
  public static iamAccessKey(options: IamAccessKeyRotationOptions): Rotation {
    return Rotation.of(
      'iam-access-key',
      { testTimeoutMs: options.testTimeoutMs, activePreviousKey: options.activePreviousKey },
      { user: options.user },
    );
  }

  /** A third-party API key, created and deleted through the provider's management API. */
  public static apiKey(options: ApiKeyRotationOptions): Rotation {
    return Rotation.of(
      'api-key',
      {
        providerBaseUrls: options.providerBaseUrls,
        httpServices: options.httpServices,
        requestTimeoutMs: options.requestTimeoutMs,
      },
      { managementSecret: options.managementSecret },
    );
  }

  /** An internal API key or HMAC secret that our own services verify (with dual acceptance). */
  public static sharedKey(options: SharedKeyRotationOptions = {}): Rotation {
    return Rotation.of(
      'shared-key',
      {
        metricsNamespace: options.metricsNamespace,
        requireVerifierHeartbeat: options.requireVerifierHeartbeat,
      },
      {},
    );
  }

  /**
   * Any credential type from its settings and targets, as a policy declares them. The factories
   * above are the typed way; this one is validated by {@link SecretRotation} instead.
   */
  public static of(type: CredentialType, settings: RotationSettings, target: RotationTarget): Rotation {
    return new Rotation(type, settings, target);
  }

  private static database(
    type: 'postgres' | 'mysql',
    strategy: string,
    options: DatabaseRotationOptions & { masterSecret?: secretsmanager.ISecret },
  ): Rotation {
    return Rotation.of(
      type,
      {
        strategy,
        tlsMode: options.tlsMode,
        passwordLength: options.passwordLength,
        connectTimeoutMs: options.connectTimeoutMs,
      },
      {
        masterSecret: options.masterSecret,
        database:
          options.database === undefined
            ? undefined
            : {
                securityGroup: options.database.securityGroup,
                port: options.database.port ?? ROTATION_TYPES[type].defaultPort ?? 0,
              },
      },
    );
  }

  /** The credential type. */
  public readonly type: CredentialType;
  /** Function-level settings (the same for every secret a function rotates). */
  public readonly settings: RotationSettings;
  /** What this secret points at. */
  public readonly target: RotationTarget;

  private constructor(type: CredentialType, settings: RotationSettings, target: RotationTarget) {
    this.type = type;
    this.settings = { ...settings, strategy: settings.strategy ?? ROTATION_TYPES[type].defaultStrategy };
    this.target = target;
  }

  /** The strategy, after the type's default. */
  public get strategy(): string {
    return this.settings.strategy ?? ROTATION_TYPES[this.type].defaultStrategy;
  }
}
