import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export async function provideCommand(
  _ctx: CliContext,
  _secret: string,
  _options: { follow?: boolean },
): Promise<number> {
  throw new CliError(EXIT.internal, 'not implemented yet');
}
