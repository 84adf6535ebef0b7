import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthOutcome } from './constants';
import { keyIdOfMalformed, SHARED_KEY_FORMAT, SHARED_KEY_LENGTH, SHARED_KEY_PATTERN } from './key-format';

/**
 * A structured authentication decision. Never holds the presented key or any part of its secret, so
 * it is safe to log and to return to the client (a 401 body may name the outcome and key id).
 * Decisions are shared between calls where they can be (accepts, known ids): treat them as
 * immutable (the shared ones are frozen).
 */
export interface AuthDecision {
  readonly outcome: AuthOutcome;
  /** `true` for `accepted-current` and `accepted-previous`. */
  readonly accepted: boolean;
  /**
   * The key id the presented value names, when it is parseable (for `rejected-malformed`, when the
   * value at least starts like a key: `hk_<valid id>_`). Public: safe to log and return.
   */
  readonly keyId?: string;
  /**
   * The Secrets Manager version id of the key that decided the outcome: the accepting version, or
   * the retired version of a `rejected-revoked` key.
   */
  readonly versionId?: string;
}

/** One version of the secret as the ring holds it. */
export interface KeyRingVersion {
  readonly versionId: string;
  readonly keyId: string;
  /** The secret part of the key (43 base62 characters). */
  readonly secret: string;
}

/**
 * Whether the AWSPREVIOUS key may be accepted now: `true` (the grace window is open and the keys are
 * fresh), `false` (the grace window is closed: `rejected-revoked`) or `'stale'` (no key refresh has
 * succeeded for too long, so a revocation may have gone unseen: `rejected-stale`). Asked only when
 * the presented id is the previous key's.
 */
export type PreviousKeyGate = () => boolean | 'stale';

/** Stage of a key in the ring. */
export type KeyStage = 'current' | 'previous';

/** A key the ring accepts; counts its own accepts (read and reset by the metrics flush). */
export interface KeyEntry {
  readonly keyId: string;
  readonly versionId: string;
  readonly stage: KeyStage;
  /** Accepts since the last metrics flush. */
  accepts: number;
}

interface InternalEntry extends KeyEntry {
  readonly secret: Buffer;
  readonly acceptedDecision: AuthDecision;
  readonly revokedDecision: AuthDecision;
  readonly staleDecision: AuthDecision;
  readonly unknownDecision: AuthDecision;
}

const decision = (value: AuthDecision): AuthDecision => Object.freeze(value);

const MALFORMED = decision({ outcome: 'rejected-malformed', accepted: false });

/**
 * A small bounded set of key ids that were accepted once and no longer are (AWSPREVIOUS removed by
 * a revoke, or pushed out by a later rotation), so a client still sending one gets the precise
 * `rejected-revoked` rather than `rejected-unknown`. Oldest entries are dropped beyond `capacity`.
 * Only ids and version ids are kept: the secret part of a retired key is dropped from memory.
 */
export class RetiredKeys {
  readonly #decisions = new Map<string, AuthDecision>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Remembers `keyId` (of version `versionId`) as retired. */
  add(keyId: string, versionId: string): void {
    this.#decisions.delete(keyId);
    this.#decisions.set(keyId, decision({ outcome: 'rejected-revoked', accepted: false, keyId, versionId }));
    for (const oldest of this.#decisions.keys()) {
      if (this.#decisions.size <= this.#capacity) break;
      this.#decisions.delete(oldest);
    }
  }

  /** Forgets `keyId` (it is accepted again, e.g. after a restore). */
  delete(keyId: string): void {
    this.#decisions.delete(keyId);
  }

  /** The `rejected-revoked` decision for a retired id, or `undefined`. */
  get(keyId: string): AuthDecision | undefined {
    return this.#decisions.get(keyId);
  }

  /** The retired key ids, oldest first. */
  ids(): string[] {
    return [...this.#decisions.keys()];
  }
}

/**
 * The keys a verifier accepts at one moment (AWSCURRENT and, when present, AWSPREVIOUS), and the
 * synchronous decision procedure. Immutable once built: a refresh builds a new ring and swaps it in
 * with one assignment, so a decision never sees half an update.
 *
 * Constant-time comparison: a presented key is first checked for the exact format (length, then the
 * pattern), then looked up by its PUBLIC key id, then its secret part is compared with
 * `crypto.timingSafeEqual` on two 43-byte buffers. An id that matches no accepted key is compared
 * against a random dummy secret all the same, so the work done does not depend on the secret part
 * at all, and on the id only through the map lookup, which reveals no more than the id itself
 * (public by design).
 */
export class KeyRing {
  readonly current: KeyEntry;
  readonly previous: KeyEntry | undefined;
  readonly #byId = new Map<string, InternalEntry>();
  readonly #retired: RetiredKeys;
  readonly #scratch = Buffer.alloc(SHARED_KEY_FORMAT.secretLength);
  readonly #dummy = randomBytes(SHARED_KEY_FORMAT.secretLength);

  constructor(current: KeyRingVersion, previous: KeyRingVersion | undefined, retired: RetiredKeys) {
    this.#retired = retired;
    const currentEntry = KeyRing.#entry(current, 'current');
    this.current = currentEntry;
    this.#byId.set(current.keyId, currentEntry);
    if (previous !== undefined && previous.keyId !== current.keyId) {
      const previousEntry = KeyRing.#entry(previous, 'previous');
      this.previous = previousEntry;
      this.#byId.set(previous.keyId, previousEntry);
    }
  }

  static #entry(version: KeyRingVersion, stage: KeyStage): InternalEntry {
    const { keyId, versionId } = version;
    const secret = Buffer.from(version.secret, 'latin1');
    if (secret.length !== SHARED_KEY_FORMAT.secretLength) {
      throw new RangeError(`the secret part of key ${keyId} must be ${SHARED_KEY_FORMAT.secretLength} bytes`);
    }
    return {
      keyId,
      versionId,
      stage,
      accepts: 0,
      secret,
      acceptedDecision: decision({
        outcome: stage === 'current' ? 'accepted-current' : 'accepted-previous',
        accepted: true,
        keyId,
        versionId,
      }),
      revokedDecision: decision({ outcome: 'rejected-revoked', accepted: false, keyId, versionId }),
      staleDecision: decision({ outcome: 'rejected-stale', accepted: false, keyId, versionId }),
      unknownDecision: decision({ outcome: 'rejected-unknown', accepted: false, keyId }),
    };
  }

  /** Whether `keyId` is the id of a key in this ring (accepted or not: see {@link decide}). */
  has(keyId: string): boolean {
    return this.#byId.has(keyId);
  }

  /** The entries of this ring (current first). */
  entries(): KeyEntry[] {
    return this.previous === undefined ? [this.current] : [this.current, this.previous];
  }

  /**
   * Decides one presented value. Synchronous, allocation-free on the accept path, no I/O.
   *
   * @param previousGate - whether the AWSPREVIOUS key may be accepted now; called only when the
   *   presented id is the previous key's. `false`: that id is `rejected-revoked`; `'stale'`:
   *   `rejected-stale`. The AWSCURRENT key never depends on it.
   */
  decide(presented: unknown, previousGate: PreviousKeyGate): AuthDecision {
    if (
      typeof presented !== 'string' ||
      presented.length !== SHARED_KEY_LENGTH ||
      !SHARED_KEY_PATTERN.test(presented)
    ) {
      return KeyRing.malformed(presented);
    }
    // Safe: the pattern guarantees ASCII, so latin1 maps one character to one byte.
    this.#scratch.write(presented.slice(SHARED_KEY_LENGTH - SHARED_KEY_FORMAT.secretLength), 0, 'latin1');
    const keyId = presented.slice(3, 3 + SHARED_KEY_FORMAT.idLength);
    const entry = this.#byId.get(keyId);
    if (entry === undefined) {
      timingSafeEqual(this.#scratch, this.#dummy);
      // Not frozen: a fresh object per call, shared with no one.
      return this.#retired.get(keyId) ?? { outcome: 'rejected-unknown', accepted: false, keyId };
    }
    const match = timingSafeEqual(this.#scratch, entry.secret);
    if (entry.stage === 'previous') {
      // Decided by the (public) id alone: the grace window is closed, or the keys are too old to
      // know whether this key is still AWSPREVIOUS.
      const gate = previousGate();
      if (gate !== true) return gate === false ? entry.revokedDecision : entry.staleDecision;
    }
    if (!match) return entry.unknownDecision;
    entry.accepts += 1;
    return entry.acceptedDecision;
  }

  /** The decision for a value that is not a well-formed key. */
  static malformed(presented: unknown): AuthDecision {
    const keyId = keyIdOfMalformed(presented);
    return keyId === undefined ? MALFORMED : { outcome: 'rejected-malformed', accepted: false, keyId };
  }
}
