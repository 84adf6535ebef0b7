import { defineCredentialContract, type SettingsOf, strategyField } from '../contract';
import {
  ALTERNATING_ENV,
  alternatingSettings,
  DATABASE_ENV,
  databaseSettings,
  databaseTuning,
} from '../database/contract';

/** The three rotation schemes. */
export const MYSQL_MODES = ['single-user', 'alternating-users', 'dual-password'] as const;
export type MysqlMode = (typeof MYSQL_MODES)[number];

export const mysqlContract = defineCredentialContract({
  id: 'mysql',
  strategies: MYSQL_MODES,
  settings: {
    /**
     * - `single-user`: the user changes its own password.
     * - `alternating-users`: a master user keeps two users (`<base>` and `<base>_clone`) with the
     *   same grants, and each rotation moves to the other one.
     * - `dual-password`: MySQL 8.0.14+ only. The user changes its own password and keeps the old
     *   one valid too (`RETAIN CURRENT PASSWORD`) until the rollout discards it.
     * @default 'single-user'
     */
    strategy: strategyField('mysql', MYSQL_MODES),
    ...databaseSettings,
    ...alternatingSettings,
  },
  tuning: databaseTuning,
  env: {
    strategy: { name: 'HANDOVER_MYSQL_MODE', required: true, always: true },
    ...DATABASE_ENV,
    ...ALTERNATING_ENV,
  },
});

/** The settings of a MySQL rotation, as a policy entry or `Rotation.mysql*()` gives them. */
export type MysqlSettings = SettingsOf<typeof mysqlContract>;
