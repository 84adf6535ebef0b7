import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanForLeaks } from '../../support/log-scan';

describe('Function: scanForLeaks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const fixture = (secrets: string[], output: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'handover-scan-test-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'secrets-1.jsonl'), secrets.map((s) => `${JSON.stringify(s)}\n`).join(''));
    writeFileSync(join(dir, 'output-2.log'), output);
    return dir;
  };

  it('names the file and line where a recorded secret appears, never the secret', () => {
    const dir = fixture(
      ['Pa55-word-one', 'Pa55-word-two'],
      'clean line\n{"reason":"Pa55-word-two rejected"}\n',
    );

    const result = scanForLeaks(dir);

    expect(result.leaks).toEqual(['output-2.log:2']);
    expect(JSON.stringify(result)).not.toContain('Pa55-word-two');
    expect(result.secrets).toBe(2);
  });

  it('finds no leak when no recorded secret appears', () => {
    const dir = fixture(['Pa55-word-one'], '{"message":"rotated","key_fingerprint":"0a1b2c3d4e5f"}\n');

    expect(scanForLeaks(dir).leaks).toEqual([]);
  });
});
