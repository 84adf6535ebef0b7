import { describe, expect, it } from 'vitest';
import {
  extractJsonPath,
  parseJsonPath,
} from '../../../../lambdas/credentials/api-key/providers/http/json-path';

describe('parseJsonPath', () => {
  it.each([
    ['data.id', ['data', 'id']],
    ['$.data.id', ['data', 'id']],
    ['$.data.keys[0].secret', ['data', 'keys', 0, 'secret']],
    ['result[12]', ['result', 12]],
    ['$["key.id"]', ['key.id']],
    ["$['last used']", ['last used']],
    ['$.a["b\\"c"]', ['a', 'b"c']],
    ['last-used.at', ['last-used', 'at']],
    ['$[0]', [0]],
    ['  data.id  ', ['data', 'id']],
  ])('parses %s', (text, segments) => {
    expect(parseJsonPath(text).segments).toEqual(segments);
  });

  it.each([
    ['', /is empty/],
    ['$', /must name a value/],
    ['.data', /must start with/],
    ['data..id', /expected a member name after "\." at position 5/],
    ['data[-1]', /unexpected "\[" at position 4/],
    ['data[*]', /unexpected "\[" at position 4/],
    ['data[?(@.id)]', /unexpected "\["/],
    ['$..id', /expected a member name/],
    ['data.id extra', /unexpected " "/],
    ['data["unterminated]', /unexpected "\["/],
    ['9lives', /must start with/],
  ])('rejects %j', (text, message) => {
    expect(() => parseJsonPath(text)).toThrow(message);
  });
});

describe('extractJsonPath', () => {
  const document = {
    data: { id: 1001, token: 'svc_abc', keys: [{ id: 'a' }, { id: 'b' }], 'key.id': 'dotted', nothing: null },
    list: ['x', 'y'],
  };

  it.each([
    ['data.id', 1001],
    ['data.token', 'svc_abc'],
    ['data.keys[1].id', 'b'],
    ['$["data"]["key.id"]', 'dotted'],
    ['list[0]', 'x'],
    ['data.nothing', null],
  ])('finds %s', (path, value) => {
    expect(extractJsonPath(document, parseJsonPath(path))).toEqual(value);
  });

  it.each([
    'data.missing',
    'data.keys[2].id',
    'data.id.deeper',
    'list.length',
    'data.keys.id',
    'data.token[0]',
    'data.constructor',
    'data.__proto__',
  ])('returns undefined for %s', (path) => {
    expect(extractJsonPath(document, parseJsonPath(path))).toBeUndefined();
  });

  it('returns undefined for a document that is not an object', () => {
    expect(extractJsonPath('text', parseJsonPath('data.id'))).toBeUndefined();
    expect(extractJsonPath(undefined, parseJsonPath('data'))).toBeUndefined();
  });
});
