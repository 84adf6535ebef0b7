import type { CloudTrailSend } from '../../../shared/cloudtrail';
import type { ConsumerShape } from '../../consumers/consumer-contract';
import type { ReaderSource } from '../model';
import { createCloudTrailSource } from './cloudtrail';
import { cloudTrailSourceConfig } from './cloudtrail.contract';
import { createCloudTrailLakeSource } from './cloudtrail-lake';
import { cloudTrailLakeSourceConfig } from './cloudtrail-lake.contract';
import type {
  READER_SOURCE_CONTRACTS,
  ReaderSourceConfig,
  ReaderSourceConfigOf,
  ReaderSourceKind,
} from './contracts';

/** The ports every reader source together needs. */
export interface ReaderSourceDeps {
  readonly cloudTrail: CloudTrailSend;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A source as the rollout function runs it: the configuration it reads, and its runtime. */
interface ReaderSourceRuntime<K extends ReaderSourceKind> {
  readonly config: (typeof READER_SOURCE_CONTRACTS)[K]['config'] & ConsumerShape;
  readonly create: (config: ReaderSourceConfigOf<K>, deps: ReaderSourceDeps) => ReaderSource;
}

/**
 * Every reader source as the rollout function runs it, by kind: the ONE registration of a source's
 * runtime (its contract's is in `./contracts.ts`). An exhaustive record.
 */
export const READER_SOURCE_RUNTIMES: { readonly [K in ReaderSourceKind]: ReaderSourceRuntime<K> } = {
  cloudtrail: { config: cloudTrailSourceConfig, create: createCloudTrailSource },
  'cloudtrail-lake': { config: cloudTrailLakeSourceConfig, create: createCloudTrailLakeSource },
};

/** Builds the reader source a configuration names. */
export type ReaderSources = (config: ReaderSourceConfig) => ReaderSource;

/**
 * The reader sources, over the ports.
 *
 * @example
 * ```ts
 * const sources = createReaderSources({ cloudTrail: new CloudTrailClient({}) });
 * const scan = await sources(config.readers.source).reads(query);
 * ```
 */
export function createReaderSources(deps: ReaderSourceDeps): ReaderSources {
  return (config) =>
    (
      READER_SOURCE_RUNTIMES[config.kind].create as (
        c: ReaderSourceConfig,
        d: ReaderSourceDeps,
      ) => ReaderSource
    )(config, deps);
}
