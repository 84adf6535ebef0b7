import { generatePassword } from '../../rotation/password';
import type { CredentialStrategy, StrategyContext } from '../../rotation/strategy';
import { redactError } from '../../shared/redaction';
import { readCurrent, who } from '../database/location';
import { loginsAt, type OwnPasswordDialect, setOwnPassword } from '../database/own-password';
import { at } from '../database/rds';
import { isLoginRejected, Session, withSession } from './connection';
import { proveLogin } from './login';
import type { ResolvedOptions } from './options';
import { type PostgresSecret, parsePostgresSecret, serializePostgresSecret } from './schema';
import { scramSha256Verifier } from './scram';
import { countSessions } from './sessions';
import { quoteIdent, quoteLiteral } from './sql';
import { writeUnlessStandby } from './standby';

/**
 * Single user: the user changes its own password (`ALTER ROLE <self> PASSWORD`), so no other
 * privileges are needed. Consumers holding the old password fail from that moment, so there is
 * no `revoke` and no `restore` (a password change cannot be undone without the old value).
 */
export function singleUserStrategy(options: ResolvedOptions): CredentialStrategy<PostgresSecret> {
  const settings = options.connection;
  const locator = options.locator;
  const ownPassword: OwnPasswordDialect<PostgresSecret, Session> = {
    locator,
    ...loginsAt(
      (target, purpose, secrets) => Session.open(settings, target, purpose, secrets),
      isLoginRejected,
    ),
    change: (session, pending) =>
      writeUnlessStandby(session, 'setSecret', () => changeOwnPassword(session, pending)),
  };
  return {
    type: 'postgres',
    variant: 'single-user',
    previousStaysValid: false,
    createIsPure: true,
    parse: parsePostgresSecret,
    serialize: serializePostgresSecret,
    identify: (value) => value.username,
    secretsOf: (value) => [value.password],

    async create(current) {
      return { ...current, password: generatePassword({ length: options.passwordLength }) };
    },

    async set(pending, current, previous, ctx) {
      await setOwnPassword(ownPassword, pending, current, previous, ctx, 'single-user rotation');
    },

    async test(pending, ctx) {
      const where = await locator.locate(pending, ctx.logger);
      await proveLogin(settings, at(pending, where), 'testSecret: logging in with the pending password', []);
      ctx.logger.info('pending credentials work', {
        ...who('testSecret', pending.username),
        outcome: 'passed',
      });
    },

    /**
     * Single user: old and new credentials share the username, so the sessions that still hold the
     * old password are the user's sessions that started before `since` (the password change).
     * Connects with the AWSCURRENT value of the secret.
     */
    async inUse(old: PostgresSecret, since: Date, ctx: StrategyContext) {
      const current = await readCurrent(ctx, parsePostgresSecret);
      const where = await locator.locate(current, ctx.logger);
      return withSession(
        settings,
        at(current, where),
        'inUse: logging in with the current password',
        [old.password],
        (s) => countSessions(s, old.username, since),
      );
    },
  };
}

/** `ALTER ROLE <self> PASSWORD '<SCRAM verifier>'`: the plaintext never reaches the server. */
async function changeOwnPassword(session: Session, pending: PostgresSecret): Promise<void> {
  const verifier = await scramSha256Verifier(pending.password);
  try {
    await session.query(
      `ALTER ROLE ${quoteIdent(pending.username)} WITH PASSWORD ${quoteLiteral(verifier)}`,
      'setSecret: ALTER ROLE ... PASSWORD',
    );
  } catch (error) {
    throw redactError(error, [verifier]);
  }
}
