import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_SCAN_DIR_VARIABLE, scanForLeaks } from './log-scan';

/** Vitest global setup: prepares the log scan, and runs it after every test file has finished. */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'handover-log-scan-'));
  process.env[LOG_SCAN_DIR_VARIABLE] = dir;
  return () => {
    const result = scanForLeaks(dir);
    rmSync(dir, { recursive: true, force: true });
    if (result.leaks.length > 0) {
      // Vitest reports a teardown error but keeps exit code 0: fail the run explicitly.
      process.exitCode = 1;
      throw new Error(
        `log scan: secret material appeared in ${result.leaks.length} captured output line(s): ${result.leaks.slice(0, 20).join(', ')}`,
      );
    }
    process.stdout.write(
      `log scan: ${result.secrets} secret values checked against ${result.lines} captured output lines: no leak\n`,
    );
  };
}
