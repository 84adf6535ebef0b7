import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway CA and a server certificate it signed, as files and PEM strings. */
export interface TestCertificates {
  readonly dir: string;
  readonly caCertPath: string;
  readonly caCert: string;
  readonly certPath: string;
  readonly cert: string;
  readonly keyPath: string;
  readonly key: string;
  /** Removes the directory. */
  cleanup(): void;
}

/** Options of {@link createTestCertificates}. */
export interface TestCertificateOptions {
  /**
   * Names the server certificate is valid for (DNS names or IP addresses).
   * @default ['localhost', '127.0.0.1']
   */
  readonly hosts?: readonly string[];
  /**
   * Parent directory.
   * @default - os.tmpdir()
   */
  readonly parent?: string;
}

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Generates a test CA and a server certificate (EC P-256, valid 2 days) with the `openssl` CLI in
 * a new temp directory (mode 755, so a server running as another OS user can read the certs).
 */
export function createTestCertificates(options: TestCertificateOptions = {}): TestCertificates {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'handover-tls-'));
  chmodSync(dir, 0o755);
  const san = hosts.map((h) => (IP.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(
    join(dir, 'openssl.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = placeholder',
      '[ca_ext]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[server_ext]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${san}`,
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    '-config',
    'openssl.cnf',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Handover Test CA',
    '-extensions',
    'ca_ext',
  ]);
  openssl(dir, [
    'req',
    '-new',
    '-config',
    'openssl.cnf',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    `/CN=${hosts[0] ?? 'localhost'}`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '2',
    '-out',
    'server.crt',
    '-extfile',
    'openssl.cnf',
    '-extensions',
    'server_ext',
  ]);
  chmodSync(join(dir, 'server.crt'), 0o644);
  chmodSync(join(dir, 'ca.crt'), 0o644);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caCert: read('ca.crt'),
    certPath: join(dir, 'server.crt'),
    cert: read('server.crt'),
    keyPath: join(dir, 'server.key'),
    key: read('server.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
