// The C2SP building blocks (docs/c2sp.md): pure formats and checks, no I/O. Imports only util and crypto.
export * from './errors.js';
export * from './signed-note.js';
export * from './checkpoint.js';
export * from './cosignature.js';
export * from './rfc6962.js';
export * from './witness-request.js';
export * from './policy.js';
export * from './akd-checkpoint.js';
