/** Kinds of database round trip, reported to a {@link RoundTripHook}. */
export type RoundTripKind = 'connect' | 'query';

/**
 * Called on every database round trip (each connect, each statement), e.g. to report round trips
 * per rotation in benchmarks. Shared by every database credential type.
 */
export type RoundTripHook = (kind: RoundTripKind) => void;
