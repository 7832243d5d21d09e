import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readActivationFacts } from './activation-facts.js';

describe('readActivationFacts', () => {
  it('reads the committed floor and the bad releases from slots.json; says nothing when it is missing or damaged', () => {
    const data = mkdtempSync(join(tmpdir(), 'raypher-act-'));
    expect(readActivationFacts(data)).toEqual({ committedCounter: 0, badCounters: [] });
    mkdirSync(join(data, 'bundles'));
    writeFileSync(join(data, 'bundles', 'slots.json'), '{not json');
    expect(readActivationFacts(data)).toEqual({ committedCounter: 0, badCounters: [] });
    writeFileSync(join(data, 'bundles', 'slots.json'), JSON.stringify({ committed_release_counter: 7, bad: [{ version: '0.1.8', release_counter: 8, reason: 'r', at: 't' }, { junk: true }] }));
    expect(readActivationFacts(data)).toEqual({ committedCounter: 7, badCounters: [8] });
  });
});
