/**
 * The CI side: receives Handover's rollout webhook, verifies its Standard Webhooks signature with the
 * signing key (the secret `handover/webhook-signing/CiDeployerKey/ci-pipeline` the stack creates),
 * and answers 2xx once the pipeline will use the new key version.
 *
 *   WEBHOOK_SIGNING_KEY=... PORT=8443 npx tsx receiver/server.ts
 */
import { createServer } from 'node:http';
import { createWebhookVerifier } from 'handover/webhooks';

const signingKey = process.env.WEBHOOK_SIGNING_KEY;
if (signingKey === undefined) throw new Error('WEBHOOK_SIGNING_KEY is not set');
const verifier = createWebhookVerifier({ keys: [signingKey] });

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const verification = verifier.verify(request.headers, body);
    if (!verification.valid) {
      response.writeHead(401).end(verification.reason);
      return;
    }
    const { secretArn, versionId } = JSON.parse(body.toString('utf8')) as {
      secretArn: string;
      versionId: string;
    };
    // Here: tell the pipeline to read secretArn at versionId from now on.
    process.stdout.write(`new key version ${versionId} of ${secretArn}\n`);
    response.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 8443));
