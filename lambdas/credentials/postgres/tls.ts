import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { type DatabaseTlsOptions, resolveTls, TLS_MODES, trustedCa } from '../database/tls';

export type { TlsMode } from '../database/tls';
export { isTlsError, loadRdsCaBundle, TLS_MODES } from '../database/tls';

/** TLS settings of a PostgreSQL strategy (the settings every database type shares). */
export type PostgresTlsOptions = DatabaseTlsOptions;

/** What `pg.Client` takes as `ssl`. */
export type PgSslConfig = false | ConnectionOptions;

/**
 * Maps a TLS mode to `pg` / `node:tls` options. `host` is the name the certificate must carry. The
 * RDS CA bundle, when it is the one trusted, is loaded here, on the first connection.
 */
export async function pgSslConfig(tls: PostgresTlsOptions | undefined, host: string): Promise<PgSslConfig> {
  const resolved = resolveTls(tls);
  switch (resolved.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return {
        ca: await trustedCa(resolved),
        rejectUnauthorized: true,
        checkServerIdentity: () => undefined,
      };
    case 'verify-full':
      return {
        ca: await trustedCa(resolved),
        rejectUnauthorized: true,
        checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
      };
    default:
      throw new TypeError(`tls.mode must be one of ${TLS_MODES.join(', ')}, got ${String(resolved.mode)}`);
  }
}
