import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export async function ageCommand(_ctx: CliContext, _options: { policy: string }): Promise<number> {
  throw new CliError(EXIT.internal, 'not implemented yet');
}
