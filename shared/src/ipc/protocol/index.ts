// The one declaration of Raypher's IPC surface, a file per owner: the wire, the supervisor's control methods,
// each worker's methods, and the supervisor <-> worker channel.
export * from './envelopes.js';
export * from './common.js';
export * from './control.js';
export * from './vault.js';
export * from './proxy.js';
export * from './updater.js';
export * from './scanner.js';
export * from './worker.js';
export { defineControlMethods, defineMethods, type Access, type ControlMethodDef, type EventDef, type MethodDef } from '../define.js';
