/**
 * Stands in for `iconv-lite` in the MySQL rotation bundle (an esbuild alias, see
 * `infra/paths.ts`). mysql2 asks iconv-lite only for character sets Node.js cannot decode itself;
 * Handover's connections use utf8mb4, so this is never reached in practice, and if a server ever
 * sends text in another character set the rotation fails with this message instead of
 * misreading a username or a grant.
 */
import { TargetError } from '../../shared/errors';

function unsupported(encoding: string): never {
  throw new TargetError(
    `MySQL sent text in the "${encoding}" character set, which the Handover rotation bundle does not decode ` +
      "(utf8mb4, latin1 and ascii only): check the server's character_set_results",
  );
}

export function getDecoder(encoding: string): never {
  return unsupported(encoding);
}

export function getEncoder(encoding: string): never {
  return unsupported(encoding);
}
