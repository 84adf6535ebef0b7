import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../../local/emulator';

/** A fresh emulator with fast rotation retries, for one test file. */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ rotation: { retries: 2, retryDelayMs: 0 }, ...options });
}

/** The real SDK client, pointed at the emulator over HTTP with dummy credentials. */
export function clientFor(emulator: Emulator, config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...config,
  });
}

/** A ClientRequestToken of the length the API accepts (32-64 characters). */
export function token(label: string): string {
  return `${label}-${crypto.randomUUID()}`.slice(0, 64).padEnd(32, '0');
}

let counter = 0;

/** A secret name unique within the test run. */
export function uniqueName(prefix = 'test/secret'): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}
