// Partitions and heals (design §4.3, §4.5, §5). Five node processes; round after round the
// network is cut into two random non-empty groups (admin block endpoints, both directions) and,
// while the groups cannot talk, the log equivocates across the cut: one consistent epoch to
// everyone, then epoch E with digest X to one side and Y to the other (each node signs what it
// saw), then one more consistent epoch chained on what each node saw. Rounds cycle through four
// modes:
//   1. one node is SIGKILLed before the round's epochs and signs them after its restart;
//   2. one node lags: the log publishes LAG_EPOCHS more consistent epochs and the round's epochs
//      to everyone else; the laggard catches up on all of them during the next round's partition
//      (so its late signatures of old epochs reach the far side only through sync after the heal);
//   3. one node is SIGKILLed after signing the round's epochs and must serve the same
//      signatures after its restart (and refuse another digest for E);
//   4. nothing else.
// Before each heal:
//   - the cut really held: each side holds all of its own side's signatures of the round and none
//     of the other side's, and no node knows of an equivocation at E.
// After each heal, within a generous timeout (it only catches a hang), all stores converge (and
// stay so: two looks in a row see the same state); the time from the heal to the first look at
// the round's epochs that saw them converged is recorded:
//   - every node is connected to every other;
//   - every node lists exactly the same proof ids, among them a split-view proof for the epoch of
//     every round so far, and reports network_status Equivocated;
//   - every node's epoch view of every epoch so far is identical (same digests, same signers,
//     same signatures, same proof ids) and complete (every node that signed the epoch).
// Then the round's proof is checked offline with `chorus verify-proof --roster` (protobuf and
// JSON in turn). Never violated, over the whole run: no node's key under two digests of one epoch
// (and always under the digest it was given), no proof other than a split view, one proof per
// equivocated epoch and none elsewhere, every returned signature served unchanged, no alarming
// log line.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringifyJson } from '../../src/util/json.js';
import { http } from '../support/http.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { runCli, type LogLine } from '../support/node-process.js';
import { tempDir } from '../support/tmp.js';
import {
  alarmingLogs,
  connectedPeers,
  epochView,
  heal,
  Invariants,
  median,
  partition,
  partTimeout,
  randomInt,
  setting,
  shuffle,
  signersByDigest,
  writePart,
  type EpochView,
} from './support.js';

const NS = 'partitions.example';
/** RELIABILITY_PARTITION_ROUNDS, else 12 (20 in full mode). */
const ROUNDS = setting('RELIABILITY_PARTITION_ROUNDS', 12, 20);
const NAMES = ['org1', 'org2', 'org3', 'org4', 'org5'];
/** Epochs a lagging node falls behind by: more than a sync window by epoch (64) would cover. */
const LAG_EPOCHS = 100n;
/** Only catches a hang: convergence normally takes about a second. */
const CONVERGE_TIMEOUT_MS = 90_000;

type Mode = 'down-during-split' | 'lagging' | 'killed-after-signing';
const MODES: (Mode | undefined)[] = ['down-during-split', 'lagging', 'killed-after-signing', undefined];

interface ProofEntry {
  id: string;
  epoch: bigint;
  kind: string;
  signers: string[];
}

interface RoundRecord {
  round: number;
  a: string[];
  b: string[];
  splitEpoch: string;
  victim?: string;
  mode?: Mode;
  /** Epochs a node that lagged in the round before signed during this round's partition. */
  caughtUp?: number;
  healToConvergedMs?: number;
  proof?: string;
}

interface Snapshot {
  proofs: ProofEntry[];
  views: Map<bigint, EpochView>;
}

const randomDigest = (): string => randomBytes(32).toString('hex');

describe('partitions and heals', () => {
  const tmp = tempDir('chorus-rel-partitions-');
  const net = new TestNetwork(tmp.dir, NS);
  const inv = new Invariants();
  const allLogs: LogLine[][] = [];
  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it(
    `every store converges after each of ${ROUNDS} random partitions with a split view across the cut`,
    async () => {
      const started = Date.now();
      const rounds: RoundRecord[] = [];
      const splitEpochs: bigint[] = [];
      const convergeMs: number[] = [];
      let healed = 0;
      let kills = 0;
      let submissions = 0;
      let offlineChecks = 0;
      /** The newest epoch the log published. */
      let head = 0n;
      // What the log shows each node at each epoch; what each node signed (and the exact text).
      const plan = new Map<bigint, Map<string, string>>();
      const chain = new Map(NAMES.map((n) => [n, new Map<bigint, string>()]));
      const returned = new Map(NAMES.map((n) => [n, new Map<bigint, string>()]));
      const peerId = (name: string): string => net.node(name).peerId;
      const signedUpTo = (name: string): bigint =>
        [...(chain.get(name)?.keys() ?? [])].reduce((m, e) => (e > m ? e : m), 0n);

      const publish = (digestFor: (n: string) => string): bigint => {
        head++;
        plan.set(head, new Map(NAMES.map((n) => [n, digestFor(n)])));
        return head;
      };

      const sign = async (name: string, epoch: bigint): Promise<void> => {
        const digest = plan.get(epoch)?.get(name) as string;
        const previous = chain.get(name)?.get(epoch - 1n);
        const r = await net.submit(name, epoch, digest, previous);
        submissions++;
        if (
          !inv.check(
            r.status === 200 && r.body.digest === digest,
            () => `${name}: epoch ${epoch} digest ${digest} answered ${r.status} ${r.text}`,
          )
        )
          return;
        chain.get(name)?.set(epoch, digest);
        returned.get(name)?.set(epoch, r.text);
      };

      /** The log shows a node every epoch it has not signed yet, in order; returns how many. */
      const catchUp = async (name: string): Promise<number> => {
        let n = 0;
        for (let e = signedUpTo(name) + 1n; e <= head; e++, n++) await sign(name, e);
        return n;
      };

      const fullyConnected = async (): Promise<boolean> => {
        for (const n of NAMES) {
          const peers = await connectedPeers(net, n);
          if (!NAMES.every((o) => o === n || peers.includes(peerId(o)))) return false;
        }
        return true;
      };

      /**
       * One look at every store: undefined unless every node is connected to every other, each of
       * `epochs` has an identical view everywhere with every node that signed it, every node lists
       * the same proof ids (read after the views: a proof is built only after its observation is
       * stored), among them one for every equivocated epoch, and every node says Equivocated.
       */
      const snapshot = async (epochs: bigint[]): Promise<Snapshot | undefined> => {
        if (!(await fullyConnected())) return undefined;
        const views = new Map<bigint, EpochView>();
        for (let i = 0; i < epochs.length; i += 8) {
          const batch = epochs.slice(i, i + 8);
          const all = await Promise.all(batch.map((e) => Promise.all(NAMES.map((n) => epochView(net, n, e)))));
          for (const [j, vs] of all.entries()) {
            const e = batch[j] as bigint;
            const norm = vs.map((v) => stringifyJson({ digests: v.digests, proofs: v.proofs }));
            if (!norm.every((x) => x === norm[0])) return undefined;
            const v = vs[0] as EpochView;
            const signers = NAMES.filter((n) => chain.get(n)?.has(e)).length;
            if (v.digests.reduce((s, d) => s + d.signers.length, 0) !== signers) return undefined;
            views.set(e, v);
          }
        }
        const lists = await Promise.all(
          NAMES.map(
            async (n) =>
              ((await net.get(n, `/equivocations?namespace=${NS}&limit=1000`)).body.equivocations ??
                []) as ProofEntry[],
          ),
        );
        const idSets = lists.map((l) =>
          l
            .map((p) => p.id)
            .sort()
            .join(','),
        );
        if (!idSets.every((s) => s === idSets[0])) return undefined;
        const proofs = lists[0] as ProofEntry[];
        if (!splitEpochs.every((e) => proofs.some((p) => p.epoch === e && p.kind === 'split-view'))) return undefined;
        for (const n of NAMES) {
          const info = await net.get(n, `/namespaces/${NS}`);
          if (info.body.network_status !== 'Equivocated') return undefined;
        }
        return { proofs, views };
      };
      const fingerprint = (s: Snapshot): string =>
        stringifyJson({
          proofs: s.proofs.map((p) => p.id).sort(),
          views: [...s.views.values()].map((v) => [v.digests, v.proofs]),
        });
      const epochsSoFar = (): bigint[] => Array.from({ length: Number(head) }, (_, i) => BigInt(i + 1));

      /**
       * Waits until the stores converged and stay so. First a quick look at the round's epochs
       * only, polled often, whose end times the convergence; then the whole state until two looks
       * in a row see the same converged state (nodes may agree on a larger proof of a fact for a
       * moment, until the smallest, built a little later by another node, replaces it everywhere).
       */
      const converge = async (what: string, roundEpochs: bigint[]): Promise<Snapshot & { at: number }> => {
        const at = await waitFor(
          `${what} (the round's epochs)`,
          async () => ((await snapshot(roundEpochs)) ? Date.now() : false),
          CONVERGE_TIMEOUT_MS,
          20,
        );
        let last: string | undefined;
        const s = await waitFor(
          `${what} (everything, stable)`,
          async () => {
            const s = await snapshot(epochsSoFar());
            const fp = s ? fingerprint(s) : undefined;
            const stable = fp !== undefined && fp === last;
            last = fp;
            return stable ? s : false;
          },
          CONVERGE_TIMEOUT_MS,
          100,
        );
        return { ...s, at };
      };

      /** `chorus verify-proof --roster` on the proof as a node serves it (protobuf or JSON). */
      const verifyOffline = async (
        id: string,
        epoch: bigint,
        form: 'protobuf' | 'json',
        from: string,
      ): Promise<void> => {
        const res = await fetch(`${net.proc(from).url}/equivocations/${id}`, {
          headers: { accept: form === 'protobuf' ? 'application/x-protobuf' : 'application/json' },
        });
        const file = join(tmp.dir, `proof-${epoch}.${form === 'protobuf' ? 'bin' : 'json'}`);
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        const r = runCli(['verify-proof', '--roster', net.roster, file]);
        offlineChecks++;
        inv.check(
          res.status === 200 &&
            r.status === 0 &&
            r.stdout.includes(`valid: split-view in ${NS} at epoch ${epoch}`) &&
            r.stdout.includes(id),
          () =>
            `verify-proof (${form}) of ${id} from ${from}: HTTP ${res.status}, exit ${r.status}: ${r.stdout}${r.stderr}`,
        );
      };

      /** The never-violated rules over every epoch view (all identical once converged). */
      const checkViews = (views: Map<bigint, EpochView>, proofs: ProofEntry[]): void => {
        for (const [e, v] of views) {
          const { byName, twice } = signersByDigest(v);
          inv.check(twice.length === 0, () => `epoch ${e}: ${twice.join(',')} under two digests`);
          for (const n of NAMES) {
            const given = chain.get(n)?.get(e);
            inv.check(
              byName.get(n) === given,
              () => `epoch ${e}: ${n} shown under ${byName.get(n) ?? 'nothing'}, it signed ${given ?? 'nothing'}`,
            );
          }
          const split = splitEpochs.includes(e);
          const digests = new Set(NAMES.flatMap((n) => chain.get(n)?.get(e) ?? [])).size;
          const here = proofs.filter((p) => p.epoch === e);
          inv.check(
            v.digests.length === digests && digests === (split ? 2 : 1),
            () => `epoch ${e}: ${v.digests.length} digests, expected ${split ? 2 : 1}`,
          );
          inv.check(
            here.length === (split ? 1 : 0) && v.proofs.length === here.length,
            () => `epoch ${e}: ${here.length} proofs listed, ${v.proofs.length} in the view; expected ${split ? 1 : 0}`,
          );
        }
        for (const p of proofs)
          inv.check(p.kind === 'split-view', () => `a ${p.kind} proof at epoch ${p.epoch}: ${p.id}`);
      };

      try {
        await net.setup(NAMES.length, 3);
        await net.startAll();
        const root = randomDigest();
        publish(() => root);
        await Promise.all(NAMES.map((n) => sign(n, 1n)));
        await waitFor(
          'a full mesh and epoch 1 everywhere',
          async () => {
            if (!(await fullyConnected())) return false;
            for (const n of NAMES)
              if ((await epochView(net, n, 1n)).digests[0]?.signers.length !== NAMES.length) return false;
            return true;
          },
          60_000,
        );

        for (let round = 1; round <= ROUNDS; round++) {
          const order = shuffle(NAMES);
          const k = randomInt(1, NAMES.length - 1);
          const a = order.slice(0, k).sort();
          const b = order.slice(k).sort();
          const side = (n: string): string[] => (a.includes(n) ? a : b);
          const other = (n: string): string[] => (a.includes(n) ? b : a);
          const mode = MODES[(round - 1) % MODES.length];
          // A laggard is never alone on its side: the split at E needs a signer on each side.
          const candidates = mode === 'lagging' ? (a.length > b.length ? a : b) : NAMES;
          const victim = mode ? (candidates[randomInt(0, candidates.length - 1)] as string) : undefined;
          const rec: RoundRecord = { round, a, b, splitEpoch: '', ...(victim && mode ? { victim, mode } : {}) };
          rounds.push(rec);

          await partition(net, a, b);
          await waitFor(
            `round ${round}: ${a.join(',')} | ${b.join(',')} disconnected`,
            async () => {
              for (const n of NAMES) {
                const peers = await connectedPeers(net, n);
                if (other(n).some((o) => peers.includes(peerId(o)))) return false;
              }
              return true;
            },
            30_000,
          );

          // A node that lagged in the last round catches up on everything it missed (the bulk of old
          // epochs) while cut off from the far side; only sync can bring those signatures there.
          const behind = NAMES.filter((n) => signedUpTo(n) < head).map((n) => [n, signedUpTo(n), head] as const);
          const caughtUp = (await Promise.all(behind.map(([n]) => catchUp(n)))).reduce((s, x) => s + x, 0);
          if (caughtUp) rec.caughtUp = caughtUp;
          // Its oldest and newest late signatures: the quick look after the heal waits for them too.
          const late = behind.flatMap(([, from, to]) => [from + 1n, from + 2n, to]);

          // The round's epochs: a lagging round first adds a bulk of consistent epochs; then c
          // consistent, e split (X on side a, Y on side b), d consistent.
          if (mode === 'lagging') {
            for (let i = 0n; i < LAG_EPOCHS; i++) {
              const digest = randomDigest();
              publish(() => digest);
            }
          }
          const [C, X, Y, D] = [randomDigest(), randomDigest(), randomDigest(), randomDigest()];
          const c = publish(() => C);
          const e = publish((n) => (a.includes(n) ? X : Y));
          const d = publish(() => D);
          splitEpochs.push(e);
          rec.splitEpoch = e.toString();

          const kill = async (v: string): Promise<void> => {
            allLogs.push(net.proc(v).logs);
            await net.stop(v, 'SIGKILL');
            kills++;
          };
          const restart = async (v: string): Promise<void> => {
            await net.start(v);
            // Its blocks died with it; the other side still refuses it, and now it refuses them too.
            await partition(net, [v], other(v));
          };

          if (victim && mode === 'down-during-split') await kill(victim);
          await Promise.all(
            NAMES.filter((n) => net.procs.has(n) && !(mode === 'lagging' && n === victim)).map(catchUp),
          );
          if (victim && mode === 'down-during-split') {
            await restart(victim);
            await catchUp(victim);
          }
          if (victim && mode === 'killed-after-signing') {
            await kill(victim);
            await restart(victim);
            for (const epoch of [c, e, d]) {
              const r = await net.get(victim, `/namespaces/${NS}/audits/${epoch}`);
              inv.check(
                r.status === 200 && r.text === returned.get(victim)?.get(epoch),
                () =>
                  `${victim}: epoch ${epoch} served ${r.status} ${r.text} after a restart, returned before: ${returned.get(victim)?.get(epoch)}`,
              );
            }
            const r = await net.submit(victim, e, randomDigest(), chain.get(victim)?.get(c));
            inv.check(
              r.status === 409 && r.body.error === 'epoch-conflict',
              () => `${victim}: another digest for signed epoch ${e} after a restart got ${r.status} ${r.text}`,
            );
          }

          // The cut held: each side has all of its own side's signatures of the round, none of the other's.
          const signersOf = (epoch: bigint): string[] => NAMES.filter((n) => chain.get(n)?.has(epoch));
          await waitFor(
            `round ${round}: each side holds its own side's signatures`,
            async () => {
              for (const n of NAMES) {
                for (const epoch of [c, e, d]) {
                  const seen = (await epochView(net, n, epoch)).digests.flatMap((x) => x.signers.map((s) => s.name));
                  if (!signersOf(epoch).every((s) => !side(n).includes(s) || seen.includes(s))) return false;
                }
              }
              return true;
            },
            30_000,
          );
          for (const n of NAMES) {
            for (const epoch of [c, e, d]) {
              const v = await epochView(net, n, epoch);
              const foreign = v.digests
                .flatMap((x) => x.signers.map((s) => s.name))
                .filter((s) => other(n).includes(s));
              inv.check(
                foreign.length === 0 && v.proofs.length === 0,
                () =>
                  `round ${round}: the partition leaked: ${n} holds ${foreign.join(',')} at epoch ${epoch}, proofs ${v.proofs.join(',')}`,
              );
            }
          }

          const t0 = Date.now();
          await heal(net, a, b);
          const conv = await converge(`round ${round}: convergence after the heal`, [...new Set([...late, c, e, d])]);
          const ms = conv.at - t0;
          healed++;
          convergeMs.push(ms);
          rec.healToConvergedMs = ms;

          checkViews(conv.views, conv.proofs);
          const proof = conv.proofs.find((p) => p.epoch === e);
          if (inv.check(proof !== undefined, `round ${round}: no proof for epoch ${e}`) && proof) {
            rec.proof = proof.id;
            const names = [...proof.signers].sort();
            inv.check(
              names.length === 2 && names.some((s) => a.includes(s)) && names.some((s) => b.includes(s)),
              () =>
                `round ${round}: the proof of epoch ${e} names ${names.join(',')}, not one signer of each side ${a.join(',')} | ${b.join(',')}`,
            );
            await verifyOffline(proof.id, e, round % 2 ? 'protobuf' : 'json', order[0] as string);
          }
        }

        // Every signature ever returned is still served byte-identical by the node that returned it.
        for (const n of NAMES) {
          const all = [...(returned.get(n) ?? [])];
          for (let i = 0; i < all.length; i += 16) {
            await Promise.all(
              all.slice(i, i + 16).map(async ([epoch, text]) => {
                const r = await http(`${net.proc(n).url}/namespaces/${NS}/audits/${epoch}`);
                inv.check(
                  r.status === 200 && r.text === text,
                  () => `${n}: epoch ${epoch} served ${r.status} ${r.text}, returned ${text}`,
                );
              }),
            );
          }
          const info = await net.get(n, `/namespaces/${NS}`);
          inv.check(
            info.body.equivocated_epochs === BigInt(splitEpochs.length) && info.body.signing_halted === null,
            () => `${n}: namespace info ${info.text}`,
          );
        }
        for (const n of NAMES) allLogs.push(net.proc(n).logs);
        for (const logs of allLogs) {
          for (const l of logs) {
            if (l.event === 'equivocation')
              inv.check(
                l.kind === 'split-view',
                () => `a node logged a ${String(l.kind)} equivocation: ${JSON.stringify(l)}`,
              );
          }
          for (const l of alarmingLogs(logs)) inv.fail(`alarming log line: ${JSON.stringify(l).slice(0, 500)}`);
        }
      } finally {
        writePart({
          part: 'partitions',
          violations: inv.count,
          examples: inv.list,
          wallMs: Date.now() - started,
          nodes: NAMES.length,
          rounds: ROUNDS,
          healed,
          splits: rounds,
          proofsExpected: splitEpochs.length,
          epochs: Number(head),
          submissions,
          kills,
          offlineProofChecks: offlineChecks,
          healToConvergedMs: {
            median: convergeMs.length ? median(convergeMs) : null,
            max: convergeMs.length ? Math.max(...convergeMs) : null,
            all: convergeMs,
          },
        });
      }
      expect(inv.list).toEqual([]);
      expect(healed).toBe(ROUNDS);
    },
    partTimeout(1_800_000),
  );
});
