// protobufjs roots built from the generated JSON descriptors (no file access, so this also runs
// in the dashboard's browser bundle). u64 fields decode to Long; convert with the helpers below so
// values above 2^53 stay exact.
import protobuf from 'protobufjs/light.js';
import Long from 'long';
import { descriptor as plexiDescriptor } from './plexi.generated.js';
import { descriptor as chorusDescriptor } from './chorus.generated.js';

protobuf.util.Long = Long;
protobuf.configure();

const plexiRoot = protobuf.Root.fromJSON(plexiDescriptor as unknown as protobuf.INamespace);
const chorusRoot = protobuf.Root.fromJSON(chorusDescriptor as unknown as protobuf.INamespace);

export const PlexiSignatureMessage = plexiRoot.lookupType('plexi_core.types.SignatureMessage');

export const ObservationType = chorusRoot.lookupType('chorus.v1.Observation');
export const EquivocationProofType = chorusRoot.lookupType('chorus.v1.EquivocationProof');
export const CosignedEpochType = chorusRoot.lookupType('chorus.v1.CosignedEpoch');
export const SyncRequestType = chorusRoot.lookupType('chorus.v1.SyncRequest');
export const SyncResponseType = chorusRoot.lookupType('chorus.v1.SyncResponse');
export const SyncCursorType = chorusRoot.lookupType('chorus.v1.SyncCursor');
export const SignedAlertType = chorusRoot.lookupType('chorus.v1.SignedAlert');
export const CheckpointEquivocationProofType = chorusRoot.lookupType('chorus.v1.CheckpointEquivocationProof');

export function toLong(v: bigint): Long {
  return Long.fromString(v.toString(), true);
}

/** Long | number (protobufjs may produce either) to an exact bigint. */
export function fromLong(v: unknown, what: string): bigint {
  if (Long.isLong(v)) return BigInt((v as Long).toUnsigned().toString());
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (v === undefined || v === null) return 0n;
  throw new TypeError(`${what}: not a u64`);
}
