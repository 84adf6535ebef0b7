/**
 * Every reader source, by kind: the ONE registration of a source's contract (its runtime is the
 * other, in `./index.ts`). Pure: the CDK constructs import it; the rollout function uses the
 * sources' `config` (through `./index.ts`).
 */
import type * as z from 'zod/mini';
import { cloudTrailSource } from './cloudtrail.contract';
import { cloudTrailLakeSource } from './cloudtrail-lake.contract';
import type { ReaderSourceContract } from './source-contract';

export const READER_SOURCE_CONTRACTS = {
  cloudtrail: cloudTrailSource,
  'cloudtrail-lake': cloudTrailLakeSource,
} as const satisfies Readonly<Record<string, Pick<ReaderSourceContract, 'kind' | 'config' | 'settings'>>>;

/** A reader source kind. */
export type ReaderSourceKind = keyof typeof READER_SOURCE_CONTRACTS;

/** Every reader source kind, in registry order (the first is the default). */
export const READER_SOURCE_KINDS = /* @__PURE__ */ Object.keys(
  READER_SOURCE_CONTRACTS,
) as readonly ReaderSourceKind[];

// A registry entry under another kind's key does not compile.
type KindsMatchKeys = {
  [K in ReaderSourceKind]: (typeof READER_SOURCE_CONTRACTS)[K]['kind'] extends K ? K : never;
};
const kindsMatchKeys: { [K in ReaderSourceKind]: K } = {} as KindsMatchKeys;
void kindsMatchKeys;

/** A reader source of kind `K` as the rollout function reads it. */
export type ReaderSourceConfigOf<K extends ReaderSourceKind> = { readonly kind: K } & Readonly<
  z.output<z.ZodMiniObject<(typeof READER_SOURCE_CONTRACTS)[K]['config']>>
>;

/** A reader source as the rollout function reads it. */
export type ReaderSourceConfig = { [K in ReaderSourceKind]: ReaderSourceConfigOf<K> }[ReaderSourceKind];

/** A reader source of kind `K` as a policy writes it. */
export type ReaderSourceSettingsOf<K extends ReaderSourceKind> = { readonly kind: K } & Readonly<
  z.input<z.ZodMiniObject<ReturnType<(typeof READER_SOURCE_CONTRACTS)[K]['settings']>>>
>;

/** A reader source as a policy writes it. */
export type ReaderSourceSettings = { [K in ReaderSourceKind]: ReaderSourceSettingsOf<K> }[ReaderSourceKind];

/** The contract of a source kind (typed for generic code). */
export function readerSourceContract(kind: ReaderSourceKind): ReaderSourceContract {
  return READER_SOURCE_CONTRACTS[kind] as unknown as ReaderSourceContract;
}
