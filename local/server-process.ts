import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (there is a tiny race until the server binds it; start retries). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether this process runs as root (then database servers run as their own OS user). */
export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Runs `start` up to `attempts` times while it fails with an error `retryable` accepts (a lost
 * race for the port of {@link freePort}); throws the last error.
 *
 * @example
 * ```ts
 * return startWithRetries(() => startOnce(), (error) => String(error).includes('Address already in use'));
 * ```
 */
export async function startWithRetries<T>(
  start: () => Promise<T>,
  retryable: (error: unknown) => boolean = () => true,
  attempts = 3,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start();
    } catch (error) {
      lastError = error;
      if (!retryable(error)) break;
    }
  }
  throw lastError;
}
