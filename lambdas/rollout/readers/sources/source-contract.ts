/**
 * What every reader source's contract (`sources/<kind>.contract.ts`, beside its runtime) declares:
 * pure data and pure functions (no SDK, no I/O), imported by the rollout function (which parses its
 * configuration with `config`) and by the CDK constructs (which validate `settings`, grant
 * `permissions` and write `toConfig`'s result). A reader source answers one question: who read this
 * secret, when, from where (`ReaderSource` in `../model.ts`).
 */
import type * as z from 'zod/mini';
import type { ConsumerPermission, ConsumerShape } from '../../consumers/consumer-contract';

/** A reader source's contract. */
export interface ReaderSourceContract<
  Kind extends string = string,
  Config extends ConsumerShape = ConsumerShape,
  Settings extends ConsumerShape = ConsumerShape,
> {
  /** The kind: `readers.source.kind` in a policy and in the rollout configuration. */
  readonly kind: Kind;
  /** One line for the docs and the summaries: what it reads, how far back. */
  readonly describe: string;
  /** What the rollout function receives, besides `kind`. */
  readonly config: Config;
  /** What a policy writes, besides `kind` (each issue message says what is allowed). */
  readonly settings: () => Settings;
  /** THE mapping from settings to configuration. */
  readonly toConfig: (settings: z.output<z.ZodMiniObject<Settings>>) => z.input<z.ZodMiniObject<Config>>;
  /** What the rollout function must be allowed to do to read with it. */
  readonly permissions: (
    settings: z.output<z.ZodMiniObject<Settings>>,
  ) => readonly Exclude<
    ConsumerPermission,
    { readonly readSecret: string } | { readonly putEvents: string }
  >[];
}

/**
 * Declares a reader source's contract (an identity that keeps the literal types). Call it as
 * `/* @__PURE__ *\/ defineReaderSource({...})` with only literals and functions inside.
 */
export function defineReaderSource<
  const Kind extends string,
  Config extends ConsumerShape,
  Settings extends ConsumerShape,
>(contract: ReaderSourceContract<Kind, Config, Settings>): ReaderSourceContract<Kind, Config, Settings> {
  return contract;
}
