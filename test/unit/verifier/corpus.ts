/** Values that are not shared keys, built around the valid key `valid`, each with a label. */
export function malformedCorpus(valid: string): readonly (readonly [string, unknown])[] {
  const ID = valid.slice(3, 15);
  const SECRET = valid.slice(16);
  const VALID = valid;
  return [
    ['empty string', ''],
    ['prefix only', 'hk_'],
    ['upper-case prefix', `HK_${ID}_${SECRET}`],
    ['other prefix', `sk_${ID}_${SECRET}`],
    ['dash separators', `hk-${ID}-${SECRET}`],
    ['key id too short', `hk_${ID.slice(1)}_${SECRET}`],
    ['key id too long', `hk_${ID}a_${SECRET.slice(1)}`],
    ['upper-case key id', `hk_${ID.toUpperCase().replace(/[2-7]/g, 'A')}_${SECRET}`],
    ['key id with 0, 1, 8 or 9 (not base32)', `hk_0189${ID.slice(4)}_${SECRET}`],
    ['secret one character short', `hk_${ID}_${SECRET.slice(1)}`],
    ['secret one character long', `hk_${ID}_${SECRET}A`],
    ['secret with base64url characters', `hk_${ID}_${SECRET.slice(2)}-_`],
    ['secret with base64 padding', `hk_${ID}_${SECRET.slice(1)}=`],
    ['trailing newline', `${VALID}\n`],
    ['leading space', ` ${VALID}`],
    ['trailing space', `${VALID} `],
    ['Cyrillic look-alike in the secret', `hk_${ID}_${SECRET.slice(1)}\u0430`],
    ['NUL byte', `hk_${ID}_${SECRET.slice(1)}\u0000`],
    ['with the Bearer scheme', `Bearer ${VALID}`],
    ['the key twice', `${VALID}${VALID}`],
    ['only the secret part', SECRET],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { key: VALID }],
    ['an array', [VALID]],
  ];
}
