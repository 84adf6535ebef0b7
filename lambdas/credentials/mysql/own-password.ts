import { generatePassword } from '../../rotation/password';
import type { CredentialStrategy, PreviousReader, StrategyContext } from '../../rotation/strategy';
import { who } from '../database/location';
import {
  loginsAt,
  type OwnPasswordDialect,
  setOwnPassword as setOwnPasswordWith,
} from '../database/own-password';
import { at } from '../database/rds';
import { isLoginRejected, Session } from './connection';
import { proveLogin } from './login';
import type { ResolvedOptions } from './options';
import { type MysqlSecret, parseMysqlSecret, serializeMysqlSecret } from './schema';
import { assertUsernameFits } from './server';
import { readOnlyServer } from './standby';

/** Changes the password of the session's own account to `pending.password`. */
export type ChangeOwnPassword = (session: Session, pending: MysqlSecret) => Promise<void>;

/**
 * `set` of the modes where the user changes its own password (single-user, dual-password): the
 * shared pending -> current -> previous login sequence (see `shared/own-password.ts`), where
 * `change` runs unless the server is read-only (then the writer is used).
 */
export async function setOwnPassword(
  options: Pick<ResolvedOptions, 'connection' | 'locator'>,
  pending: MysqlSecret,
  current: MysqlSecret,
  previous: PreviousReader<MysqlSecret>,
  ctx: StrategyContext,
  change: ChangeOwnPassword,
): Promise<void> {
  const { connection: settings, locator } = options;
  const dialect: OwnPasswordDialect<MysqlSecret, Session> = {
    locator,
    ...loginsAt(
      (target, purpose, secrets) => Session.open(settings, target, purpose, secrets),
      isLoginRejected,
    ),
    async change(session, next) {
      const refused = await readOnlyServer(session, 'setSecret');
      if (refused !== undefined) return refused;
      assertUsernameFits(next.username, session.server, 'username');
      await change(session, next);
      return undefined;
    },
    describe: (session) => ({
      account: `${session.account.user}@${session.account.host}`,
      server: session.server.variant,
    }),
  };
  await setOwnPasswordWith(dialect, pending, current, previous, ctx, 'this mode');
}

/** The members the modes that keep the username share: one user, a new password each rotation. */
export type OwnPasswordMembers = Pick<
  CredentialStrategy<MysqlSecret>,
  'createIsPure' | 'parse' | 'serialize' | 'identify' | 'secretsOf' | 'create' | 'test'
>;

/**
 * `parse`, `serialize`, `identify`, `secretsOf`, `create` (a new password, same user) and `test`
 * (the pending password logs in as that user) of single-user and dual-password.
 */
export function ownPasswordMembers(
  options: Pick<ResolvedOptions, 'connection' | 'locator' | 'passwordLength'>,
): OwnPasswordMembers {
  return {
    // create only picks a password: no database is touched.
    createIsPure: true,
    parse: parseMysqlSecret,
    serialize: serializeMysqlSecret,
    identify: (value) => value.username,
    secretsOf: (value) => [value.password],

    async create(current) {
      return { ...current, password: generatePassword({ length: options.passwordLength }) };
    },

    async test(pending, ctx) {
      const where = await options.locator.locate(pending, ctx.logger);
      await proveLogin(
        options.connection,
        at(pending, where),
        'testSecret: logging in with the pending password',
        [],
      );
      ctx.logger.info('pending credentials work', {
        ...who('testSecret', pending.username),
        outcome: 'passed',
      });
    },
  };
}
