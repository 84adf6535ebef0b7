import { isIP } from 'node:net';
import type { SslOptions } from 'mysql2/promise';
import {
  type DatabaseTlsOptions,
  isTlsError,
  resolveTls,
  TLS_MODES,
  type TlsMode,
  trustedCa,
} from '../database/tls';

/** TLS settings of a MySQL / MariaDB strategy (the settings every database type shares). */
export type MysqlTlsOptions = DatabaseTlsOptions;

/** What mysql2 takes as `ssl`; `false` for a plaintext connection. */
export type MysqlSslConfig = false | SslOptions;

/**
 * Maps a TLS mode to mysql2's `ssl` options. mysql2 checks the chain when `rejectUnauthorized` is
 * set and the hostname when `verifyIdentity` is set (against the host it connects to), and fails
 * when the server does not offer TLS: it never continues in plaintext. The RDS CA bundle, when it
 * is the one trusted, is loaded here, on the first connection.
 *
 * @example
 * ```ts
 * await mysqlSslConfig({ mode: 'verify-full', ca: pem }); // { ca: pem, rejectUnauthorized: true, verifyIdentity: true }
 * ```
 */
export async function mysqlSslConfig(tls: MysqlTlsOptions | undefined): Promise<MysqlSslConfig> {
  const resolved = resolveTls(tls);
  switch (resolved.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false, verifyIdentity: false };
    case 'verify-ca':
      return { ca: await trustedCa(resolved), rejectUnauthorized: true, verifyIdentity: false };
    case 'verify-full':
      return { ca: await trustedCa(resolved), rejectUnauthorized: true, verifyIdentity: true };
    default:
      throw new TypeError(`tls.mode must be one of ${TLS_MODES.join(', ')}, got ${String(resolved.mode)}`);
  }
}

/**
 * Why `verify-full` refuses an IP address: mysql2 sends no server name for an IP address, and
 * Node.js then checks the certificate against the name `localhost` instead of the address, so a
 * certificate for `localhost` from the trusted CA would pass for any address. Returns the reason,
 * or `undefined` when the host can be verified.
 */
export function unverifiableHost(mode: TlsMode, host: string): string | undefined {
  if (mode !== 'verify-full' || isIP(host) === 0) return undefined;
  return (
    `TLS mode verify-full cannot check the IP address ${host} with mysql2 (it would check the certificate ` +
    'against "localhost" instead): put the DNS name the certificate carries in the secret\'s "host", or use verify-ca'
  );
}

/** mysql2's own codes for a failed TLS negotiation and for a server that offers no TLS. */
const MYSQL2_TLS_CODES = new Set(['HANDSHAKE_SSL_ERROR', 'HANDSHAKE_NO_SSL_SUPPORT']);

/** Whether a connection error comes from the TLS layer (mysql2's codes, or Node's TLS errors). */
export function isMysqlTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && MYSQL2_TLS_CODES.has(code)) || isTlsError(error);
}
