// facebook/akd's own fixture-generator output (upstream/*.yaml): the whole tree after epochs 8 and
// 9, every node with its hash. Each interior and root hash is recomputed from its children with the
// reference hashing (configuration.ts), for both configurations; the root digests must be the
// model vectors' akd digests; and the directory tree, fed the same leaves epoch by epoch, must hold
// the same value in every node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveConfiguration, type AkdHashing } from '../../src/akd/configuration.js';
import { AkdDirectoryTree } from '../../src/akd/directory-tree.js';
import type { NodeLabel } from '../../src/akd/node-label.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { AKD_MODEL_VECTORS, loadIndex } from './akd-fixtures.js';

interface YamlLabel {
  label_val: string;
  label_len: number;
}
interface YamlNode {
  label: YamlLabel;
  last_epoch: number;
  min_descendant_epoch: number;
  node_type: 'Leaf' | 'Interior' | 'Root';
  left_child: YamlLabel | null;
  right_child: YamlLabel | null;
  hash: string;
}
interface YamlRecord {
  _type: string;
  label?: YamlLabel;
  latest_node?: YamlNode;
  previous_node?: YamlNode | null;
}

function loadStates(file: string): { configuration: string; domainLabel: string; states: YamlRecord[][] } {
  // The records carry YAML tags (!TreeNode, !Azks, !ValueState): turn them into a plain field.
  const text = readFileSync(join(AKD_MODEL_VECTORS, 'upstream', file), 'utf8').replace(/- !(\w+)/g, '- _type: $1');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  const meta = docs[0] as { configuration: string; domain_label: string };
  const states = docs.filter((d) => Array.isArray(d['records'])).map((d) => d['records'] as YamlRecord[]);
  return { configuration: meta.configuration, domainLabel: meta.domain_label, states };
}

const key = (l: YamlLabel): string => `${l.label_val.toLowerCase()}/${l.label_len}`;
const label = (l: YamlLabel): NodeLabel => ({ val: fromHex(l.label_val, 32), len: l.label_len });

/** The version of a node in force at `epoch`: the latest if not newer, else the previous one. */
function versionAt(r: YamlRecord, epoch: number): YamlNode | null {
  if (r.latest_node !== undefined && r.latest_node.last_epoch <= epoch) return r.latest_node;
  if (r.previous_node && r.previous_node.last_epoch <= epoch) return r.previous_node;
  return null;
}

/** compute_parent_hash_from_children for `node`, children looked up at the node's epoch. */
function recompute(h: AkdHashing, node: YamlNode, byLabel: Map<string, YamlRecord>): Uint8Array | null {
  const side = (child: YamlLabel | null): [Uint8Array, Uint8Array] | null => {
    if (child === null) return [h.emptyNodeHash(), h.labelValue(h.emptyLabel())];
    const record = byLabel.get(key(child));
    if (record === undefined) return null;
    const v = versionAt(record, node.last_epoch);
    if (v === null) return null;
    const value =
      v.node_type === 'Leaf'
        ? h.hashLeafWithCommitment(fromHex(v.hash, 32), BigInt(v.last_epoch))
        : fromHex(v.hash, 32);
    return [value, h.labelValue(label(v.label))];
  };
  const l = side(node.left_child);
  const r = side(node.right_child);
  if (l === null || r === null) return null;
  return h.parentHash(l[0], l[1], r[0], r[1]);
}

const model = loadIndex(AKD_MODEL_VECTORS).find((c) => c.name === 'fixture-akd-whatsapp_v1-epoch9');

for (const file of ['fixture_whatsapp_v1.yaml', 'fixture_experimental.yaml']) {
  describe(`akd upstream ${file}`, () => {
    const { configuration, domainLabel, states } = loadStates(file);
    const h = resolveConfiguration(
      configuration === 'experimental' ? { name: 'experimental', domainLabel } : { name: 'whatsapp_v1' },
    );

    it('names a configuration this module knows', () => {
      expect(['whatsapp_v1', 'experimental']).toContain(configuration);
      expect(h.name).toBe(configuration);
      expect(states.length).toBe(2);
    });

    states.forEach((records, s) => {
      it(`state ${s + 1}: every interior and root hash follows from its children`, () => {
        const nodes = records.filter((r) => r._type === 'TreeNode');
        const byLabel = new Map(nodes.map((r) => [key(r.label as YamlLabel), r]));
        let checkedLatest = 0;
        let checkedPrevious = 0;
        let parents = 0;
        for (const r of nodes) {
          for (const [v, which] of [
            [r.latest_node, 'latest'],
            [r.previous_node, 'previous'],
          ] as const) {
            if (!v || v.node_type === 'Leaf') continue;
            if (which === 'latest') parents++;
            const computed = recompute(h, v, byLabel);
            if (computed === null) {
              // A previous version whose children's versions are not in the capture any more.
              expect(which).toBe('previous');
              continue;
            }
            expect(toHex(computed), `${which} ${key(v.label)}`).toBe(v.hash.toLowerCase());
            if (which === 'latest') checkedLatest++;
            else checkedPrevious++;
          }
        }
        expect(parents).toBeGreaterThan(10);
        expect(checkedLatest).toBe(parents);
        expect(checkedPrevious).toBeGreaterThan(0);
      });
    });

    it('root digests are the akd digests of the fixture-epoch9 vector', () => {
      const rootOf = (records: YamlRecord[]): YamlNode =>
        records.find((r) => r._type === 'TreeNode' && r.latest_node?.node_type === 'Root')?.latest_node as YamlNode;
      const epoch8 = rootOf(states[0] as YamlRecord[]);
      const epoch9 = rootOf(states[1] as YamlRecord[]);
      expect([epoch8.last_epoch, epoch9.last_epoch]).toEqual([8, 9]);
      const d8 = toHex(h.rootHashFromValue(fromHex(epoch8.hash, 32)));
      const d9 = toHex(h.rootHashFromValue(fromHex(epoch9.hash, 32)));
      if (configuration === 'whatsapp_v1') {
        expect(d8).toBe(model?.previous_hash);
        expect(d9).toBe(model?.current_hash);
      } else {
        expect(d9).toBe(epoch9.hash.toLowerCase()); // experimental: the digest is the root value
      }
    });

    it('the directory tree fed the same leaves holds the same node values', () => {
      const last = (states[1] as YamlRecord[])
        .filter((r) => r._type === 'TreeNode')
        .map((r) => r.latest_node as YamlNode);
      const leaves = last.filter((n) => n.node_type === 'Leaf');
      const tree = new AkdDirectoryTree(h);
      for (let epoch = 1; epoch <= 9; epoch++) {
        const batch = leaves.filter((n) => n.last_epoch === epoch);
        expect(batch.length).toBeGreaterThan(0);
        const labels = new Uint8Array(batch.length * 32);
        const values = new Uint8Array(batch.length * 32);
        batch.forEach((n, i) => {
          expect(n.label.label_len).toBe(256);
          labels.set(fromHex(n.label.label_val, 32), i * 32);
          values.set(fromHex(n.hash, 32), i * 32);
        });
        tree.insert({ labels, values });
      }
      for (const n of last) {
        const got = tree.nodeValue(fromHex(n.label.label_val, 32), n.label.label_len);
        expect(got, key(n.label)).not.toBeNull();
        expect(toHex(got?.value ?? new Uint8Array())).toBe(n.hash.toLowerCase());
        expect(got?.lastEpoch).toBe(n.last_epoch);
      }
      expect(tree.nodes).toBe(last.length);
    });
  });
}
