// The price table in force: the one shipped as data beside the worker's code (workers/proxy/prices.json, part of the
// signed worker bundle), or an operator's file of the same shape ([proxy] price_file) that replaces it whole.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RaypherError } from '@raypher/shared/errors';
import { array, int, object, optional, str } from '@raypher/shared/ipc';
import { PriceTable } from './prices.js';

const microUsd = int({ min: 0, max: 1_000_000_000_000 });
const priceFile = object({
  about: optional(str({ max: 1000 })),
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

/** The shipped table: dist/accounting/ → the package root, where package.json `files` ships it. */
export const SHIPPED_PRICE_FILE = fileURLToPath(new URL('../../prices.json', import.meta.url));

/** The shipped table ('') or the operator's file. A table that cannot be read or parsed stops the proxy with the reason. */
export function loadPriceTable(file: string): PriceTable {
  const path = file === '' ? SHIPPED_PRICE_FILE : file;
  const what = file === '' ? `the shipped price table ${path}` : `proxy.price_file ${path}`;
  const fix = file === '' ? 'reinstall Raypher, or set [proxy] price_file' : 'fix the path or leave price_file empty for the shipped table';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RaypherError('ERR_CONFIG_INVALID', `${what} cannot be read (${(err as NodeJS.ErrnoException).code}); ${fix}`);
  }
  try {
    return new PriceTable(priceFile.parse(JSON.parse(text)).prices);
  } catch (err) {
    throw new RaypherError('ERR_CONFIG_INVALID', `${what} is not a valid price table: ${(err as Error).message}; see docs/usage.md for its shape`);
  }
}
