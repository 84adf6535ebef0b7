import type { RdsDiscovery, RdsDiscoveryClients } from './discovery';

/**
 * An {@link RdsDiscovery} built on its first use: `build` runs once, when a secret first needs RDS
 * (no `host`, an RDS-managed master secret, a read replica), and every call then goes to what it
 * built. A composition root passes a `build` that imports the RDS client dynamically, so a function
 * whose secrets name their host never loads or evaluates `@aws-sdk/client-rds`. A failed build is
 * retried on the next call.
 *
 * @example
 * ```ts
 * const rds = lazyRdsDiscovery(async () =>
 *   (await import('../database/rds/discovery')).createDefaultRdsDiscovery(secrets),
 * );
 * ```
 */
export function lazyRdsDiscovery(build: () => Promise<RdsDiscovery>): RdsDiscovery {
  let built: Promise<RdsDiscovery> | undefined;
  const discovery = (): Promise<RdsDiscovery> => {
    if (built === undefined) {
      const building = build();
      built = building;
      building.catch(() => {
        if (built === building) built = undefined;
      });
    }
    return built;
  };
  return {
    describeInstance: async (identifier) => (await discovery()).describeInstance(identifier),
    describeCluster: async (identifier) => (await discovery()).describeCluster(identifier),
    secretTags: async (secretId) => (await discovery()).secretTags(secretId),
  };
}

/**
 * The production {@link RdsDiscovery} of a database rotation function, on demand: the RDS client
 * (`@aws-sdk/client-rds`, with the request timeouts of `RDS_CLIENT_CONFIG`) is imported and built
 * when a secret first needs RDS; `secrets` (the function's own Secrets Manager port) reads the tags
 * of RDS-managed master secrets.
 *
 * @example
 * ```ts
 * // handler.ts
 * const secrets = createSecretsManagerPort(new SecretsManagerClient({}));
 * const rds = rdsDiscoveryOnDemand(secrets);
 * ```
 */
export function rdsDiscoveryOnDemand(secrets: RdsDiscoveryClients['secrets']): RdsDiscovery {
  // Importing our module (not the SDK package's namespace) keeps the bundle to the RDS commands used.
  return lazyRdsDiscovery(async () => (await import('./discovery')).createDefaultRdsDiscovery(secrets));
}
