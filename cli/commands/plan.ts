import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export async function planCommand(
  _ctx: CliContext,
  _options: { policy: string; windows: number },
): Promise<number> {
  throw new CliError(EXIT.internal, 'not implemented yet');
}
