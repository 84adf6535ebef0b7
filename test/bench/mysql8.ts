import { recordSecretMaterial } from '../support/log-scan';
import { fakeMysql } from '../unit/credentials/mysql/fakes';

/**
 * A MySQL 8.0 server for the dual-password strategy's figures, which MariaDB (the only server this
 * machine can run) cannot serve: `RETAIN CURRENT PASSWORD` is MySQL 8.0.14+. It is the unit tests'
 * fake server (`fakeMysql`: logins checked against a password per user, every statement answered),
 * taught the one statement that changes a password: the strategy sends exactly the statements it
 * would send to MySQL 8, so its database round trips and connections, and the engine's Secrets
 * Manager calls, are what a real rotation makes. Nothing here measures MySQL's own speed.
 */
export function mysql8DualPasswordServer(user: string, password: string) {
  const users: Record<string, string> = { [user]: password };
  const retain = /^ALTER USER CURRENT_USER\(\) IDENTIFIED BY '([^'\\]*)' RETAIN CURRENT PASSWORD$/;
  const server = fakeMysql(users, {
    version: '8.0.36',
    onQuery: (login, sql) => {
      const changed = retain.exec(sql)?.[1];
      if (changed !== undefined) {
        recordSecretMaterial(changed);
        users[login] = changed;
      }
      return undefined;
    },
  });
  return { connect: server.connect, users };
}
