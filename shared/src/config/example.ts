// Renders the documented example config from the schema, so the shipped example always matches the code.
import { CONFIG_SCHEMA } from './schema.js';
import type { KeySpec } from './spec.js';

export function renderExampleConfig(): string {
  const lines = [
    '# Raypher configuration. Every key is shown with its default value.',
    '# User mode: ~/.raypher/config.toml; system mode: /etc/raypher/config.toml.',
    '# Check a file with `raypherctl config check FILE`; apply live keys with `raypherctl reload`.',
    '# Keys marked (restart) need `raypher` restarted to take effect.',
    '',
  ];
  for (const [section, keys] of Object.entries(CONFIG_SCHEMA) as Array<[string, Record<string, KeySpec<unknown>>]>) {
    lines.push(`[${section}]`);
    for (const [k, spec] of Object.entries(keys)) {
      const notes = [spec.unit ? `unit: ${spec.unit}` : '', spec.values ? `one of: ${spec.values.join(', ')}` : '', spec.live ? 'live' : 'restart']
        .filter(Boolean)
        .join('; ');
      lines.push(`# ${spec.doc} (${notes})`);
      lines.push(`${k} = ${JSON.stringify(spec.default)}`);
      if (spec.type === 'tables' && spec.example) {
        // Array tables must follow the section's plain keys in TOML, so the example is commented out here.
        lines.push(`# Example: replace ${k} = [] above by tables like these, written after the other [${section}] keys:`, `# [[${section}.${k}]]`);
        for (const [f, v] of Object.entries(spec.example)) lines.push(`# ${f} = ${JSON.stringify(v)}    # ${spec.fields?.[f]?.doc ?? ''}`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
