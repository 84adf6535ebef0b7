import { generatePassword } from '../../rotation/password';
import type { CredentialStrategy, StrategyContext } from '../../rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../shared/errors';
import { redactError } from '../../shared/redaction';
import {
  at,
  changeOnWriter,
  describeEndpoint,
  type Endpoint,
  type ReadOnlyServer,
  sameEndpoint,
} from '../shared/rds';
import {
  assertSameDatabase,
  countSessions,
  logsIn,
  proveLogin,
  readCurrent,
  who,
  writeUnlessStandby,
} from './common';
import { isLoginRejected, Session, withSession } from './connection';
import type { ResolvedOptions } from './options';
import { type PostgresSecret, parsePostgresSecret, serializePostgresSecret } from './schema';
import { scramSha256Verifier } from './scram';
import { quoteIdent, quoteLiteral } from './sql';

/**
 * Single user: the user changes its own password (`ALTER ROLE <self> PASSWORD`), so no other
 * privileges are needed. Consumers holding the old password fail from that moment, so there is
 * no `revoke` and no `restore` (a password change cannot be undone without the old value).
 */
export function singleUserStrategy(options: ResolvedOptions): CredentialStrategy<PostgresSecret> {
  const settings = options.connection;
  const locator = options.locator;
  return {
    type: 'postgres',
    variant: 'single-user',
    previousStaysValid: false,
    parse: parsePostgresSecret,
    serialize: serializePostgresSecret,
    identify: (value) => value.username,
    secretsOf: (value) => [value.password],

    async create(current) {
      return { ...current, password: generatePassword({ length: options.passwordLength }) };
    },

    async set(pending, current, previous, ctx) {
      if (pending.username !== current.username) {
        throw new SecretFormatError(
          'username',
          'single-user rotation keeps the username: pending and current differ',
        );
      }
      assertSameDatabase(pending, current);
      const secrets = [pending.password, current.password];
      const where = await locator.locate(current, ctx.logger);

      /**
       * Sets the pending password on the server at `endpoint`: 1. already done (a re-run after a
       * crash after ALTER ROLE, or a change that reached this replica)? 2. Else log in with the
       * current, else the previous password, and change it, unless the server is a hot standby.
       */
      const setOn = async (endpoint: Endpoint): Promise<ReadOnlyServer | undefined> => {
        if (
          await logsIn(settings, at(pending, endpoint), 'setSecret: probing the pending password', secrets)
        ) {
          ctx.logger.info('pending password already set', {
            ...who('setSecret', pending.username),
            host: endpoint.host,
            outcome: 'skipped',
          });
          return undefined;
        }
        // The previous value is read only if the current password is rejected too.
        const candidates: [string, () => Promise<PostgresSecret | undefined>][] = [
          ['current', async () => current],
          [
            'previous',
            async () => {
              const value = await previous();
              if (value !== undefined) secrets.push(value.password);
              return value;
            },
          ],
        ];
        for (const [label, load] of candidates) {
          const credentials = await load();
          if (credentials === undefined) continue;
          if (credentials.username !== pending.username) {
            ctx.logger.warn('skipping credentials of another user', {
              ...who('setSecret', credentials.username),
              label,
            });
            continue;
          }
          let session: Session;
          try {
            session = await Session.open(
              settings,
              at(credentials, endpoint),
              `setSecret: logging in with the ${label} password`,
              secrets,
            );
          } catch (error) {
            if (isLoginRejected(error)) {
              ctx.logger.info(`${label} password rejected`, who('setSecret', credentials.username));
              continue;
            }
            throw error;
          }
          let refused: ReadOnlyServer | undefined;
          try {
            refused = await writeUnlessStandby(session, 'setSecret', () =>
              changeOwnPassword(session, pending),
            );
          } finally {
            await session.close();
          }
          if (refused !== undefined) return refused;
          ctx.logger.info('pending password set', {
            ...who('setSecret', pending.username),
            via: label,
            host: endpoint.host,
            outcome: 'changed',
          });
          return undefined;
        }
        throw new CredentialTestError(
          `setSecret: neither the pending, the current nor the previous password of user "${pending.username}" ` +
            `can log in on ${describeEndpoint(endpoint)}`,
        );
      };

      // On a read replica or Aurora reader, the password changes on the writer; then setSecret waits
      // until the change reaches the secret's own host, where consumers (and testSecret) log in.
      const changedOn = await changeOnWriter(locator, where, { secret: current }, setOn, ctx.logger);
      if (sameEndpoint(changedOn, where)) return;
      await locator.waitForReplication(
        {
          replica: where,
          writer: changedOn,
          username: pending.username,
          probe: () => logsIn(settings, at(pending, where), 'setSecret: checking the read replica', secrets),
        },
        ctx.logger,
      );
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
