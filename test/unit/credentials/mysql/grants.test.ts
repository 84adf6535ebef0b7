import { describe, expect, it } from 'vitest';
import {
  GrantParseError,
  type GrantSet,
  parseGrantLine,
  parseGrants,
  planGrantSync,
} from '../../../../lambdas/credentials/mysql/grants';

const MODE = { noBackslashEscapes: false, ansiQuotes: false };
const NO_BACKSLASH = { noBackslashEscapes: true, ansiQuotes: false };
const APP = { user: 'app', host: '%' };
const CLONE = { user: 'app_clone', host: '%' };
const GRANTEE = "'app_clone'@'%'";
const HASH = '*ACA510CFCB57C8307D19BD3AA49E72E347CCAE77';

function parseError(fn: () => unknown): GrantParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrantParseError) return error;
    throw error;
  }
  throw new Error('expected a GrantParseError');
}

describe('Function: parseGrantLine', () => {
  it.each([
    [
      "MariaDB's first line: password hash, REQUIRE and limits are not privileges",
      `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 10 MAX_USER_CONNECTIONS 5`,
      [],
    ],
    [
      'global privileges with GRANT OPTION and a password hash',
      `GRANT SELECT, PROCESS ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}' WITH GRANT OPTION`,
      [
        { kind: 'privilege', object: '*.*', privilege: 'SELECT' },
        { kind: 'privilege', object: '*.*', privilege: 'PROCESS' },
        { kind: 'grant-option', object: '*.*' },
      ],
    ],
    [
      'a database whose name holds a doubled backtick and the word TO',
      'GRANT SELECT, INSERT ON `we``ird TO x`.* TO `app`@`%` WITH GRANT OPTION',
      [
        { kind: 'privilege', object: '`we``ird TO x`.*', privilege: 'SELECT' },
        { kind: 'privilege', object: '`we``ird TO x`.*', privilege: 'INSERT' },
        { kind: 'grant-option', object: '`we``ird TO x`.*' },
      ],
    ],
    [
      'column privileges with tricky column and table names',
      "GRANT SELECT (`c``1`, `d`), UPDATE (`d`) ON `we``ird TO x`.`t'1` TO `app`@`%`",
      [
        { kind: 'privilege', object: "`we``ird TO x`.`t'1`", privilege: 'SELECT (`c``1`)' },
        { kind: 'privilege', object: "`we``ird TO x`.`t'1`", privilege: 'SELECT (`d`)' },
        { kind: 'privilege', object: "`we``ird TO x`.`t'1`", privilege: 'UPDATE (`d`)' },
      ],
    ],
    [
      'names with commas, parentheses and a fake grantee inside',
      'GRANT SELECT (`a,b`, `(x)`) ON `db`.`x) TO ``evil``@``%`` --` TO `app`@`%`',
      [
        { kind: 'privilege', object: '`db`.`x) TO ``evil``@``%`` --`', privilege: 'SELECT (`a,b`)' },
        { kind: 'privilege', object: '`db`.`x) TO ``evil``@``%`` --`', privilege: 'SELECT (`(x)`)' },
      ],
    ],
    [
      'MySQL 5.7 quoting of the grantee',
      "GRANT SELECT ON `db`.* TO 'app'@'%'",
      [{ kind: 'privilege', object: '`db`.*', privilege: 'SELECT' }],
    ],
    [
      'MySQL 8 dynamic privileges listed without spaces',
      'GRANT BACKUP_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `app`@`%`',
      [
        { kind: 'privilege', object: '*.*', privilege: 'BACKUP_ADMIN' },
        { kind: 'privilege', object: '*.*', privilege: 'SYSTEM_VARIABLES_ADMIN' },
      ],
    ],
    [
      'multi-word privileges and ALL PRIVILEGES',
      'GRANT ALL PRIVILEGES, CREATE TEMPORARY TABLES ON `db`.* TO `app`@`%`',
      [
        { kind: 'privilege', object: '`db`.*', privilege: 'ALL PRIVILEGES' },
        { kind: 'privilege', object: '`db`.*', privilege: 'CREATE TEMPORARY TABLES' },
      ],
    ],
    [
      'routine privileges',
      'GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `db`.`p` TO `app`@`%`',
      [
        { kind: 'privilege', object: 'PROCEDURE `db`.`p`', privilege: 'EXECUTE' },
        { kind: 'privilege', object: 'PROCEDURE `db`.`p`', privilege: 'ALTER ROUTINE' },
      ],
    ],
    [
      'a PROXY grant',
      "GRANT PROXY ON ''@'%' TO 'app'@'%' WITH GRANT OPTION",
      [
        { kind: 'privilege', object: "''@'%'", privilege: 'PROXY' },
        { kind: 'grant-option', object: "''@'%'" },
      ],
    ],
    [
      'a MariaDB role with ADMIN OPTION',
      'GRANT `reader` TO `app`@`%` WITH ADMIN OPTION',
      [{ kind: 'role', role: '`reader`', admin: true }],
    ],
    [
      'MySQL 8 roles with hosts',
      'GRANT `r1`@`%`,`r2`@`localhost` TO `app`@`%`',
      [
        { kind: 'role', role: '`r1`@`%`', admin: false },
        { kind: 'role', role: '`r2`@`localhost`', admin: false },
      ],
    ],
    [
      "MariaDB's default role",
      'SET DEFAULT ROLE `reader` FOR `app`@`%`',
      [{ kind: 'default-role', role: '`reader`' }],
    ],
    ['no default role', 'SET DEFAULT ROLE NONE FOR `app`@`%`', []],
  ])('reads %s', (_name, line, expected) => {
    expect(parseGrantLine(line, APP, MODE)).toEqual(expected);
  });

  it('gives the same entries whatever the spacing', () => {
    expect(parseGrantLine('GRANT SELECT (`a`,`b`) ON `db` . `t` TO `app`@`%`', APP, MODE)).toEqual(
      parseGrantLine('GRANT SELECT ( `a` , `b` ) ON `db`.`t` TO `app`@`%`', APP, MODE),
    );
  });

  it('reads backslash escapes in quoted hosts only when NO_BACKSLASH_ESCAPES is off', () => {
    const host = { user: 'app', host: "o'h" };
    expect(parseGrantLine("GRANT SELECT ON `db`.* TO 'app'@'o\\'h'", host, MODE)).toHaveLength(1);
    expect(parseGrantLine("GRANT SELECT ON `db`.* TO 'app'@'o''h'", host, NO_BACKSLASH)).toHaveLength(1);
    expect(
      parseGrantLine("GRANT SELECT ON `db`.* TO 'app'@'a\\b'", { user: 'app', host: 'a\\b' }, NO_BACKSLASH),
    ).toHaveLength(1);
  });

  it.each([
    [
      'a line for another grantee',
      'GRANT SELECT ON `db`.* TO `evil`@`%`',
      /returned a line for another grantee/,
    ],
    ['a line for another host', 'GRANT SELECT ON `db`.* TO `app`@`localhost`', /another grantee/],
    [
      'a MySQL partial revoke',
      'REVOKE INSERT ON `mysql`.* FROM `app`@`%`',
      /returned a REVOKE line, which Handover cannot copy .*partial revokes/,
    ],
    [
      'an unterminated quote',
      `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}`,
      /unterminated/,
    ],
    ['unbalanced parentheses', 'GRANT SELECT (`a` ON `db`.`t` TO `app`@`%`', /unbalanced parentheses/],
    ['no TO clause', 'GRANT SELECT ON `db`.*', /no TO clause/],
    ['a grantee without host', 'GRANT SELECT ON `db`.* TO `app`', /user@host/],
    ['a privilege that is not a keyword', "GRANT 'x' ON `db`.* TO `app`@`%`", /not a keyword/],
    ['an empty line', '', /an empty line/],
  ])('refuses %s without repeating the line', (_name, line, message) => {
    const error = parseError(() => parseGrantLine(line, APP, MODE));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(HASH);
    expect(error.message).not.toContain('`db`');
  });
});

describe('Function: parseGrants', () => {
  it('collects every line into one set keyed by entry', () => {
    const set = parseGrants(
      [
        'GRANT `reader` TO `app`@`%` WITH ADMIN OPTION',
        `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`,
        'GRANT SELECT, INSERT ON `shop`.* TO `app`@`%`',
        'SET DEFAULT ROLE `reader` FOR `app`@`%`',
      ],
      APP,
      MODE,
    );
    expect([...set.values()]).toEqual([
      { kind: 'role', role: '`reader`', admin: true },
      { kind: 'privilege', object: '`shop`.*', privilege: 'SELECT' },
      { kind: 'privilege', object: '`shop`.*', privilege: 'INSERT' },
      { kind: 'default-role', role: '`reader`' },
    ]);
  });
});

const set = (lines: string[], who = APP): GrantSet => parseGrants(lines, who, MODE);

describe('Function: planGrantSync', () => {
  const base = [
    `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`,
    'GRANT SELECT, INSERT ON `shop`.* TO `app`@`%` WITH GRANT OPTION',
    "GRANT SELECT (`c``1`) ON `shop`.`t'1` TO `app`@`%`",
    'GRANT `reader` TO `app`@`%`',
    'SET DEFAULT ROLE `reader` FOR `app`@`%`',
  ];
  const asClone = (lines: string[]) => lines.map((l) => l.replaceAll('`app`@`%`', '`app_clone`@`%`'));

  it('plans nothing when the accounts already match', () => {
    expect(planGrantSync(set(base), set(asClone(base), CLONE), GRANTEE, { variant: 'mariadb' })).toEqual([]);
  });

  it('grants everything to a new user, with the grant option folded in, then the default role', () => {
    expect(planGrantSync(set(base), new Map(), GRANTEE, { variant: 'mariadb' })).toEqual([
      "GRANT SELECT, INSERT ON `shop`.* TO 'app_clone'@'%' WITH GRANT OPTION",
      "GRANT SELECT (`c``1`) ON `shop`.`t'1` TO 'app_clone'@'%'",
      "GRANT `reader` TO 'app_clone'@'%'",
      "SET DEFAULT ROLE `reader` FOR 'app_clone'@'%'",
    ]);
  });

  it('revokes what only the other user holds', () => {
    const actual = set(
      asClone([
        ...base,
        'GRANT DELETE ON `shop`.* TO `app`@`%`',
        'GRANT SELECT ON `secret`.* TO `app`@`%` WITH GRANT OPTION',
        'GRANT `admin_role` TO `app`@`%`',
      ]),
      CLONE,
    );
    expect(planGrantSync(set(base), actual, GRANTEE, { variant: 'mariadb' })).toEqual([
      "REVOKE DELETE ON `shop`.* FROM 'app_clone'@'%'",
      "REVOKE SELECT ON `secret`.* FROM 'app_clone'@'%'",
      "REVOKE GRANT OPTION ON `secret`.* FROM 'app_clone'@'%'",
      "REVOKE `admin_role` FROM 'app_clone'@'%'",
    ]);
  });

  it('adds or removes only the grant option when that is the difference', () => {
    const withOption = set(['GRANT SELECT ON `shop`.* TO `app`@`%` WITH GRANT OPTION']);
    const without = set(['GRANT SELECT ON `shop`.* TO `app`@`%`']);
    expect(planGrantSync(withOption, without, GRANTEE, { variant: 'mysql' })).toEqual([
      "GRANT USAGE ON `shop`.* TO 'app_clone'@'%' WITH GRANT OPTION",
    ]);
    expect(planGrantSync(without, withOption, GRANTEE, { variant: 'mysql' })).toEqual([
      "REVOKE GRANT OPTION ON `shop`.* FROM 'app_clone'@'%'",
    ]);
  });

  it('revokes single privileges before granting ALL PRIVILEGES, so the end state is right', () => {
    expect(
      planGrantSync(
        set(['GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`']),
        set(['GRANT SELECT ON `shop`.* TO `app`@`%`']),
        GRANTEE,
        { variant: 'mariadb' },
      ),
    ).toEqual([
      "REVOKE SELECT ON `shop`.* FROM 'app_clone'@'%'",
      "GRANT ALL PRIVILEGES ON `shop`.* TO 'app_clone'@'%'",
    ]);
  });

  it('syncs the ADMIN OPTION of a role: MariaDB revokes the option, MySQL re-grants the role', () => {
    const plain = set(['GRANT `r` TO `app`@`%`']);
    const admin = set(['GRANT `r` TO `app`@`%` WITH ADMIN OPTION']);
    expect(planGrantSync(plain, admin, GRANTEE, { variant: 'mariadb' })).toEqual([
      "REVOKE ADMIN OPTION FOR `r` FROM 'app_clone'@'%'",
    ]);
    expect(planGrantSync(plain, admin, GRANTEE, { variant: 'mysql' })).toEqual([
      "REVOKE `r` FROM 'app_clone'@'%'",
      "GRANT `r` TO 'app_clone'@'%'",
    ]);
    expect(planGrantSync(admin, plain, GRANTEE, { variant: 'mariadb' })).toEqual([
      "GRANT `r` TO 'app_clone'@'%' WITH ADMIN OPTION",
    ]);
  });

  it('sets default roles the way each server does', () => {
    const want: GrantSet = new Map([
      ["default-role\u0000'r1'@'%'", { kind: 'default-role', role: "'r1'@'%'" }],
      ["default-role\u0000'r2'@'%'", { kind: 'default-role', role: "'r2'@'%'" }],
    ]);
    expect(planGrantSync(want, new Map(), GRANTEE, { variant: 'mysql' })).toEqual([
      "ALTER USER 'app_clone'@'%' DEFAULT ROLE 'r1'@'%', 'r2'@'%'",
    ]);
    expect(planGrantSync(new Map(), want, GRANTEE, { variant: 'mysql' })).toEqual([
      "ALTER USER 'app_clone'@'%' DEFAULT ROLE NONE",
    ]);
    expect(
      planGrantSync(new Map(), set(['SET DEFAULT ROLE `r` FOR `app`@`%`']), GRANTEE, { variant: 'mariadb' }),
    ).toEqual(["SET DEFAULT ROLE NONE FOR 'app_clone'@'%'"]);
  });

  it('re-emits server-quoted names verbatim and adds only the escaped grantee', () => {
    const tricky = set(['GRANT SELECT (`a,b`) ON `db`.`x) TO ``evil``@``%`` --` TO `app`@`%`']);
    const [statement] = planGrantSync(tricky, new Map(), GRANTEE, { variant: 'mariadb' });
    expect(statement).toBe("GRANT SELECT (`a,b`) ON `db`.`x) TO ``evil``@``%`` --` TO 'app_clone'@'%'");
  });
});
