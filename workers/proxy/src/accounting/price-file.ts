// The price table in force: the shipped one, or an operator's JSON file ([proxy] price_file) that replaces it whole.
import { readFileSync } from 'node:fs';
import { RaypherError } from '@raypher/shared/errors';
import { array, int, object, optional, str } from '@raypher/shared/ipc';
import { SHIPPED_PRICES } from './price-table.js';
import { PriceTable } from './prices.js';

const microUsd = int({ min: 0, max: 1_000_000_000_000 });
const priceFile = object({
  prices: array(
    object({
      provider: str({ max: 64 }),
      model: str({ max: 256 }),
      effective: str({ max: 10, pattern: /^\d{4}-\d{2}-\d{2}$/ }),
      input: microUsd,
      output: microUsd,
      cache_read: optional(microUsd),
      cache_write: optional(microUsd),
    }),
    { max: 10_000 },
  ),
});

export function loadPriceTable(file: string): PriceTable {
  if (file === '') return new PriceTable(SHIPPED_PRICES);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RaypherError('ERR_CONFIG_INVALID', `proxy.price_file ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path or leave price_file empty for the shipped table`);
  }
  try {
    return new PriceTable(priceFile.parse(JSON.parse(text)).prices);
  } catch (err) {
    throw new RaypherError('ERR_CONFIG_INVALID', `proxy.price_file ${file} is not a valid price table: ${(err as Error).message}; see docs/usage.md for its shape`);
  }
}
