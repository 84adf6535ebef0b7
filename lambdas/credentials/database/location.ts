import type { StrategyContext } from '../../rotation/strategy';
import { SecretFormatError } from '../../shared/errors';
import { fingerprint } from '../../shared/redaction';

/** Fields for a log line about `username` (public identity: a name and its fingerprint). */
export function who(step: string, username: string): Record<string, unknown> {
  return { step, username, key_fingerprint: fingerprint(username) };
}

/** Where a database secret points: its own host and port, or an RDS instance or cluster. */
export interface DatabaseLocation {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly dbname?: string | undefined;
  readonly dbInstanceIdentifier?: string | undefined;
  readonly dbClusterIdentifier?: string | undefined;
}

const LOCATION_FIELDS = ['host', 'port', 'dbname', 'dbInstanceIdentifier', 'dbClusterIdentifier'] as const;

/** Refuses a pending value that does not point at the same database as the current one. */
export function assertSameDatabase(pending: DatabaseLocation, current: DatabaseLocation): void {
  for (const field of LOCATION_FIELDS) {
    if (pending[field] !== current[field]) {
      throw new SecretFormatError(
        field,
        `pending secret field "${field}" must equal the current secret's: a rotation changes credentials, not the database`,
      );
    }
  }
}

/** Reads and parses the AWSCURRENT value of the secret being rotated. */
export async function readCurrent<S>(ctx: StrategyContext, parse: (value: string) => S): Promise<S> {
  return parse(await ctx.secrets.getSecretString(ctx.secretId));
}
