// Editing roster files for `chorus roster …`. Every write is validated by loading the result as
// a Roster, so a command never leaves an invalid file behind. A roster is built one auditor at a
// time, so while it is edited its threshold may exceed its auditors (a draft); every command that
// uses a roster (start, monitor, verify-*, roster check) refuses such a roster.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Roster } from '../consensus/roster.js';
import { fromHex, toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { parseJson, stringifyJson } from '../util/json.js';
import { loadConfig } from '../config/config.js';
import { loadKeyFile } from '../config/key-file.js';

type Doc = {
  network: string;
  threshold: bigint;
  auditors: Record<string, unknown>[];
  namespaces: Record<string, unknown>[];
};

function read(file: string): Doc {
  const doc = parseJson(readFileSync(file, 'utf8')) as Doc;
  Roster.fromJson(doc, { draft: true });
  doc.auditors ??= [];
  doc.namespaces ??= [];
  return doc;
}

function write(file: string, doc: Doc): void {
  Roster.fromJson(parseJson(stringifyJson(doc)), { draft: true }); // validate before replacing the file
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${stringifyJson(doc, 2)}\n`);
  renameSync(tmp, file);
}

export function newRoster(file: string, network: string, threshold: string, force: boolean): void {
  if (existsSync(file) && !force) throw new ChorusError('exists', `${file} exists (use --force to overwrite)`);
  if (!/^[0-9]+$/.test(threshold)) throw new ChorusError('bad-threshold', '--threshold must be a positive integer');
  write(file, { network, threshold: BigInt(threshold), auditors: [], namespaces: [] });
}

export async function addAuditor(
  file: string,
  o: { name: string; config?: string; plexiUrl?: string; publicKey?: string },
): Promise<Record<string, unknown>> {
  const doc = read(file);
  let entry: Record<string, unknown>;
  if (o.config) {
    if (o.plexiUrl || o.publicKey)
      throw new ChorusError('usage', '--config cannot be combined with --plexi-url/--public-key');
    const config = loadConfig(o.config);
    const keys = config.keys.map((k) => ({
      public_key: toHex(loadKeyFile(k.file).publicKey),
      not_before: k.notBefore,
    }));
    entry = { name: o.name, keys };
    if (config.p2p) {
      const { loadIdentity } = await import('../p2p/identity.js');
      const identity = await loadIdentity(config.dataDir, config.p2p.identityFile);
      const addrs = config.p2p.announce.length ? config.p2p.announce : config.p2p.listen;
      if (addrs.some((a) => /\/tcp\/0(\/|$)/.test(a))) {
        throw new ChorusError(
          'no-address',
          `the node listens on port 0: give it a fixed p2p port (or announce addresses) before adding it`,
        );
      }
      entry.peer_id = identity.peerId;
      entry.addresses = addrs;
    }
  } else if (o.plexiUrl && o.publicKey) {
    entry = { name: o.name, public_key: toHex(fromHex(o.publicKey.trim(), 32, '--public-key')), plexi_url: o.plexiUrl };
  } else {
    throw new ChorusError('usage', 'give --config NODE_CONFIG, or --plexi-url URL with --public-key HEX');
  }
  doc.auditors = doc.auditors.filter((a) => a.name !== o.name);
  doc.auditors.push(entry);
  write(file, doc);
  return entry;
}

export async function addNamespace(
  file: string,
  o: {
    name: string;
    configuration: string;
    domainLabel?: string;
    root?: string;
    logKey?: string;
    proofDirectory?: string;
    /** An RFC 6962 log Chorus witnesses: its checkpoint origin and Ed25519 vkeys (docs/c2sp.md). */
    checkpointOrigin?: string;
    logVkey?: string[];
  },
): Promise<void> {
  const doc = read(file);
  const entry: Record<string, unknown> = { name: o.name, configuration: o.configuration };
  if (o.domainLabel) entry.domain_label = o.domainLabel;
  if (o.root) entry.root = o.root;
  if (o.logKey) entry.log_key = o.logKey;
  if (o.proofDirectory) entry.proof_directory = o.proofDirectory;
  if (o.checkpointOrigin) entry.checkpoint_origin = o.checkpointOrigin;
  if (o.logVkey?.length) entry.log_vkeys = o.logVkey;
  doc.namespaces = doc.namespaces.filter((n) => n.name !== o.name);
  doc.namespaces.push(entry);
  write(file, doc);
}

/** What still keeps a draft roster from being usable by a node (empty when it is complete). */
export function draftProblems(file: string): string[] {
  const doc = read(file);
  const threshold = BigInt(doc.threshold);
  if (threshold > BigInt(doc.auditors.length)) {
    return [
      `threshold ${threshold} needs at least ${threshold} auditors, the roster lists ${doc.auditors.length}: chorus ` +
        `start refuses it until enough are added`,
    ];
  }
  return [];
}
