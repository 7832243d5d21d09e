// Holds the updater state in memory and writes every transition through to disk (atomically) before the step it announces.
import { readState, writeState, type UpdaterState } from './update-state.js';

export class StateStore {
  private state: UpdaterState;

  constructor(
    private readonly file: string,
    now: Date,
  ) {
    this.state = readState(file, now);
  }

  get current(): UpdaterState {
    return this.state;
  }

  update(patch: Partial<UpdaterState>): UpdaterState {
    this.state = { ...this.state, ...patch };
    writeState(this.file, this.state);
    return this.state;
  }
}
