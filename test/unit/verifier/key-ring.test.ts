import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { generateSharedKey, KeyRing, RetiredKeys } from '../../../lambdas/verifier';
import { recordSecretMaterial } from '../../support/log-scan';
import { malformedCorpus } from './corpus';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const compare = vi.mocked(crypto.timingSafeEqual);

function key() {
  const value = generateSharedKey();
  recordSecretMaterial(value, value.slice(16));
  return { key: value, keyId: value.slice(3, 15), secret: value.slice(16) };
}

const current = key();
const previous = key();
const retired = key();
const stranger = key();

function ring() {
  const retiredKeys = new RetiredKeys(4);
  retiredKeys.add(retired.keyId, 'v0');
  return new KeyRing(
    { versionId: 'v2', keyId: current.keyId, secret: current.secret },
    { versionId: 'v1', keyId: previous.keyId, secret: previous.secret },
    retiredKeys,
  );
}

const open = () => true;
const closed = () => false;
const stale = () => 'stale' as const;

/** `secret` with one character changed at `index`, still base62. */
function flip(secret: string, index: number): string {
  const c = secret[index] === 'A' ? 'B' : 'A';
  return `${secret.slice(0, index)}${c}${secret.slice(index + 1)}`;
}

beforeEach(() => {
  compare.mockClear();
});

describe('Class: KeyRing', () => {
  it.each([
    [
      'the current key',
      () => current.key,
      open,
      { outcome: 'accepted-current', keyId: current.keyId, versionId: 'v2' },
    ],
    [
      'the previous key in grace',
      () => previous.key,
      open,
      { outcome: 'accepted-previous', keyId: previous.keyId, versionId: 'v1' },
    ],
    [
      'the previous key after grace',
      () => previous.key,
      closed,
      { outcome: 'rejected-revoked', keyId: previous.keyId, versionId: 'v1' },
    ],
    [
      'the previous key while the keys are stale',
      () => previous.key,
      stale,
      { outcome: 'rejected-stale', keyId: previous.keyId, versionId: 'v1' },
    ],
    [
      'the current key while the keys are stale',
      () => current.key,
      stale,
      { outcome: 'accepted-current', keyId: current.keyId, versionId: 'v2' },
    ],
    [
      'a retired key',
      () => retired.key,
      open,
      { outcome: 'rejected-revoked', keyId: retired.keyId, versionId: 'v0' },
    ],
    ['an unknown key', () => stranger.key, open, { outcome: 'rejected-unknown', keyId: stranger.keyId }],
    [
      'the current id with a wrong secret',
      () => `hk_${current.keyId}_${stranger.secret}`,
      open,
      { outcome: 'rejected-unknown', keyId: current.keyId },
    ],
    [
      'the previous id with a wrong secret',
      () => `hk_${previous.keyId}_${stranger.secret}`,
      open,
      { outcome: 'rejected-unknown', keyId: previous.keyId },
    ],
  ])('decides %s', (_label, presented, grace, expected) => {
    const decision = ring().decide(presented(), grace);
    expect(decision).toEqual({ ...expected, accepted: expected.outcome.startsWith('accepted') });
  });

  it.each([
    ['the current key', () => current.key],
    ['the previous key', () => previous.key],
    ['a wrong secret for a known id', () => `hk_${current.keyId}_${stranger.secret}`],
    ['an unknown id', () => stranger.key],
    ['a retired id', () => retired.key],
  ])(
    'compares the secret part of %s exactly once, in constant time, on two 43-byte buffers',
    (_label, presented) => {
      const r = ring();
      compare.mockClear();
      r.decide(presented(), open);
      expect(compare).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0] ?? [];
      expect(Buffer.isBuffer(a) && Buffer.isBuffer(b)).toBe(true);
      expect((a as Buffer).length).toBe(43);
      expect((b as Buffer).length).toBe(43);
    },
  );

  it('never compares a malformed value', () => {
    const r = ring();
    compare.mockClear();
    for (const [, value] of malformedCorpus(current.key)) {
      expect(r.decide(value, open).outcome).toBe('rejected-malformed');
    }
    expect(compare).not.toHaveBeenCalled();
  });

  it('gives the same decision whichever character of the secret is wrong', () => {
    const r = ring();
    const decisions = [0, 1, 21, 41, 42].map((i) =>
      r.decide(`hk_${current.keyId}_${flip(current.secret, i)}`, open),
    );
    for (const decision of decisions) expect(decision).toEqual(decisions[0]);
    expect(decisions[0]).toEqual({ outcome: 'rejected-unknown', accepted: false, keyId: current.keyId });
  });

  it('counts accepts per key and nothing for rejections', () => {
    const r = ring();
    r.decide(current.key, open);
    r.decide(current.key, open);
    r.decide(previous.key, open);
    r.decide(previous.key, closed);
    r.decide(stranger.key, open);
    expect(r.entries().map((e) => [e.stage, e.accepts])).toEqual([
      ['current', 2],
      ['previous', 1],
    ]);
  });

  it('asks whether the grace window is open only for the previous key', () => {
    const grace = vi.fn(() => true);
    const r = ring();
    r.decide(current.key, grace);
    r.decide(stranger.key, grace);
    expect(grace).not.toHaveBeenCalled();
    r.decide(previous.key, grace);
    expect(grace).toHaveBeenCalledTimes(1);
  });

  it('returns decisions that hold no secret, freezing the ones it shares between calls', () => {
    const r = ring();
    for (const presented of [current.key, previous.key, `hk_${current.keyId}_${stranger.secret}`]) {
      const decision = r.decide(presented, open);
      expect(r.decide(presented, open)).toBe(decision);
      expect(Object.isFrozen(decision)).toBe(true);
    }
    for (const presented of [
      current.key,
      previous.key,
      stranger.key,
      `${current.key}x`,
      `hk_${current.keyId}_${stranger.secret}`,
    ]) {
      const text = JSON.stringify(r.decide(presented, open));
      for (const secret of [current.secret, previous.secret, stranger.secret])
        expect(text).not.toContain(secret);
    }
  });

  it('keeps one entry when AWSPREVIOUS holds the same key as AWSCURRENT', () => {
    const r = new KeyRing(
      { versionId: 'v2', keyId: current.keyId, secret: current.secret },
      { versionId: 'v1', keyId: current.keyId, secret: current.secret },
      new RetiredKeys(1),
    );
    expect(r.entries()).toHaveLength(1);
    expect(r.decide(current.key, closed).outcome).toBe('accepted-current');
  });
});

describe('Class: RetiredKeys', () => {
  it('forgets the oldest ids beyond its capacity', () => {
    const keys = new RetiredKeys(2);
    keys.add('aaaaaaaaaaaa', 'v1');
    keys.add('bbbbbbbbbbbb', 'v2');
    keys.add('cccccccccccc', 'v3');
    expect(keys.ids()).toEqual(['bbbbbbbbbbbb', 'cccccccccccc']);
    expect(keys.get('aaaaaaaaaaaa')).toBeUndefined();
    expect(keys.get('cccccccccccc')).toEqual({
      outcome: 'rejected-revoked',
      accepted: false,
      keyId: 'cccccccccccc',
      versionId: 'v3',
    });
  });

  it('refreshes an id that is retired again and forgets a restored one', () => {
    const keys = new RetiredKeys(2);
    keys.add('aaaaaaaaaaaa', 'v1');
    keys.add('bbbbbbbbbbbb', 'v2');
    keys.add('aaaaaaaaaaaa', 'v1');
    keys.add('cccccccccccc', 'v3');
    expect(keys.ids()).toEqual(['aaaaaaaaaaaa', 'cccccccccccc']);
    keys.delete('aaaaaaaaaaaa');
    expect(keys.ids()).toEqual(['cccccccccccc']);
  });
});
