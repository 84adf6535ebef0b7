import { recordSecretMaterial } from '../log-scan';
import {
  basicOf,
  FakeProvider,
  type FakeRequest,
  type FakeResponse,
  type Route,
  randomHex,
  randomToken,
} from './fake-provider';

/** A key the fake Twilio holds. */
export interface TwilioKey {
  readonly sid: string;
  readonly secret: string;
  readonly friendlyName: string;
  /** `main` keys can manage keys and read the Account; `standard` keys (all the API creates) cannot. */
  readonly type: 'main' | 'standard';
  readonly dateCreated: string;
}

const twilioError = (status: number, code: number, message: string): FakeResponse => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

const UNAUTHENTICATED = twilioError(401, 20003, 'Authenticate');
const FORBIDDEN = twilioError(403, 20003, 'Permission Denied');

type Caller = { readonly kind: 'account' } | { readonly kind: 'key'; readonly key: TwilioKey };

/**
 * A local Twilio REST API (2010-04-01) for one account: the Key resource (`POST`/`GET`
 * `/Accounts/{sid}/Keys.json`, `DELETE /Accounts/{sid}/Keys/{sid}.json`), the Account resource
 * (`GET /Accounts/{sid}.json`) and Usage Records (`GET /Accounts/{sid}/Usage/Records.json`). Basic
 * auth with AccountSid:AuthToken or KeySid:KeySecret; as Twilio documents, Standard keys cannot
 * use the Keys or Account resources. Keys are listed in pages (`PageSize`, `next_page_uri`).
 * Operations for faults: `create`, `list`, `delete`, `verify` (usage records), `account`.
 */
export class FakeTwilio extends FakeProvider {
  readonly accountSid = `AC${randomHex(32)}`;
  readonly authToken = randomHex(32);
  readonly keys = new Map<string, TwilioKey>();

  constructor() {
    super();
    recordSecretMaterial(this.authToken);
  }

  /** Adds a key directly (Main keys are made only in the Console). */
  addKey(type: 'main' | 'standard', friendlyName: string): TwilioKey {
    const key: TwilioKey = {
      sid: `SK${randomHex(32)}`,
      secret: randomToken(24).slice(0, 32),
      friendlyName,
      type,
      dateCreated: new Date().toUTCString().replace('GMT', '+0000'),
    };
    recordSecretMaterial(key.secret);
    this.keys.set(key.sid, key);
    return key;
  }

  /** Names of the keys held, sorted. */
  names(): string[] {
    return [...this.keys.values()].map((k) => k.friendlyName).sort();
  }

  private caller(request: FakeRequest): Caller | undefined {
    const basic = basicOf(request);
    if (basic === undefined) return undefined;
    if (basic.user === this.accountSid && basic.password === this.authToken) return { kind: 'account' };
    const key = this.keys.get(basic.user);
    return key !== undefined && key.secret === basic.password ? { kind: 'key', key } : undefined;
  }

  protected route(request: FakeRequest): Route | undefined {
    const prefix = `/2010-04-01/Accounts/${this.accountSid}`;
    const path = request.url.pathname;
    const { method } = request;
    /** Any valid credential of the account; `main` also requires account-level access. */
    const authorised = (level: 'any' | 'main', then: () => FakeResponse) => (): FakeResponse => {
      const caller = this.caller(request);
      if (caller === undefined) return UNAUTHENTICATED;
      if (level === 'main' && caller.kind === 'key' && caller.key.type !== 'main') return FORBIDDEN;
      return then();
    };
    if (!path.startsWith('/2010-04-01/Accounts/')) return undefined;
    if (!path.startsWith(prefix)) {
      // Another account: these credentials do not belong to it.
      return { operation: 'other-account', handle: () => UNAUTHENTICATED };
    }
    const rest = path.slice(prefix.length);
    if (rest === '.json' && method === 'GET') {
      return {
        operation: 'account',
        handle: authorised('main', () => ({
          status: 200,
          body: { sid: this.accountSid, status: 'active', friendly_name: 'Handover test account' },
        })),
      };
    }
    if (rest === '/Keys.json' && method === 'POST') {
      return {
        operation: 'create',
        handle: authorised('main', () => {
          const friendlyName = new URLSearchParams(request.body).get('FriendlyName') ?? '';
          if (friendlyName.length > 64) return twilioError(400, 21200, 'FriendlyName is too long');
          const key = this.addKey('standard', friendlyName);
          this.effects.push(`create:${friendlyName}`);
          return {
            status: 201,
            body: {
              sid: key.sid,
              friendly_name: key.friendlyName,
              date_created: key.dateCreated,
              date_updated: key.dateCreated,
              secret: key.secret,
            },
          };
        }),
      };
    }
    if (rest === '/Keys.json' && method === 'GET') {
      return {
        operation: 'list',
        handle: authorised('main', () => {
          const pageSize = Math.min(1000, Number(request.url.searchParams.get('PageSize') ?? '50'));
          const page = Number(request.url.searchParams.get('Page') ?? '0');
          const all = [...this.keys.values()];
          const keys = all.slice(page * pageSize, (page + 1) * pageSize).map((k) => ({
            sid: k.sid,
            friendly_name: k.friendlyName,
            date_created: k.dateCreated,
            date_updated: k.dateCreated,
          }));
          const more = (page + 1) * pageSize < all.length;
          return {
            status: 200,
            body: {
              keys,
              page,
              page_size: pageSize,
              first_page_uri: `${prefix}/Keys.json?PageSize=${pageSize}&Page=0`,
              next_page_uri: more ? `${prefix}/Keys.json?PageSize=${pageSize}&Page=${page + 1}` : null,
              previous_page_uri: null,
              uri: `${prefix}/Keys.json?PageSize=${pageSize}&Page=${page}`,
            },
          };
        }),
      };
    }
    const one = /^\/Keys\/([^/]+)\.json$/.exec(rest);
    if (one?.[1] !== undefined && method === 'DELETE') {
      const sid = decodeURIComponent(one[1]);
      return {
        operation: 'delete',
        handle: authorised('main', () => {
          const key = this.keys.get(sid);
          if (key === undefined)
            return twilioError(404, 20404, `The requested resource ${path} was not found`);
          this.keys.delete(sid);
          this.effects.push(`delete:${key.friendlyName}`);
          return { status: 204 };
        }),
      };
    }
    if (rest === '/Usage/Records.json' && method === 'GET') {
      return {
        operation: 'verify',
        handle: authorised('any', () => ({
          status: 200,
          body: {
            usage_records: [],
            page: 0,
            page_size: Number(request.url.searchParams.get('PageSize') ?? '50'),
          },
        })),
      };
    }
    return undefined;
  }
}
