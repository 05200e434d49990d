// A test-only log format (docs/log-formats.md, "Adding a format"): it proves that a second format is
// its own folder plus a registry entry, nothing else. A toy log's digest chain is
// digest(e) = SHA-256(digest(e-1) || label || entries joined by "\n"), and its proof for epoch e is
// a JSON file {previous, current, entries} named "{epoch}/{previous_hex}/{current_hex}.json".
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type {
  EpochLogFormat,
  ProofName,
  ProofTransition,
  ProofVerdict,
  ProofVerifier,
} from '../../../src/formats/log-format.js';
import { ProofNameError } from '../../../src/formats/proof-name.js';
import { bytesEqual, fromHex, toHex } from '../../../src/util/bytes.js';

export const TOY_FORMAT_ID = 'toy-json';

const toySettings = z.object({ toy_label: z.string().min(1).default('toy') });

const NAME_RE = /^([1-9][0-9]{0,18})\/([0-9a-f]{64})\/([0-9a-f]{64})\.json$/;

export function toyDigest(previous: Uint8Array, label: string, entries: string[]): Uint8Array {
  return new Uint8Array(createHash('sha256').update(previous).update(label).update(entries.join('\n')).digest());
}

const proofFile = z.object({ previous: z.string(), current: z.string(), entries: z.array(z.string()) }).strict();

class ToyVerifier implements ProofVerifier {
  closed = false;

  async verify(path: string, t: ProofTransition): Promise<ProofVerdict> {
    const started = performance.now();
    const label = toySettings.parse(t.settings).toy_label;
    // An unreadable file rejects: "could not check" is retried, never a verdict.
    const text = await readFile(path, 'utf8');
    const fail = (reason: string, message: string): ProofVerdict => ({
      ok: false,
      failure: { code: reason === 'not-json' ? 'decode-error' : 'verification-failed', reason, message },
      inserted: 0,
      unchanged: 0,
      totalMs: performance.now() - started,
    });
    let doc: z.output<typeof proofFile>;
    try {
      doc = proofFile.parse(JSON.parse(text));
    } catch (err) {
      return fail('not-json', `not a toy proof: ${(err as Error).message.slice(0, 200)}`);
    }
    if (doc.previous !== toHex(t.previous) || doc.current !== toHex(t.current)) {
      return fail('wrong-transition', 'the proof is for another transition');
    }
    const computed = toyDigest(t.previous, label, doc.entries);
    if (!bytesEqual(computed, t.current)) {
      return fail(
        'digest-mismatch',
        `the entries hash to ${toHex(computed)}, not to the signed digest ${toHex(t.current)}`,
      );
    }
    return { ok: true, inserted: doc.entries.length, unchanged: 0, totalMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The verifiers the format made, so a test can see the node closed them. */
export const toyVerifiers: ToyVerifier[] = [];

export const toyFormat: EpochLogFormat = {
  id: TOY_FORMAT_ID,
  settings: toySettings,
  proofNames: {
    format: (n: ProofName) => `${n.epoch}/${toHex(n.previous)}/${toHex(n.current)}.json`,
    parse: (text: string) => {
      const m = NAME_RE.exec(text);
      if (!m) throw new ProofNameError(`not a toy proof name: ${JSON.stringify(text.slice(0, 200))}`);
      return {
        epoch: BigInt(m[1] as string),
        previous: fromHex(m[2] as string, 32),
        current: fromHex(m[3] as string, 32),
      };
    },
  },
  createVerifier: () => {
    const v = new ToyVerifier();
    toyVerifiers.push(v);
    return v;
  },
  describe: { label: 'Toy JSON log', proofLabel: 'toy proof' },
};

/** Writes a toy log of `epochs` epochs after a root digest into `dir`; returns every digest (index = epoch). */
export function writeToyLog(dir: string, root: Uint8Array, epochs: number, label = 'toy'): Uint8Array[] {
  const digests = [root];
  for (let e = 1; e <= epochs; e++) {
    const previous = digests[e - 1] as Uint8Array;
    const entries = [`entry ${e}.a`, `entry ${e}.b`];
    const current = toyDigest(previous, label, entries);
    digests.push(current);
    const name = toyFormat.proofNames.format({ epoch: BigInt(e), previous, current });
    const file = join(dir, ...name.split('/'));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify({ previous: toHex(previous), current: toHex(current), entries }));
  }
  return digests;
}
