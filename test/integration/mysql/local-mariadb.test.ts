import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startMariaDb } from '../../../local/mariadb';
import { canLogin } from './harness';

describe('Function: startMariaDb', () => {
  it('throws a clear error when the MariaDB binaries are missing (a missing server fails, never skips)', async () => {
    await expect(startMariaDb({ searchPath: ['/nonexistent/bin'] })).rejects.toThrow(
      /MariaDB server binaries not found \(mariadbd is not in \/nonexistent\/bin\)\. Install them: apt-get install .*never skipped/,
    );
  });

  it('starts a TLS server with a root password, and stop() ends the process and removes its files', async () => {
    const server = await startMariaDb();
    try {
      expect(server.version).toMatch(/MariaDB/);
      expect(await server.query<{ v: string }>("SHOW VARIABLES LIKE 'have_ssl'")).toEqual([
        { Variable_name: 'have_ssl', Value: 'YES' },
      ]);
      expect(await canLogin(server, 'root', server.rootUser.password)).toBe(true);
      expect(await canLogin(server, 'root', '')).toBe(false);
      expect(server.timings.installMs).toBeGreaterThan(0);
      expect(server.timings.startMs).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow(/ESRCH/);
  });
});
