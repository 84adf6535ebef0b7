/**
 * Example: a `node:http` service that accepts a Handover shared key.
 *
 * Every request must carry `Authorization: Bearer hk_<id>_<secret>`. A rejected request gets a 401
 * with a JSON body naming the outcome and the key id, so the client's operator can see WHICH key
 * failed and WHY, and never the key itself:
 *
 * ```
 * HTTP/1.1 401 Unauthorized
 * WWW-Authenticate: Bearer error="invalid_token"
 * {"error":"unauthorized","outcome":"rejected-revoked","key_id":"7mqc2xk4bd5t"}
 * ```
 *
 * A request accepted with the AWSPREVIOUS key gets `x-handover-key: accepted-previous`, a hint for
 * the client to re-read the secret before the grace window ends.
 *
 * Run it against a real secret (or the local emulator through `AWS_ENDPOINT_URL`):
 *
 * ```sh
 * HANDOVER_SHARED_KEY_SECRET_ID=prod/orders/api-key PORT=8080 npx tsx lambdas/verifier/examples/node-http.ts
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AuthDecision, createVerifier, parseBearer, type Verifier } from '../index';

/** Handles a request that passed authentication. */
export type AuthenticatedHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  decision: AuthDecision,
) => void;

const json = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
};

/** The default handler: 200 with the outcome and key id. */
const echo: AuthenticatedHandler = (_request, response, decision) =>
  json(response, 200, { ok: true, outcome: decision.outcome, key_id: decision.keyId });

/**
 * Wraps `handle` with shared-key authentication. The check is synchronous (`verifier.verify` never
 * awaits or calls AWS), so it adds well under a microsecond to a request.
 *
 * @example
 * ```ts
 * const verifier = await createVerifier({ secretId, client: new SecretsManagerClient({}) });
 * createAuthServer(verifier, (req, res) => res.end('hello')).listen(8080);
 * ```
 */
export function createAuthServer(verifier: Verifier, handle: AuthenticatedHandler = echo): Server {
  return createServer((request, response) => {
    const clientId = request.headers['x-client-id'];
    const decision = verifier.verify(parseBearer(request.headers.authorization), {
      remote_address: request.socket.remoteAddress,
      // Who the client says it is: `callers: { field: 'client_id' }` names previous-key callers by it.
      ...(typeof clientId === 'string' ? { client_id: clientId } : {}),
      method: request.method,
      // The path only: a query string may carry anything.
      path: (request.url ?? '/').split('?')[0],
    });
    if (!decision.accepted) {
      json(
        response,
        401,
        { error: 'unauthorized', outcome: decision.outcome, key_id: decision.keyId },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
      return;
    }
    if (decision.outcome === 'accepted-previous') response.setHeader('x-handover-key', decision.outcome);
    handle(request, response, decision);
  });
}

async function main(): Promise<void> {
  const secretId = process.env.HANDOVER_SHARED_KEY_SECRET_ID;
  if (secretId === undefined || secretId === '') {
    throw new Error('set HANDOVER_SHARED_KEY_SECRET_ID to the name or ARN of the shared-key secret');
  }
  const verifier = await createVerifier({ secretId, client: new SecretsManagerClient({}) });
  const server = createAuthServer(verifier);
  server.listen(Number(process.env.PORT ?? 8080));
  const stop = () => {
    server.close();
    void verifier.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
