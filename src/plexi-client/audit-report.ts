// `plexi ls` and `plexi audit` (cloudflare/plexi plexi_cli/src/cmd.rs): the same requests in the
// same order and the same text, so `chorus audit` can stand in for the real client and tests can
// replay what it does against a node.
import { fromHex, toHex } from '../util/bytes.js';
import { PlexiClient, PlexiClientError, type NamespaceInfo } from './client.js';
import type { SignatureResponse } from '../plexi/signature-response.js';
import { verifySignatureResponse } from '../plexi/verify-response.js';
import { plexiProofPath, type ProofVerifier } from '../plexi/proof-verifier.js';

type Status = { kind: 'success' } | { kind: 'disabled' } | { kind: 'failed'; reason: string };
const success: Status = { kind: 'success' };
const disabled: Status = { kind: 'disabled' };
const failed = (reason: string): Status => ({ kind: 'failed', reason });

function show(s: Status): string {
  return s.kind === 'success' ? 'success' : s.kind === 'disabled' ? '-' : `failed - ${s.reason}`;
}

export function formatCiphersuite(c: number): string {
  if (c === 1) return 'ed25519(protobuf)';
  if (c === 2) return 'ed25519(bincode)';
  return `unknown ${c}`;
}

const pad = (label: string, width: number) => label.padEnd(width, ' ');

function formatTimestamp(ms: bigint): string {
  const seconds = ms / 1000n;
  const d = new Date(Number(seconds) * 1000);
  // time::OffsetDateTime covers years -9999..9999; plexi fails outside that range.
  if (seconds > 253402300799n || Number.isNaN(d.getTime()))
    throw new PlexiClientError(`timestamp ${ms} is out of range`);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatAudit(long: boolean, sig: SignatureResponse, sigStatus: Status, proofStatus: Status): string {
  if (!long) {
    if (proofStatus.kind === 'disabled' || sigStatus.kind === 'failed') return show(sigStatus);
    return show(proofStatus);
  }
  return [
    'Namespace',
    `  ${pad('Name', 22)}: ${sig.namespace}`,
    `  ${pad('Ciphersuite', 22)}: ${formatCiphersuite(sig.ciphersuite)}`,
    `\nSignature (${formatTimestamp(sig.timestamp)})`,
    `  ${pad('Epoch height', 22)}: ${sig.epoch}`,
    `  ${pad('Epoch digest', 22)}: ${toHex(sig.digest)}`,
    `  ${pad('Signature', 22)}: ${toHex(sig.signature)}`,
    `  ${pad('Signature verification', 22)}: ${show(sigStatus)}`,
    `  ${pad('Proof verification', 22)}: ${show(proofStatus)}`,
  ].join('\n');
}

export async function lsReport(client: PlexiClient, namespace: string | undefined, long: boolean): Promise<string> {
  let list: NamespaceInfo[];
  if (namespace !== undefined) {
    const info = await client.namespace(namespace);
    if (!info) throw new PlexiClientError(`namespace ${namespace} does not exist`);
    list = [info];
  } else {
    list = await client.namespaces();
  }
  return list
    .map((info) =>
      long
        ? [
            info.name,
            `  ${pad('Status', 11)}: ${info.status}`,
            `  ${pad('Ciphersuite', 11)}: ${formatCiphersuite(info.signatureVersion)}`,
            `  ${pad('Root', 11)}: ${info.root ?? '-'}`,
            `  ${pad('Directory', 11)}: ${info.logDirectory ?? '-'}`,
            '\n',
          ].join('\n')
        : info.name,
    )
    .join('\n');
}

export interface AuditOptions {
  namespace: string;
  long: boolean;
  verify: boolean;
  verifyingKey?: string;
  epoch?: bigint;
  verifyProof: ProofVerifier;
}

export async function auditReport(client: PlexiClient, o: AuditOptions): Promise<string> {
  const { namespace, long } = o;
  let epoch = o.epoch;
  if (epoch === undefined) {
    const lve = await client.lastVerifiedEpoch(namespace);
    if (!lve) throw new PlexiClientError(`namespace ${namespace} does not have a latest epoch. Please specify one`);
    epoch = lve.epoch;
  }
  const sig = await client.signature(namespace, epoch);
  if (!sig) throw new PlexiClientError(`Signature not found for ${namespace} at epoch ${epoch}`);
  if (!o.verify) return formatAudit(long, sig, disabled, disabled);

  const config = await client.info();
  let keyHex = o.verifyingKey;
  if (keyHex === undefined) {
    if (sig.keyId === undefined)
      return formatAudit(long, sig, failed("don't want to implement random key validation"), disabled);
    const k = config.keys.find(
      (ki) => /^([0-9a-fA-F]{2})+$/.test(ki.publicKey) && fromHex(ki.publicKey).at(-1) === sig.keyId,
    );
    if (!k) return formatAudit(long, sig, failed('auditor does not have key with key_id'), disabled);
    keyHex = k.publicKey;
  }
  let key: Uint8Array;
  try {
    key = fromHex(keyHex);
  } catch {
    return formatAudit(long, sig, failed('auditor key is not valid hex'), disabled);
  }
  if (!verifySignatureResponse(sig, key).ok) {
    return formatAudit(long, sig, failed('signature does not verify for the auditor key'), disabled);
  }

  const info = await client.namespace(namespace);
  if (!info) return formatAudit(long, sig, success, failed(`namespace ${namespace} does not exist`));
  if (!info.logDirectory) return formatAudit(long, sig, success, disabled);
  if (!info.root) return formatAudit(long, sig, success, failed(`namespace ${namespace} does not have a root`));
  const parts = info.root.split('/');
  if (parts.length !== 2) return formatAudit(long, sig, success, failed(`namespace ${namespace} has an invalid root`));
  if (!/^[0-9]+$/.test(parts[0] as string)) throw new PlexiClientError(`invalid parameter \`epoch\``);
  const rootEpoch = BigInt(parts[0] as string);
  const rootDigest = fromHex(parts[1] as string);
  if (sig.epoch < rootEpoch) return formatAudit(long, sig, success, failed('epoch cannot be before root'));
  if (sig.epoch === rootEpoch) {
    return toHex(sig.digest) === toHex(rootDigest)
      ? formatAudit(long, sig, success, success)
      : formatAudit(long, sig, success, failed('epoch is at root height but does not match root digest'));
  }
  const prev = await client.signature(namespace, sig.epoch - 1n);
  // The real client panics here (exit 101); a Chorus node never advertises such an epoch.
  if (!prev) throw new PlexiClientError('Epoch is not the root, there should be a previous signature');
  const blob = { epoch: sig.epoch, previousHash: prev.digest, currentHash: sig.digest };
  const proof = await client.proof(info.logDirectory, plexiProofPath(blob));
  if (!proof) return formatAudit(long, sig, success, failed('cannot retrieve audit proof'));
  const verdict = await o.verifyProof(blob, proof);
  return formatAudit(long, sig, success, verdict.ok ? success : failed(verdict.reason));
}
