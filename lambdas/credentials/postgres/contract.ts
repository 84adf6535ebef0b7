import { defineCredentialContract, type SettingsOf, strategyField } from '../contract';
import {
  ALTERNATING_ENV,
  alternatingSettings,
  DATABASE_ENV,
  databaseSettings,
  databaseTuning,
} from '../database/contract';

/** The two rotation schemes. */
export const POSTGRES_MODES = ['single-user', 'alternating-users'] as const;
export type PostgresMode = (typeof POSTGRES_MODES)[number];

export const postgresContract = defineCredentialContract({
  id: 'postgres',
  strategies: POSTGRES_MODES,
  settings: {
    /**
     * `single-user`: the user changes its own password. `alternating-users`: a master user keeps
     * two users (`<base>` and `<base>_clone`) and each rotation moves to the other one.
     * @default 'single-user'
     */
    strategy: strategyField('postgres', POSTGRES_MODES),
    ...databaseSettings,
    ...alternatingSettings,
  },
  tuning: databaseTuning,
  env: {
    strategy: { name: 'HANDOVER_POSTGRES_MODE', required: true, always: true },
    ...DATABASE_ENV,
    ...ALTERNATING_ENV,
  },
});

/** The settings of a PostgreSQL rotation, as a policy entry or `Rotation.postgres*()` gives them. */
export type PostgresSettings = SettingsOf<typeof postgresContract>;
