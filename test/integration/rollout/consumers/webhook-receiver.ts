import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '../../../../lambdas/rollout/consumers';
import {
  createWebhookVerifier,
  type SignatureRejection,
  WEBHOOK_HEADERS,
} from '../../../../lambdas/webhooks/signature';

/** One request the receiver got, verified or not. */
export interface ReceivedWebhook {
  /** The Standard Webhooks headers it carried (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  readonly signature: Readonly<Record<string, string>>;
  /** Its `webhook-id`: the same for every attempt of one message. */
  readonly webhookId: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly rawBody: string;
  readonly status: number;
  /** Why the signature was rejected, when it was. */
  readonly rejected?: SignatureRejection;
  /** Whether this delivery was processed (first time its Idempotency-Key was seen). */
  readonly processed: boolean;
}

/** How the receiver answers a verified delivery: a status (and JSON body), or a delay first. */
export interface ReceiverAnswer {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

/**
 * A webhook receiver as a consumer would write one: verifies the Standard Webhooks signature
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`) over the RAW body with the keys it holds
 * (current and previous signing key), rejects replays (401), processes each `webhook-id` once (as the
 * specification suggests) and answers a repeat with `{"outcome":"already-current"}`. Scripted
 * answers let tests make it fail, stall or redirect.
 */
export async function startWebhookReceiver(keys: () => readonly string[]) {
  const verifier = createWebhookVerifier({ keys });
  const received: ReceivedWebhook[] = [];
  const processedIds = new Set<string>();
  const script: ReceiverAnswer[] = [];
  const payloads: WebhookPayload[] = [];

  const readBody = (request: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolve(Buffer.concat(chunks)));
      request.on('error', reject);
    });

  const server: Server = createServer((request, response) => {
    void readBody(request).then(async (raw) => {
      const signature: Record<string, string> = {};
      for (const name of Object.values(WEBHOOK_HEADERS)) {
        const value = request.headers[name];
        if (typeof value === 'string') signature[name] = value;
      }
      const webhookId = signature[WEBHOOK_HEADERS.id];
      const key = request.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' ? key : undefined;
      const rawBody = raw.toString('utf8');
      const verification = verifier.verify(request.headers, raw);
      if (!verification.valid) {
        received.push({
          signature,
          webhookId,
          idempotencyKey,
          rawBody,
          status: 401,
          rejected: verification.reason,
          processed: false,
        });
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: verification.reason }));
        return;
      }
      const answer = script.shift() ?? {};
      if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      const status = answer.status ?? 200;
      const ok = status >= 200 && status < 300;
      const repeat = processedIds.has(verification.id);
      if (ok && !repeat) {
        processedIds.add(verification.id);
        payloads.push(JSON.parse(rawBody) as WebhookPayload);
      }
      received.push({ signature, webhookId, idempotencyKey, rawBody, status, processed: ok && !repeat });
      if (response.destroyed) return;
      const body = ok && repeat ? { outcome: 'already-current' } : answer.body;
      response.writeHead(status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...answer.headers,
      });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/handover`,
    received,
    /** Payloads of processed deliveries. */
    payloads,
    /** Queues answers for the next verified deliveries. */
    answer(...answers: ReceiverAnswer[]) {
      script.push(...answers);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
