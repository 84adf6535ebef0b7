import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { createEmfMetricsSink, createVerifier, parseBearer } from 'handover/verifier';

const secretId = process.env.API_KEY_SECRET_ID;
if (secretId === undefined) throw new Error('API_KEY_SECRET_ID is not set');

// Loaded once per execution environment; refreshed in the background, never on the request path.
const verifier = await createVerifier({
  secretId,
  client: new SecretsManagerClient({}),
  metrics: createEmfMetricsSink(),
});

export async function handler(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> {
  const decision = verifier.verify(parseBearer(event.headers.authorization), {
    path: event.rawPath,
    method: event.requestContext.http.method,
  });
  if (!decision.accepted) {
    // Which key failed and why, never the key itself.
    return {
      statusCode: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      body: JSON.stringify({ error: 'unauthorized', outcome: decision.outcome, key_id: decision.keyId }),
    };
  }
  return { statusCode: 200, body: JSON.stringify({ ok: true, key_id: decision.keyId }) };
}
