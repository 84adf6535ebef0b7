import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { ApiKeySettings } from '../../lambdas/credentials/api-key/contract';
import { defaultStrategyOf } from '../../lambdas/credentials/contract';
import type { DatabaseSettings } from '../../lambdas/credentials/database/contract';
import type { IamAccessKeySettings } from '../../lambdas/credentials/iam-access-key/contract';
import type { MysqlMode } from '../../lambdas/credentials/mysql/contract';
import type { PostgresMode } from '../../lambdas/credentials/postgres/contract';
import type { SharedKeySettings } from '../../lambdas/credentials/shared-key/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { ROTATION_TYPES, type RotationSettingsOf, type RotationTarget, specOf } from './credential-types';

/** Settings shared by the database rotations (PostgreSQL and MySQL): the contract's, and the database to open. */
export interface DatabaseRotationOptions extends Readonly<DatabaseSettings> {
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

/** Options of {@link Rotation.iamAccessKey}: the contract's settings, and the user. */
export interface IamAccessKeyRotationOptions extends Omit<Readonly<IamAccessKeySettings>, 'strategy'> {
  /** The IAM user whose access keys rotate: the function may manage this user's keys and no other. */
  readonly user: iam.IUser;
}

/** Options of {@link Rotation.apiKey}: the contract's settings, and the management credential. */
export interface ApiKeyRotationOptions extends Omit<Readonly<ApiKeySettings>, 'strategy'> {
  /**
   * The secret holding the provider's management credential (the rotated secret names it in
   * `managementSecretArn`); read-only for the function.
   */
  readonly managementSecret: secretsmanager.ISecret;
}

/** Options of {@link Rotation.sharedKey}: the contract's settings. */
export interface SharedKeyRotationOptions extends Omit<Readonly<SharedKeySettings>, 'strategy'> {}

/**
 * What rotates a secret: the credential type, its strategy, the function settings (the type's
 * contract settings) and the resources the secret points at. Pass one to {@link SecretRotation};
 * the factories mirror `secretsmanager.HostedRotation` (`HostedRotation.postgreSqlSingleUser()`
 * becomes `Rotation.postgresSingleUser()`), and {@link Rotation.of} takes any type.
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
    return Rotation.database('postgres', 'single-user' satisfies PostgresMode, options);
  }

  /** PostgreSQL, two users alternated by a master user: the old credential works until the next rotation. */
  public static postgresAlternatingUsers(options: MasterSecretRotationOptions): Rotation {
    return Rotation.database('postgres', 'alternating-users' satisfies PostgresMode, options);
  }

  /** MySQL / MariaDB, one user changing its own password. */
  public static mysqlSingleUser(options: DatabaseRotationOptions = {}): Rotation {
    return Rotation.database('mysql', 'single-user' satisfies MysqlMode, options);
  }

  /** MySQL / MariaDB, two users alternated by a master user. */
  public static mysqlAlternatingUsers(options: MasterSecretRotationOptions): Rotation {
    return Rotation.database('mysql', 'alternating-users' satisfies MysqlMode, options);
  }

  /**
   * MySQL 8.0.14+ dual password (`RETAIN CURRENT PASSWORD`): one user, old and new password both
   * valid until the rollout discards the old one. The user needs `APPLICATION_PASSWORD_ADMIN`.
   */
  public static mysqlDualPassword(options: DatabaseRotationOptions = {}): Rotation {
    return Rotation.database('mysql', 'dual-password' satisfies MysqlMode, options);
  }

  /** IAM user access keys. */
  public static iamAccessKey(options: IamAccessKeyRotationOptions): Rotation {
    const { user, ...settings } = options;
    return Rotation.of('iam-access-key', settings, { user });
  }

  /** A third-party API key, created and deleted through the provider's management API. */
  public static apiKey(options: ApiKeyRotationOptions): Rotation {
    const { managementSecret, ...settings } = options;
    return Rotation.of('api-key', settings, { managementSecret });
  }

  /** An internal API key or HMAC secret that our own services verify (with dual acceptance). */
  public static sharedKey(options: SharedKeyRotationOptions = {}): Rotation {
    return Rotation.of('shared-key', options, {});
  }

  /**
   * Any credential type from its settings (its contract's, e.g. `{ strategy: 'alternating-users',
   * tlsMode: 'verify-full' }`) and targets, as a policy declares them. {@link SecretRotation}
   * validates them against the type's contract.
   */
  public static of<T extends CredentialType>(
    type: T,
    settings: RotationSettingsOf<T>,
    target: RotationTarget,
  ): Rotation {
    return new Rotation(type, settings as Readonly<Record<string, unknown>>, target);
  }

  private static database(
    type: 'postgres' | 'mysql',
    strategy: string,
    options: DatabaseRotationOptions & { masterSecret?: secretsmanager.ISecret },
  ): Rotation {
    const { database, masterSecret, ...settings } = options;
    return new Rotation(
      type,
      { strategy, ...settings },
      {
        masterSecret,
        database:
          database === undefined
            ? undefined
            : {
                securityGroup: database.securityGroup,
                port: database.port ?? ROTATION_TYPES[type].defaultPort ?? 0,
              },
      },
    );
  }

  /** The credential type. */
  public readonly type: CredentialType;
  /** Function-level settings, as given (the same for every secret a function rotates). */
  public readonly settings: Readonly<Record<string, unknown>>;
  /** What this secret points at. */
  public readonly target: RotationTarget;

  private constructor(
    type: CredentialType,
    settings: Readonly<Record<string, unknown>>,
    target: RotationTarget,
  ) {
    this.type = type;
    this.settings = { ...settings, strategy: settings.strategy ?? defaultStrategyOf(specOf(type).contract) };
    this.target = target;
  }

  /** The strategy, after the type's default. */
  public get strategy(): string {
    return String(this.settings.strategy);
  }
}
