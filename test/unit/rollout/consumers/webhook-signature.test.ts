import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  createWebhookVerifier,
  parseSignatureHeader,
  signWebhook,
  verifyWebhookSignature,
} from '../../../../lambdas/webhooks/signature';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';

captureProcessOutput();

const KEY = 'whsec_unit-test-signing-key-0123456789abcdef';
const PREVIOUS_KEY = 'whsec_unit-test-previous-key-fedcba9876543210';
const OTHER_KEY = 'whsec_someone-elses-key-000000000000000000000';
recordSecretMaterial(KEY, PREVIOUS_KEY, OTHER_KEY);

const BODY = '{"type":"handover.credential.rotated","phase":"update","versionId":"v2"}';
const NOW = 1_763_719_200;

describe('Function: computeSignature', () => {
  it('is the hex HMAC-SHA256 of "<t>.<body>"', () => {
    const expected = createHmac('sha256', KEY).update(`${NOW}.${BODY}`).digest('hex');

    expect(computeSignature(KEY, NOW, BODY)).toBe(expected);
  });

  it('signs raw bytes the same as the equal string', () => {
    expect(computeSignature(KEY, NOW, Buffer.from(BODY))).toBe(computeSignature(KEY, NOW, BODY));
  });

  it('refuses a key shorter than 32 characters', () => {
    expect(() => computeSignature('short-key', NOW, BODY)).toThrow('at least 32 characters, got 9');
  });

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => computeSignature(KEY, 1.5, BODY)).toThrow('whole Unix seconds');
  });
});

describe('Function: signWebhook', () => {
  it('formats t=<unix>,v1=<hex>', () => {
    expect(signWebhook(BODY, KEY, NOW)).toBe(`t=${NOW},v1=${computeSignature(KEY, NOW, BODY)}`);
  });

  it('adds one v1 entry per key', () => {
    const header = signWebhook(BODY, [KEY, PREVIOUS_KEY], NOW);

    expect(parseSignatureHeader(header)?.signatures).toEqual([
      computeSignature(KEY, NOW, BODY),
      computeSignature(PREVIOUS_KEY, NOW, BODY),
    ]);
  });

  it('needs a key', () => {
    expect(() => signWebhook(BODY, [], NOW)).toThrow('at least one key');
  });
});

describe('Function: parseSignatureHeader', () => {
  it('ignores unknown schemes and spaces', () => {
    const v1 = computeSignature(KEY, NOW, BODY);

    expect(parseSignatureHeader(`t=${NOW}, v0=abc, v1=${v1.toUpperCase()}`)).toEqual({
      timestamp: NOW,
      signatures: [v1],
    });
  });

  it.each([
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no signature', `t=${NOW}`],
    ['two timestamps', `t=${NOW},t=${NOW},v1=${'a'.repeat(64)}`],
    ['a short digest', `t=${NOW},v1=abcd`],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['garbage', 'hello'],
  ])('rejects a header with %s', (_case, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
  });
});

describe('Function: verifyWebhookSignature', () => {
  const header = signWebhook(BODY, KEY, NOW);

  it('accepts a signature made with one of the keys', () => {
    expect(
      verifyWebhookSignature({ header, body: BODY, keys: [PREVIOUS_KEY, KEY], nowSeconds: NOW }),
    ).toEqual({
      valid: true,
      timestamp: NOW,
    });
  });

  it.each([
    ['missing', undefined, BODY, [KEY], NOW],
    ['malformed', 't=1', BODY, [KEY], NOW],
    ['mismatch', header, `${BODY} `, [KEY], NOW],
    ['mismatch', header, BODY, [OTHER_KEY], NOW],
    ['stale', header, BODY, [KEY], NOW + 301],
    ['future', header, BODY, [KEY], NOW - 301],
  ] as const)('rejects as %s', (reason, h, body, keys, now) => {
    expect(verifyWebhookSignature({ header: h, body, keys, nowSeconds: now })).toEqual({
      valid: false,
      reason,
    });
  });

  it('accepts a timestamp at the edge of the tolerance window', () => {
    expect(
      verifyWebhookSignature({ header, body: BODY, keys: [KEY], nowSeconds: NOW + 60, toleranceSeconds: 60 })
        .valid,
    ).toBe(true);
  });

  it('rejects a body signed at another timestamp (the timestamp is signed too)', () => {
    const v1 = computeSignature(KEY, NOW, BODY);

    expect(
      verifyWebhookSignature({ header: `t=${NOW + 10},v1=${v1}`, body: BODY, keys: [KEY], nowSeconds: NOW }),
    ).toEqual({ valid: false, reason: 'mismatch' });
  });
});

describe('Function: createWebhookVerifier', () => {
  it('rejects the same signed request a second time as replayed', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], now: () => now });
    const header = signWebhook(BODY, KEY, NOW);

    expect(verifier.verify(header, BODY).valid).toBe(true);
    now += 5000;
    expect(verifier.verify(header, BODY)).toEqual({ valid: false, reason: 'replayed' });
  });

  it('rejects a replay that drops one of several v1 entries', () => {
    const verifier = createWebhookVerifier({ keys: [KEY, PREVIOUS_KEY], now: () => NOW * 1000 });
    const header = signWebhook(BODY, [KEY, PREVIOUS_KEY], NOW);

    expect(verifier.verify(header, BODY).valid).toBe(true);
    expect(verifier.verify(`t=${NOW},v1=${computeSignature(PREVIOUS_KEY, NOW, BODY)}`, BODY)).toEqual({
      valid: false,
      reason: 'replayed',
    });
  });

  it('accepts a retry re-signed with a fresh timestamp', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], now: () => now });

    expect(verifier.verify(signWebhook(BODY, KEY, NOW), BODY).valid).toBe(true);
    now += 2000;
    expect(verifier.verify(signWebhook(BODY, KEY, NOW + 2), BODY).valid).toBe(true);
  });

  it('forgets signatures once they leave the window, and rejects them as stale then', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], toleranceSeconds: 60, now: () => now });
    const header = signWebhook(BODY, KEY, NOW);
    verifier.verify(header, BODY);

    now += 61_000;
    const result = verifier.verify(header, BODY);

    expect(result).toEqual({ valid: false, reason: 'stale' });
    expect(verifier.remembered).toBe(0);
  });

  it('does not remember rejected signatures', () => {
    const verifier = createWebhookVerifier({ keys: [OTHER_KEY], now: () => NOW * 1000 });

    verifier.verify(signWebhook(BODY, KEY, NOW), BODY);

    expect(verifier.remembered).toBe(0);
  });

  it('reads the keys on every verification, following a rotation of the signing key', () => {
    let keys = [PREVIOUS_KEY];
    const verifier = createWebhookVerifier({ keys: () => keys, now: () => NOW * 1000 });

    expect(verifier.verify(signWebhook(BODY, KEY, NOW), BODY).valid).toBe(false);
    keys = [KEY, PREVIOUS_KEY];
    expect(verifier.verify(signWebhook(BODY, KEY, NOW), BODY).valid).toBe(true);
  });
});
