import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../lambdas/webhooks/signature';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** The key the partner webhook's deliveries are signed with (its secret holds it). */
export const WEBHOOK_SIGNING_KEY = `whsec-sandbox-${'k'.repeat(32)}`;

/** The partner's side of the webhook consumer: what it received, and its URL. */
export interface WebhookReceiver {
  readonly url: string;
  /** Deliveries received, deliveries whose signature did not verify, and versions verified. */
  readonly stats: { requests: number; failed: number; readonly verified: Set<string> };
}

/**
 * A partner's webhook receiver: verifies every delivery's signature with `verifyWebhookSignature`
 * before answering 2xx, prints each delivery on the timeline, and remembers the versions it was
 * asked to verify (the rollout's proof that the consumer runs on the new credential).
 */
export async function startWebhookReceiver(stage: Stage, timeline: Timeline): Promise<WebhookReceiver> {
  const stats = { requests: 0, failed: 0, verified: new Set<string>() };
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      stats.requests++;
      const body = Buffer.concat(chunks);
      const verdict = verifyWebhookSignature({
        headers: request.headers,
        body,
        keys: [WEBHOOK_SIGNING_KEY],
      });
      const payload = JSON.parse(body.toString('utf8')) as {
        consumer: string;
        phase: string;
        versionId: string;
      };
      if (!verdict.valid) stats.failed++;
      else if (payload.phase === 'verify') stats.verified.add(payload.versionId);
      timeline.event(
        `webhook receiver  ${payload.phase.padEnd(12)} v=${payload.versionId.slice(0, 8)}  signature ${verdict.valid ? 'valid' : verdict.reason}`,
      );
      response.writeHead(verdict.valid ? 200 : 401, { 'content-type': 'application/json' });
      response.end(verdict.valid ? JSON.stringify({ versionId: payload.versionId }) : '{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  stage.onClose(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    receiver.closeAllConnections();
  });
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/handover`, stats };
}
