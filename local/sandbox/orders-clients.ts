import { setTimeout as sleep } from 'node:timers/promises';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ADOPT_AFTER_MS, type OrdersService } from './orders-service';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** What the orders service's clients sent, until stopped. */
export interface OrdersClients {
  readonly stats: { requests: number; failed: number; acceptedPrevious: number };
  /** Stops the clients and waits for their last request. */
  stop(): Promise<void>;
}

/**
 * The orders service's clients: each sends requests with the shared key it read from AWSCURRENT
 * (re-read after its cache expires, and at once on a 401), adopting a new key ADOPT_AFTER_MS
 * after it first sees it, every 10 ms, until stopped.
 */
export function startOrdersClients(
  stage: Stage,
  timeline: Timeline,
  service: OrdersService,
  options: { readonly clients: number; readonly cacheMs: number },
): OrdersClients {
  const stats = { requests: 0, failed: 0, acceptedPrevious: 0 };
  let running = true;
  const clients = Array.from({ length: options.clients }, async () => {
    let using: { key: string; versionId: string } | undefined;
    let seen: { key: string; versionId: string; at: number } | undefined;
    let readAt = Number.NEGATIVE_INFINITY;
    const read = async (adoptNow: boolean) => {
      const got = await stage.sm.send(new GetSecretValueCommand({ SecretId: service.arn }));
      readAt = performance.now();
      const key = (JSON.parse(got.SecretString ?? '{}') as { key: string }).key;
      const versionId = got.VersionId ?? '';
      if (using === undefined || adoptNow) using = { key, versionId };
      if (versionId === using.versionId) return;
      if (seen?.versionId !== versionId) seen = { key, versionId, at: readAt };
      if (readAt - seen.at >= ADOPT_AFTER_MS) using = { key, versionId };
    };
    while (running) {
      if (using === undefined || performance.now() - readAt > options.cacheMs) await read(false);
      const key = using?.key ?? '';
      stats.requests++;
      const response = await fetch(service.url, { headers: { authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      if (response.headers.get('x-handover-key') === 'accepted-previous') stats.acceptedPrevious++;
      if (response.status !== 200) {
        stats.failed++;
        timeline.event(`orders client     request FAILED ${response.status}: re-reading the key`);
        await read(true);
      }
      await sleep(10);
    }
  });
  const stop = async () => {
    running = false;
    await Promise.all(clients);
  };
  stage.onClose(stop);
  return { stats, stop };
}
