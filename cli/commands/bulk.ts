import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export async function bulkEmergencyCommand(_ctx: CliContext, _options: object): Promise<number> {
  throw new CliError(EXIT.internal, 'not implemented yet');
}
