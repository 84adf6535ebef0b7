import { generatePassword } from '../../rotation/password';
import type { CredentialStrategy, StrategyContext } from '../../rotation/strategy';
import { SecretFormatError, TargetError } from '../../shared/errors';
import { assertPartner, baseUsername, cloneUsername, toggleUsername } from './alternating-usernames';
import { readCurrent } from './location';
import {
  changeOnWriter,
  type DatabaseLocator,
  type Endpoint,
  type ReadOnlyServer,
  type SecretLocation,
} from './rds';

/** The fields of a master secret the master steps read (where to connect is optional). */
export interface MasterCredentials extends SecretLocation {
  readonly username: string;
  readonly password: string;
  readonly dbname?: string | undefined;
}

/** The fields of a rotated alternating-users secret the master steps read. */
export interface AlternatingSecret extends MasterCredentials {
  readonly masterarn?: string | undefined;
}

/** The secret's `masterarn`, which alternating users require. */
export function requireMasterArn(secret: { readonly masterarn?: string | undefined }): string {
  if (secret.masterarn === undefined) {
    throw new SecretFormatError('masterarn', 'secret field "masterarn" is required for alternating users');
  }
  return secret.masterarn;
}

/**
 * `parse` of an alternating-users strategy: the engine's `parseSecret`, then the checks the mode
 * adds (`assertClonable`: the clone name fits; a `masterarn`).
 *
 * @example
 * ```ts
 * const parse = alternatingParse(parsePostgresSecret, assertClonable);
 * ```
 */
export function alternatingParse<S extends AlternatingSecret>(
  parseSecret: (value: string) => S,
  assertClonable: (username: string) => void,
): (value: string) => S {
  return (value) => {
    const secret = parseSecret(value);
    assertClonable(secret.username);
    requireMasterArn(secret);
    return secret;
  };
}

/**
 * Reads and parses the master secret named by `current.masterarn` (its format errors say "master
 * secret"), and refuses a master that is one of the rotated users.
 */
export async function loadMaster<M extends MasterCredentials>(
  current: AlternatingSecret,
  ctx: StrategyContext,
  parseCredentials: (value: string) => M,
): Promise<M> {
  const masterarn = requireMasterArn(current);
  let master: M;
  try {
    master = parseCredentials(await ctx.secrets.getSecretString(masterarn));
  } catch (error) {
    if (error instanceof SecretFormatError) {
      throw new SecretFormatError(error.field, `master secret: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const base = baseUsername(current.username);
  if (master.username === base || master.username === cloneUsername(base)) {
    throw new SecretFormatError(
      'username',
      `the master user must not be one of the rotated users ("${base}")`,
    );
  }
  return master;
}

/** The master's login at `endpoint`, in its own database or the rotated secret's. */
export function masterLogin<C extends { readonly dbname?: string | undefined }>(
  master: MasterCredentials,
  current: C,
  endpoint: Endpoint,
): { host: string; port: number; dbname: string | C['dbname']; username: string; password: string } {
  return {
    host: endpoint.host,
    port: endpoint.port,
    dbname: master.dbname ?? current.dbname,
    username: master.username,
    password: master.password,
  };
}

/**
 * Runs `write` as the master where it changes passwords (its own location, or the primary its RDS
 * tags name: never where the rotated secret points); on a read-only server, again on the writer.
 * Returns where the change was made.
 */
export async function onMasterWriter(
  locator: DatabaseLocator,
  current: AlternatingSecret,
  master: MasterCredentials,
  ctx: StrategyContext,
  write: (endpoint: Endpoint) => Promise<ReadOnlyServer | undefined>,
): Promise<Endpoint> {
  const first = await locator.locateMaster(master, requireMasterArn(current), ctx.logger);
  return changeOnWriter(
    locator,
    first,
    { secret: current, masterSecretId: current.masterarn },
    write,
    ctx.logger,
  );
}

/** The members every alternating-users strategy shares, whatever the engine. */
export type AlternatingMembers<S> = Pick<
  CredentialStrategy<S>,
  'previousStaysValid' | 'createIsPure' | 'parse' | 'serialize' | 'identify' | 'secretsOf' | 'create'
>;

/**
 * `parse` (see {@link alternatingParse}), `serialize`, `identify` (the username), `secretsOf` (the
 * password) and `create` (the other user of the pair, a new password) of alternating users; the
 * previous user stays valid until revoked.
 *
 * @example
 * ```ts
 * return { type: 'postgres', variant: 'alternating-users', ...alternatingMembers(parse, serializePostgresSecret, 32), set, test };
 * ```
 */
export function alternatingMembers<S extends AlternatingSecret>(
  parse: (value: string) => S,
  serialize: (value: S) => string,
  passwordLength: number,
): AlternatingMembers<S> {
  return {
    previousStaysValid: true,
    // create only picks the other user of the pair and a password: no database is touched.
    createIsPure: true,
    parse,
    serialize,
    identify: (value) => value.username,
    secretsOf: (value) => [value.password],
    async create(current) {
      return {
        ...current,
        username: toggleUsername(current.username),
        password: generatePassword({ length: passwordLength }),
      };
    },
  };
}

/** Where `current` points and the master's credentials: what every master step starts from. */
export async function locateWithMaster<M extends MasterCredentials>(
  locator: DatabaseLocator,
  current: AlternatingSecret,
  ctx: StrategyContext,
  parseCredentials: (value: string) => M,
): Promise<{ where: Endpoint; master: M }> {
  const where = await locator.locate(current, ctx.logger);
  const master = await loadMaster(current, ctx, parseCredentials);
  return { where, master };
}

/**
 * The master's login to count the sessions of `old`: where the master connects
 * ({@link DatabaseLocator.locateMaster}: its own location, or the primary its RDS tags name), never
 * where the rotated secret points. Sessions on a read replica the rotated secret points at are
 * counted only when the master secret itself points at that replica.
 */
export async function masterLoginForSessions<S extends AlternatingSecret, M extends MasterCredentials>(
  locator: DatabaseLocator,
  old: S,
  ctx: StrategyContext,
  parseCredentials: (value: string) => M,
): Promise<ReturnType<typeof masterLogin<S>>> {
  const master = await loadMaster(old, ctx, parseCredentials);
  const masterWhere = await locator.locateMaster(master, requireMasterArn(old), ctx.logger);
  return masterLogin(master, old, masterWhere);
}

/**
 * The AWSCURRENT value for `revoke` / `restore` of `old`: refuses to disable (`disabling`, the
 * verb for the message, e.g. `lock`) the user the current secret uses, and a user that is not the
 * other half of the current pair.
 */
export async function currentForRevoke<S extends AlternatingSecret>(
  ctx: StrategyContext,
  parse: (value: string) => S,
  old: S,
  step: string,
  disabling: string | undefined,
): Promise<S> {
  const current = await readCurrent(ctx, parse);
  if (disabling !== undefined && old.username === current.username) {
    throw new TargetError(`${step}: refusing to ${disabling} "${old.username}": the current secret uses it`);
  }
  if (old.username !== current.username) assertPartner(old, current, step);
  return current;
}
