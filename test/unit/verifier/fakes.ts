import { randomUUID } from 'node:crypto';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../../../lambdas/rotation/constants';
import type { StructuredLogger } from '../../../lambdas/shared/observability';
import type {
  VerifierClock,
  VerifierMetricsSink,
  VerifierMetricsSnapshot,
  VerifierSecretsClient,
} from '../../../lambdas/verifier';
import { generateSharedKey } from '../../../lambdas/verifier';
import { SecretsManagerService } from '../../../local/emulator';
import { inProcessSecretsClient } from '../../support/in-process-secrets';
import { recordSecretMaterial } from '../../support/log-scan';

/** A manual clock: time moves only when the test says so; timers fire on `advance`. */
export class FakeClock implements VerifierClock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void; ms: number }>();
  /** Every delay ever scheduled, in order. */
  readonly delays: number[] = [];

  constructor(start = Date.parse('2026-11-21T10:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback, ms });
    this.delays.push(ms);
    return id;
  }

  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as number);
  }

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The delays of the pending timers. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((t) => t.ms);
  }

  /** Moves time forward, firing due timers in order, and lets the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      const [id, timer] = due;
      this.#timers.delete(id);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets every queued promise callback run (several macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that records every line. */
export function recordingLogger(): StructuredLogger & { readonly lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const line =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    text: () => JSON.stringify(lines),
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
}

/** A metrics sink that records every snapshot; can be told to fail. */
export function recordingSink(): VerifierMetricsSink & {
  readonly snapshots: VerifierMetricsSnapshot[];
  failNext: number;
} {
  const sink = {
    snapshots: [] as VerifierMetricsSnapshot[],
    failNext: 0,
    publish(snapshot: VerifierMetricsSnapshot) {
      if (sink.failNext > 0) {
        sink.failNext -= 1;
        throw new Error('metrics endpoint unavailable');
      }
      sink.snapshots.push(snapshot);
    },
  };
  return sink;
}

/** A key plus the JSON a shared-key secret holds for it; the key is recorded for the log scan. */
export function newKey(): { key: string; keyId: string; secret: string; json: string } {
  const key = generateSharedKey();
  recordSecretMaterial(key, key.slice(16));
  return {
    key,
    keyId: key.slice(3, 15),
    secret: key.slice(16),
    json: JSON.stringify({ key, keyId: key.slice(3, 15), createdAt: '2026-11-21T10:00:00.000Z' }),
  };
}

/**
 * A shared-key secret in the emulator's Secrets Manager model, reached in-process (no network)
 * through an SDK-shaped client that counts calls and can be made to fail.
 */
export function secretWorld() {
  const service = new SecretsManagerService();
  const inner = inProcessSecretsClient(service);
  const first = newKey();
  const name = `app/shared-key-${randomUUID().slice(0, 8)}`;
  const { ARN: arn, VersionId: firstVersion } = service.invoke('CreateSecret', {
    Name: name,
    SecretString: first.json,
  }) as { ARN: string; VersionId: string };
  let failing = 0;
  const client: VerifierSecretsClient & { readonly calls: string[]; fail(times: number): void } = {
    calls: inner.calls,
    fail(times) {
      failing = times;
    },
    send: ((command: Parameters<typeof inner.send>[0]) => {
      if (failing > 0) {
        failing -= 1;
        inner.calls.push(`failed:${command.constructor.name.replace(/Command$/, '')}`);
        return Promise.reject(
          new SecretsManagerServiceException({
            name: 'InternalServiceError',
            $fault: 'server',
            $metadata: {},
            message: 'Secrets Manager is unavailable',
          }),
        );
      }
      return inner.send(command);
    }) as VerifierSecretsClient['send'],
  };
  const stages = (): Record<string, string[]> =>
    (service.invoke('DescribeSecret', { SecretId: arn }) as { VersionIdsToStages: Record<string, string[]> })
      .VersionIdsToStages;
  const holder = (stage: string) => Object.entries(stages()).find(([, s]) => s.includes(stage))?.[0];

  return {
    service,
    client,
    arn,
    name,
    first,
    firstVersion,
    stages,
    holder,
    /** Puts a new version as AWSCURRENT (the old current becomes AWSPREVIOUS), as finishSecret does. */
    rotate(value = newKey()): { key: ReturnType<typeof newKey>; versionId: string } {
      const versionId = randomUUID();
      service.invoke('PutSecretValue', {
        SecretId: arn,
        ClientRequestToken: versionId,
        SecretString: value.json,
        VersionStages: [STAGE.pending],
      });
      service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: STAGE.current,
        MoveToVersionId: versionId,
        RemoveFromVersionId: holder(STAGE.current),
      });
      service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: STAGE.pending,
        RemoveFromVersionId: versionId,
      });
      return { key: value, versionId };
    },
    /** Removes AWSPREVIOUS (what `revoke` does). */
    revokePrevious(): void {
      service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: STAGE.previous,
        RemoveFromVersionId: holder(STAGE.previous),
      });
    },
    /** Puts AWSPREVIOUS on `versionId` (what `restore` does). */
    restorePrevious(versionId: string): void {
      service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: STAGE.previous,
        MoveToVersionId: versionId,
      });
    },
    /** Puts a raw value as AWSCURRENT. */
    putRawCurrent(secretString: string): string {
      const versionId = randomUUID();
      service.invoke('PutSecretValue', {
        SecretId: arn,
        ClientRequestToken: versionId,
        SecretString: secretString,
        VersionStages: [STAGE.current],
      });
      return versionId;
    },
  };
}

export type SecretWorld = ReturnType<typeof secretWorld>;
