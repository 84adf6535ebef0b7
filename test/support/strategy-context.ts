import { expect } from 'vitest';
import type { StrategyContext } from '../../lambdas/rotation/strategy';
import { recordSecretMaterial } from './log-scan';
import { readOnlySecrets } from './secrets-port';

export const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
export const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';

/**
 * Everything a test file observes that must not contain a password: log lines and error messages
 * (with their stacks, every string field, and the whole cause chain). `passwords` grows as tests
 * create them; `assertNoLeak` checks everything seen so far.
 */
export function leakWatch() {
  const passwords = new Set<string>();
  const texts: string[] = [];
  return {
    password(value: string): string {
      passwords.add(value);
      recordSecretMaterial(value);
      return value;
    },
    see(...values: readonly string[]): void {
      texts.push(...values);
    },
    error(error: unknown): Error {
      if (!(error instanceof Error)) throw error;
      for (let e: unknown = error; e instanceof Error; e = e.cause) {
        texts.push(e.message, String(e.stack));
        for (const value of Object.values(e)) if (typeof value === 'string') texts.push(value);
      }
      return error;
    },
    assertNoLeak(): void {
      expect(texts.length).toBeGreaterThan(0);
      for (const text of texts) for (const password of passwords) expect(text).not.toContain(password);
    },
  };
}

/** A StrategyContext with a mutable secret store and a logger that records lines into `watch`. */
export function context(watch: ReturnType<typeof leakWatch>, secrets: Record<string, string> = {}) {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const line = `${level} ${message} ${JSON.stringify(fields ?? {})}`;
      lines.push(line);
      watch.see(line);
    };
  const ctx: StrategyContext = {
    secretId: SECRET_ID,
    rotationId: 'rotation-1',
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: readOnlySecrets((secretId) => secrets[secretId]),
  };
  return { ctx, lines, secrets };
}
