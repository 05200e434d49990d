// The rule every format's proof names obey (docs/log-formats.md, "Proof names"): a name starts with
// its decimal epoch and a slash, so a directory is listed one epoch at a time by the `{epoch}/`
// prefix and the proof store indexes by epoch without knowing the format. Pure.
import { DecodeError } from '../util/errors.js';
import { U64_MAX } from '../util/u64.js';

export class ProofNameError extends DecodeError {}

/** Characters a proof name may hold: the store turns its slashes into dashes for a file name. */
const NAME_RE = /^(0|[1-9][0-9]{0,19})\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** The epoch a proof name starts with; throws ProofNameError for any other shape. */
export function epochOfProofName(name: string): bigint {
  if (typeof name !== 'string' || name.length > 200 || !NAME_RE.test(name)) {
    throw new ProofNameError(`not a proof name "{epoch}/…": ${JSON.stringify(String(name).slice(0, 200))}`);
  }
  const epoch = BigInt(name.slice(0, name.indexOf('/')));
  if (epoch > U64_MAX) throw new ProofNameError(`proof name epoch is above 2^64-1: ${name.slice(0, 30)}`);
  return epoch;
}
