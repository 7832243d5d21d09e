// Prints a command's result: one JSON document with --json, else short "key: value" lines. Never key material.
export type Printable = Record<string, string | number | boolean | null | Record<string, unknown>>;

export function printResult(json: boolean, result: Printable): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
}
