import { createHmac, randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  createWebhookVerifier,
  parseWebhookHeaders,
  type SignedWebhookHeaders,
  signWebhook,
  standardWebhooksSecret,
  verifyWebhookSignature,
} from '../../../../lambdas/webhooks/signature';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';

captureProcessOutput();

/** The Standard Webhooks specification's published test vector. */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const KEY = `whsec_${randomBytes(32).toString('base64')}`;
const PREVIOUS_KEY = `whsec_${randomBytes(32).toString('base64')}`;
const OTHER_KEY = `whsec_${randomBytes(32).toString('base64')}`;
/** A signing key that is not in the whsec_ form (a Handover shared key, say). */
const RAW_KEY = 'hk_7mqc2xk4bd5t_Q3xYk0J8pZ2m9WvR4tLb6NcF1hD7sGaE5uKoTiV0yXw';
recordSecretMaterial(KEY, PREVIOUS_KEY, OTHER_KEY, RAW_KEY);

const BODY = '{"type":"handover.credential.rotated","phase":"update","versionId":"v2"}';
const ID = 'msg_rollout-partner-update';
const NOW = 1_763_719_200;

const sign = (keys: string | readonly string[], timestamp = NOW, body = BODY, id = ID) =>
  signWebhook({ id, timestamp, body, keys });

describe('Function: signWebhook', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    expect(
      signWebhook({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body, keys: VECTOR.secret }),
    ).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    });
  });

  it('is v1, base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the base64-decoded whsec_ secret', () => {
    const key = Buffer.from(KEY.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${ID}.${NOW}.${BODY}`).digest('base64');

    expect(sign(KEY)['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('keys a signing key that is not whsec_ with its UTF-8 bytes, the same as its whsec_ form', () => {
    const expected = createHmac('sha256', RAW_KEY).update(`${ID}.${NOW}.${BODY}`).digest('base64');

    expect(sign(RAW_KEY)['webhook-signature']).toBe(`v1,${expected}`);
    expect(standardWebhooksSecret(RAW_KEY)).toBe(`whsec_${Buffer.from(RAW_KEY).toString('base64')}`);
    expect(sign(standardWebhooksSecret(RAW_KEY))).toEqual(sign(RAW_KEY));
  });

  it('signs raw bytes the same as the equal string', () => {
    expect(signWebhook({ id: ID, timestamp: NOW, body: Buffer.from(BODY), keys: KEY })).toEqual(sign(KEY));
  });

  it('puts one space-separated signature per key, in order', () => {
    const both = sign([KEY, PREVIOUS_KEY])['webhook-signature'];

    expect(both).toBe(`${sign(KEY)['webhook-signature']} ${sign(PREVIOUS_KEY)['webhook-signature']}`);
  });

  it.each([
    ['a raw key shorter than 32 characters', 'short-key', 'at least 32 characters, got 9'],
    ['a whsec_ secret that is not base64', 'whsec_not-base64-at-all-0123456789abcdef', 'standard base64'],
    [
      'a whsec_ secret under 24 bytes',
      `whsec_${randomBytes(16).toString('base64')}`,
      'at least 24 bytes, got 16',
    ],
  ])('refuses %s, without echoing it', (_label, key, message) => {
    expect(() => sign(key)).toThrow(message);
    try {
      sign(key);
    } catch (error) {
      expect((error as Error).message).not.toContain(key);
    }
  });

  it('refuses no key, a fractional timestamp and an id with spaces', () => {
    expect(() => sign([])).toThrow('at least one key');
    expect(() => sign(KEY, 1.5)).toThrow('whole Unix seconds');
    expect(() => sign(KEY, NOW, BODY, 'msg 1')).toThrow('webhook id');
  });
});

describe('Interoperability with the standardwebhooks library', () => {
  it("is verified by the library's own Webhook.verify, for whsec_ and raw keys", () => {
    const now = Math.floor(Date.now() / 1000);
    for (const key of [KEY, RAW_KEY]) {
      const headers = sign(key, now);
      const verify = () =>
        new Webhook(standardWebhooksSecret(key)).verify(BODY, headers as unknown as Record<string, string>);
      expect(verify()).toEqual(JSON.parse(BODY));
    }
  });

  it('accepts what the library signs, and the library refuses what another key signed', () => {
    const now = Math.floor(Date.now() / 1000);
    const library = new Webhook(KEY);
    const headers: SignedWebhookHeaders = {
      'webhook-id': ID,
      'webhook-timestamp': String(now),
      'webhook-signature': library.sign(ID, new Date(now * 1000), BODY),
    };
    expect(verifyWebhookSignature({ headers, body: BODY, keys: [KEY] })).toEqual({
      valid: true,
      id: ID,
      timestamp: now,
    });
    expect(() => library.verify(BODY, sign(OTHER_KEY, now) as unknown as Record<string, string>)).toThrow(
      WebhookVerificationError,
    );
  });
});

describe('Function: parseWebhookHeaders', () => {
  const signature = sign(KEY)['webhook-signature'];

  it('reads the headers case-insensitively and ignores signatures of other versions', () => {
    expect(
      parseWebhookHeaders({
        'Webhook-Id': ID,
        'WEBHOOK-TIMESTAMP': String(NOW),
        'webhook-signature': `v1a,c29tZS1hc3ltbWV0cmljLXNpZ25hdHVyZQ== ${signature}`,
      }),
    ).toEqual({ id: ID, timestamp: NOW, signatures: [signature.slice(3)] });
  });

  it.each([
    ['missing', { 'webhook-timestamp': String(NOW), 'webhook-signature': signature }],
    ['missing', { 'webhook-id': ID, 'webhook-signature': signature }],
    ['missing', { 'webhook-id': ID, 'webhook-timestamp': String(NOW), 'webhook-signature': '' }],
    ['malformed', { 'webhook-id': ID, 'webhook-timestamp': 'soon', 'webhook-signature': signature }],
    [
      'malformed',
      { 'webhook-id': 'msg 1', 'webhook-timestamp': String(NOW), 'webhook-signature': signature },
    ],
    ['malformed', { 'webhook-id': ID, 'webhook-timestamp': String(NOW), 'webhook-signature': 'v1,abcd' }],
    ['malformed', { 'webhook-id': ID, 'webhook-timestamp': String(NOW), 'webhook-signature': 'garbage' }],
    ['malformed', { 'webhook-id': ID, 'webhook-timestamp': String(NOW), 'webhook-signature': 'v2,abc' }],
    [
      'malformed',
      { 'webhook-id': [ID, 'msg_2'], 'webhook-timestamp': String(NOW), 'webhook-signature': signature },
    ],
  ] as const)('answers %s for %j', (reason, headers) => {
    expect(parseWebhookHeaders(headers)).toBe(reason);
  });
});

describe('Function: verifyWebhookSignature', () => {
  const headers = sign(KEY);

  it('accepts a signature made with one of the keys', () => {
    expect(
      verifyWebhookSignature({ headers, body: BODY, keys: [PREVIOUS_KEY, KEY], nowSeconds: NOW }),
    ).toEqual({
      valid: true,
      id: ID,
      timestamp: NOW,
    });
  });

  it.each([
    ['missing', {}, BODY, [KEY], NOW],
    ['malformed', { ...headers, 'webhook-timestamp': 'x' }, BODY, [KEY], NOW],
    ['mismatch', headers, `${BODY} `, [KEY], NOW],
    ['mismatch', headers, BODY, [OTHER_KEY], NOW],
    ['mismatch', { ...headers, 'webhook-id': 'msg_other' }, BODY, [KEY], NOW],
    ['stale', headers, BODY, [KEY], NOW + 301],
    ['future', headers, BODY, [KEY], NOW - 301],
  ] as const)('rejects as %s', (reason, h, body, keys, now) => {
    expect(verifyWebhookSignature({ headers: h, body, keys, nowSeconds: now })).toEqual({
      valid: false,
      reason,
    });
  });

  it('accepts a timestamp at the edge of the tolerance window', () => {
    expect(
      verifyWebhookSignature({ headers, body: BODY, keys: [KEY], nowSeconds: NOW + 60, toleranceSeconds: 60 })
        .valid,
    ).toBe(true);
  });

  it('rejects a signature moved to another timestamp (the timestamp is signed too)', () => {
    expect(
      verifyWebhookSignature({
        headers: { ...headers, 'webhook-timestamp': String(NOW + 10) },
        body: BODY,
        keys: [KEY],
        nowSeconds: NOW,
      }),
    ).toEqual({ valid: false, reason: 'mismatch' });
  });
});

describe('Function: createWebhookVerifier', () => {
  it('rejects the same signed request a second time as replayed', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], now: () => now });
    const headers = sign(KEY);

    expect(verifier.verify(headers, BODY).valid).toBe(true);
    now += 5000;
    expect(verifier.verify(headers, BODY)).toEqual({ valid: false, reason: 'replayed' });
  });

  it('rejects a replay that drops one of several signatures', () => {
    const verifier = createWebhookVerifier({ keys: [KEY, PREVIOUS_KEY], now: () => NOW * 1000 });

    expect(verifier.verify(sign([KEY, PREVIOUS_KEY]), BODY).valid).toBe(true);
    expect(verifier.verify(sign(PREVIOUS_KEY), BODY)).toEqual({ valid: false, reason: 'replayed' });
  });

  it('accepts a retry of the same message (same webhook-id) re-signed with a fresh timestamp', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], now: () => now });

    expect(verifier.verify(sign(KEY), BODY).valid).toBe(true);
    now += 2000;
    expect(verifier.verify(sign(KEY, NOW + 2), BODY)).toEqual({ valid: true, id: ID, timestamp: NOW + 2 });
  });

  it('forgets signatures once they leave the window, and rejects them as stale then', () => {
    let now = NOW * 1000;
    const verifier = createWebhookVerifier({ keys: [KEY], toleranceSeconds: 60, now: () => now });
    const headers = sign(KEY);
    verifier.verify(headers, BODY);

    now += 61_000;
    const result = verifier.verify(headers, BODY);

    expect(result).toEqual({ valid: false, reason: 'stale' });
    expect(verifier.remembered).toBe(0);
  });

  it('does not remember rejected signatures', () => {
    const verifier = createWebhookVerifier({ keys: [OTHER_KEY], now: () => NOW * 1000 });

    verifier.verify(sign(KEY), BODY);

    expect(verifier.remembered).toBe(0);
  });

  it('reads the keys on every verification, following a rotation of the signing key', () => {
    let keys = [PREVIOUS_KEY];
    const verifier = createWebhookVerifier({ keys: () => keys, now: () => NOW * 1000 });

    expect(verifier.verify(sign(KEY), BODY).valid).toBe(false);
    keys = [KEY, PREVIOUS_KEY];
    expect(verifier.verify(sign(KEY), BODY).valid).toBe(true);
  });
});
