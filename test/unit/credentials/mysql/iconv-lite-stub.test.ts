import { describe, expect, it } from 'vitest';
import { getDecoder, getEncoder } from '../../../../lambdas/credentials/mysql/iconv-lite-stub';
import { TargetError } from '../../../../lambdas/shared/errors';

describe('Module: iconv-lite stub of the MySQL bundle', () => {
  it.each([getDecoder, getEncoder])(
    'fails loudly, naming the character set, instead of misreading text',
    (get) => {
      expect(() => get('cp1250')).toThrow(TargetError);
      expect(() => get('cp1250')).toThrow(/"cp1250" character set/);
    },
  );
});
