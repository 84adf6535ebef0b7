import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../../../lambdas/credentials/postgres/sql';

describe('Function: quoteIdent', () => {
  it.each([
    ['app', '"app"'],
    ['a"; DROP ROLE x; --', '"a""; DROP ROLE x; --"'],
    ['"', '""""'],
    ["it's", '"it\'s"'],
    ['Mixed Case', '"Mixed Case"'],
    ['back\\slash', '"back\\slash"'],
  ])('quotes %j as %s', (input, expected) => {
    expect(quoteIdent(input)).toBe(expected);
  });

  it('rejects NUL', () => {
    expect(() => quoteIdent('a\u0000b')).toThrow(TypeError);
  });
});

describe('Function: quoteLiteral', () => {
  it.each([
    ['plain', "'plain'"],
    ["'; DROP ROLE x; --", "'''; DROP ROLE x; --'"],
    ["O'Brien", "'O''Brien'"],
    ['back\\slash', " E'back\\\\slash'"],
    ["\\'; DROP ROLE x; --", " E'\\\\''; DROP ROLE x; --'"],
    ['SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy', "'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy'"],
    ['$$', "'$$'"],
  ])('quotes %j as %s', (input, expected) => {
    expect(quoteLiteral(input)).toBe(expected);
  });

  it('rejects NUL', () => {
    expect(() => quoteLiteral('a\u0000b')).toThrow(TypeError);
  });
});
