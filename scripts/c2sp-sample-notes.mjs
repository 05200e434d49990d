#!/usr/bin/env node
// Writes signed notes made by src/c2sp, for checking them with another implementation's signed-note verifier
// (docs/c2sp.md, "A standard verifier accepts Chorus's notes"). Run after `npm run build`:
//
//   node scripts/c2sp-sample-notes.mjs --out DIR [--key NODE_KEY_PEM] [--witness-name NAME]
//
// DIR receives:
//   log.vkey, witness.vkey       the log's Ed25519 (type 0x01) and the Chorus key's cosignature/v1 (0x04) vkeys
//   checkpoint.note              an RFC 6962 checkpoint signed by the log and cosigned by the Chorus key
//   akd-checkpoint.note          an AKD epoch as a checkpoint (whatsapp.kt/v2), cosigned only (it has no log key)
// --key is a node's signing key (`chorus init` writes DATA_DIR/node.key); without it a fixed test key is used.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, TextDecoder, TextEncoder } from 'node:util';

import {
  AKD_ORIGINS,
  akdCheckpointBody,
  cosigner,
  ed25519NoteSigner,
  formatCheckpoint,
  leafHash,
  rootOf,
  signNote,
} from '../dist/src/c2sp/index.js';
import { signingKeyFromPem, signingKeyFromSeed } from '../dist/src/crypto/ed25519.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    key: { type: 'string' },
    'witness-name': { type: 'string', default: 'chorus.example/witness' },
    timestamp: { type: 'string' },
  },
});
if (!values.out) {
  process.stderr.write('usage: c2sp-sample-notes.mjs --out DIR [--key NODE_KEY_PEM] [--witness-name NAME]\n');
  process.exit(2);
}

const chorusKey = values.key ? signingKeyFromPem(readFileSync(values.key, 'utf8')) : signingKeyFromSeed(seed(7));
const witness = cosigner(values['witness-name'], chorusKey);
const log = ed25519NoteSigner('example.com/log', signingKeyFromSeed(seed(1)));
// Seconds since the epoch (tlog-cosignature); fixed when given, so the output can be reproduced.
const timestamp = values.timestamp === undefined ? BigInt(Math.floor(Date.now() / 1000)) : BigInt(values.timestamp);

const leaves = Array.from({ length: 5 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
const checkpoint = formatCheckpoint({ origin: 'example.com/log', size: 5n, rootHash: rootOf(leaves), extensions: [] });
const akd = akdCheckpointBody(AKD_ORIGINS.whatsapp, 42n, new Uint8Array(32).fill(0xab));

mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'log.vkey'), `${log.vkey}\n`);
writeFileSync(join(values.out, 'witness.vkey'), `${witness.vkey}\n`);
// The log's signature line first, then the cosignature, as a witness appends it.
const cosigning = { name: witness.name, keyId: witness.keyId, sign: (bytes) => witnessSign(bytes) };
writeFileSync(join(values.out, 'checkpoint.note'), signNote(checkpoint, [log, cosigning]));
writeFileSync(join(values.out, 'akd-checkpoint.note'), signNote(akd, [cosigning]));
process.stdout.write(`wrote ${values.out}: log.vkey witness.vkey checkpoint.note akd-checkpoint.note\n`);

/** A cosignature/v1 signs the checkpoint text with a timestamp header, not the bytes signNote passes. */
function witnessSign(bytes) {
  return witness.cosign(new TextDecoder().decode(bytes), timestamp).signature;
}

function seed(b) {
  return new Uint8Array(32).fill(b);
}
