// Steady load for a few minutes (design §4, §5): three node processes gossip one namespace while
// the log publishes a new epoch RATE times a second to every node (each node signs it and gossips
// its signature to the other two); every SPLIT_EVERY-th epoch the log shows org1 another digest,
// so split-view proofs get made and spread. Alongside, a reader does what clients and operators
// do: epoch views, co-signatures, /metrics, /network/status, the proof list, and SSE
// connections to /events that read a few events (some resuming with Last-Event-ID) and hang up.
// Every few seconds each process's resident set size (/proc) and V8 heap (prom-client's default
// metrics in /metrics) are sampled.
//   - Memory stays flat: after the warm-up (WARMUP_MS), the median of the last
//     third of the samples may not exceed the median of the first third by more than
//     MAX_GROWTH_PERCENT, for every node (RSS; the heap and the regression slopes are recorded).
//   - Every signature a node returned is still served unchanged at the end.
//   - All nodes agree on the epoch views of a sample of epochs (all split epochs included), each
//     complete, each split epoch has exactly one split-view proof everywhere and nothing else
//     has one.
//   - No alarming log line, no proof other than a split view.
// The rate is a steady state on a 2-core machine: driven as fast as it goes (RATE=200), the three
// nodes kept up with about 185 epochs/s each, so the default 40 is about a fifth of that. Each
// node's backlog (epochs published but not yet signed) is recorded; it stays at an epoch or two.
// What memory does (measured over 600 s at 40/s): RSS climbs from about 120 MB to 200-220 MB in
// the first minute or two while the bounded caches fill (the observation store keeps the last
// 4096 epochs, about 4.5 KB each with three signers; gossipsub remembers message ids for 120 s;
// the liveness monitor tracks 2048 epochs) and V8 sizes its heap; afterwards the used heap is flat
// (about 62 MB, slope 0.1 MB/min) and RSS levels off (+5 % from the samples after the warm-up to
// the last third).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stringifyJson } from '../../src/util/json.js';
import { http } from '../support/http.js';
import { TestNetwork, waitFor } from '../support/network.js';
import { tempDir } from '../support/tmp.js';
import {
  alarmingLogs,
  epochView,
  FULL_MODE,
  Invariants,
  median,
  metricValue,
  randomInt,
  rssBytes,
  setting,
  signersByDigest,
  sleep,
  slope,
  writePart,
} from './support.js';

const NS = 'load.example';
const DURATION_MS = setting('RELIABILITY_LOAD_SECONDS', 240, 240) * 1000;
/** Epochs per second the log publishes (each goes to every node). */
const RATE = Number(process.env.RELIABILITY_LOAD_RATE ?? 40);
/** Every this many epochs, org1 is shown another digest than the others. */
const SPLIT_EVERY = 200n;
const SAMPLE_EVERY_MS = 3000;
/**
 * Memory is compared after the warm-up: until the bounded caches are full (the observation store
 * keeps the last 4096 epochs: 4096 / RATE seconds) plus 30 s, and at least a quarter of the run.
 * Before that, growth is the caches filling, not a leak.
 */
const WARMUP_MS = Math.max(DURATION_MS / 4, (4096 / RATE) * 1000 + 30_000);
/**
 * The nodes run with a capped V8 heap, as in a container: V8 then collects before the heap balloons,
 * so RSS follows what is live rather than when the last major GC happened, and a real leak ends
 * in an out-of-memory crash (a lost process is a violation).
 */
const HEAP_CAP_MB = 384;
const MAX_GROWTH_PERCENT = 30;
/**
 * How long gossip may take to settle after the run (only catches a hang). A full run on a shared
 * machine leaves nodes up to 1,600 epochs behind at the end (the backlog figure), so it waits longer.
 */
const SETTLE_MS = FULL_MODE ? 300_000 : 60_000;
const NAMES = ['org1', 'org2', 'org3'];
const SPLIT_NODE = 'org1';

interface Sample {
  /** ms since the load started */
  t: number;
  rss: number;
  heap?: number;
  heapTotal?: number;
  external?: number;
}

interface MemoryFigures {
  baseMB: number;
  lateMB: number;
  growthPercent: number;
  slopeMBPerMin: number;
  maxMB: number;
}

const randomDigest = (): string => randomBytes(32).toString('hex');
const MB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Flatness of one series: the medians of the first and last thirds after the warm-up, and the slope. */
function figures(samples: { t: number; v: number }[], warmupMs: number): MemoryFigures | undefined {
  const after = samples.filter((s) => s.t >= warmupMs);
  if (after.length < 6) return undefined;
  const third = Math.floor(after.length / 3);
  const base = median(after.slice(0, third).map((s) => s.v));
  const late = median(after.slice(-third).map((s) => s.v));
  return {
    baseMB: round1(base / MB),
    lateMB: round1(late / MB),
    growthPercent: round1(((late - base) / base) * 100),
    slopeMBPerMin: round1(
      slope(
        after.map((s) => s.t / 60_000),
        after.map((s) => s.v / MB),
      ),
    ),
    maxMB: round1(Math.max(...after.map((s) => s.v)) / MB),
  };
}

describe('steady load', () => {
  const tmp = tempDir('chorus-rel-load-');
  const net = new TestNetwork(tmp.dir, NS);
  const inv = new Invariants();
  afterAll(async () => {
    await net.stopAll();
    tmp.cleanup();
  });

  it(`memory stays flat and nothing is lost over ${DURATION_MS / 1000} s at ${RATE} epochs/s per node`, async () => {
    const started = Date.now();
    const samples = new Map<string, Sample[]>(NAMES.map((n) => [n, []]));
    const returned = new Map(NAMES.map((n) => [n, new Map<bigint, string>()]));
    const next = new Map(NAMES.map((n) => [n, 1n]));
    const maxBacklog = new Map(NAMES.map((n) => [n, 0]));
    /** Each node's backlog (epochs published, not yet signed) at every memory sample. */
    const backlogs = new Map(NAMES.map((n) => [n, [] as number[]]));
    const reads: Record<string, number> = {
      views: 0,
      cosignatures: 0,
      metrics: 0,
      status: 0,
      proofs: 0,
      sse: 0,
      sseEvents: 0,
    };
    const splitEpochs: bigint[] = [];
    let submissions = 0;
    let observations = 0;
    let loadMs = 0;
    const finalChecks = { signatures: 0, views: 0 };
    let memory: Record<
      string,
      { rss?: MemoryFigures; heap?: MemoryFigures; heapTotal?: MemoryFigures; external?: MemoryFigures }
    > = {};
    let maxGrowthPercent: number | undefined;

    // The log: one digest per epoch, another one for org1 at every split epoch.
    const canonical = new Map<bigint, string>();
    const alternative = new Map<bigint, string>();
    const digestFor = (name: string, e: bigint): string => {
      let d = canonical.get(e);
      if (!d) canonical.set(e, (d = randomDigest()));
      if (e % SPLIT_EVERY === 0n) {
        let alt = alternative.get(e);
        if (!alt) alternative.set(e, (alt = randomDigest()));
        if (name === SPLIT_NODE) return alt;
      }
      return d;
    };

    try {
      await net.setup(NAMES.length, 2);
      net.env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_CAP_MB}`.trim() };
      for (const n of net.nodes)
        net.editConfig(
          n.name,
          (doc) => ((doc.http as Record<string, unknown>).rate_limit = { max: 1_000_000, window_seconds: 60 }),
        );
      await net.startAll();
      await waitFor(
        'a full mesh',
        async () => {
          for (const n of NAMES) {
            const s = await net.get(n, '/network/status');
            if (((s.body.connectedPeers ?? []) as string[]).length !== NAMES.length - 1) return false;
          }
          return true;
        },
        30_000,
      );

      const t0 = Date.now();
      const elapsed = (): number => Date.now() - t0;
      /** The newest epoch the log has published. */
      const published = (): bigint => BigInt(Math.floor((elapsed() * RATE) / 1000)) + 1n;
      let stop = false;

      const pump = async (name: string): Promise<void> => {
        const url = net.proc(name).url;
        const token = net.node(name).token;
        const mine = returned.get(name) as Map<bigint, string>;
        for (;;) {
          const e = next.get(name) as bigint;
          if (stop) return;
          const backlog = Number(published() - e);
          if (backlog < 0) {
            await sleep(Math.max(1, Math.ceil(Number(e - 1n) * (1000 / RATE)) - elapsed()));
            continue;
          }
          if (backlog > (maxBacklog.get(name) as number)) maxBacklog.set(name, backlog);
          const digest = digestFor(name, e);
          const body = e === 1n ? { epoch: e, digest } : { epoch: e, digest, previous: digestFor(name, e - 1n) };
          const r = await http(`${url}/namespaces/${NS}/audits`, { body, token });
          submissions++;
          if (
            !inv.check(
              r.status === 200 && r.body.digest === digest,
              () => `${name}: epoch ${e} answered ${r.status} ${r.text}`,
            )
          )
            return;
          mine.set(e, r.text);
          next.set(name, e + 1n);
          if (e % SPLIT_EVERY === 0n && name === SPLIT_NODE) splitEpochs.push(e);
        }
      };

      /** The newest epoch every node has signed. */
      const signedEverywhere = (): bigint => [...next.values()].reduce((m, x) => (x < m ? x : m)) - 1n;

      const lastEventId = new Map<string, number>();
      const sse = async (name: string): Promise<void> => {
        const ctl = new AbortController();
        const headers: Record<string, string> = {};
        const seen = lastEventId.get(name) ?? 0;
        const resume = seen > 50 && Math.random() < 0.5;
        if (resume) headers['last-event-id'] = String(seen - randomInt(1, 50));
        const res = await fetch(`${net.proc(name).url}/events`, { headers, signal: ctl.signal });
        inv.check(
          res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/event-stream'),
          () => `${name}: /events answered ${res.status}`,
        );
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = '';
        let events = 0;
        const deadline = Date.now() + 5000;
        while (events < 5 && Date.now() < deadline) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          const frames = text.split('\n\n');
          text = frames.pop() ?? '';
          for (const f of frames) {
            const id = /^id: (\d+)$/m.exec(f);
            if (!id) continue;
            events++;
            lastEventId.set(name, Math.max(lastEventId.get(name) ?? 0, Number(id[1])));
          }
        }
        ctl.abort();
        reads.sse = (reads.sse ?? 0) + 1;
        reads.sseEvents = (reads.sseEvents ?? 0) + events;
        inv.check(
          events > 0,
          () => `${name}: an SSE connection${resume ? ' resuming' : ''} got no event in 5 s under load`,
        );
      };
      const reader = async (): Promise<void> => {
        while (!stop) {
          await sleep(100);
          const name = NAMES[randomInt(0, NAMES.length - 1)] as string;
          const top = signedEverywhere();
          if (top < 2n) continue;
          const e = BigInt(randomInt(Math.max(1, Number(top) - 200), Number(top)));
          const pick = Math.random();
          if (pick < 0.4) {
            const v = await epochView(net, name, e);
            reads.views = (reads.views ?? 0) + 1;
            const { byName, twice } = signersByDigest(v);
            inv.check(
              v.status === 200 && twice.length === 0,
              () => `${name}: epoch ${e} view ${v.status}, under two digests: ${twice.join(',')}`,
            );
            for (const o of NAMES) {
              const d = byName.get(o);
              inv.check(
                d === undefined || d === digestFor(o, e),
                () => `${name}: epoch ${e} shows ${o} under ${d}, the log gave it ${digestFor(o, e)}`,
              );
            }
          } else if (pick < 0.7) {
            const r = await net.get(name, `/namespaces/${NS}/epochs/${e}/cosignatures`);
            reads.cosignatures = (reads.cosignatures ?? 0) + 1;
            inv.check(r.status === 200, () => `${name}: cosignatures of epoch ${e}: ${r.status} ${r.text}`);
          } else if (pick < 0.8) {
            await sse(name);
          } else if (pick < 0.9) {
            const r = await net.get(name, '/network/status');
            reads.status = (reads.status ?? 0) + 1;
            inv.check(r.status === 200 && r.body.enabled === true, () => `${name}: /network/status ${r.status}`);
          } else {
            const r = await net.get(name, `/equivocations?namespace=${NS}`);
            reads.proofs = (reads.proofs ?? 0) + 1;
            inv.check(r.status === 200, () => `${name}: /equivocations ${r.status}`);
          }
        }
      };

      const sampler = async (): Promise<void> => {
        while (!stop) {
          const t = elapsed();
          for (const n of NAMES) {
            backlogs.get(n)?.push(Math.max(0, Number(published() - (next.get(n) as bigint))));
            const rss = rssBytes(net.proc(n).proc.pid as number);
            const m = await net.get(n, '/metrics');
            reads.metrics = (reads.metrics ?? 0) + 1;
            const heap = metricValue(m.text, 'nodejs_heap_size_used_bytes');
            const heapTotal = metricValue(m.text, 'nodejs_heap_size_total_bytes');
            const external = metricValue(m.text, 'nodejs_external_memory_bytes');
            if (inv.check(rss !== undefined, `${n}: process gone`) && rss !== undefined) {
              samples.get(n)?.push({
                t,
                rss,
                ...(heap !== undefined ? { heap } : {}),
                ...(heapTotal !== undefined ? { heapTotal } : {}),
                ...(external !== undefined ? { external } : {}),
              });
            }
          }
          const wait = SAMPLE_EVERY_MS - (elapsed() - t);
          const until = elapsed() + wait;
          while (!stop && elapsed() < until) await sleep(Math.min(250, until - elapsed()));
        }
      };

      const timer = setTimeout(() => (stop = true), DURATION_MS);
      try {
        await Promise.all([...NAMES.map(pump), reader(), sampler()]);
      } finally {
        clearTimeout(timer);
        stop = true;
      }
      loadMs = elapsed();

      // Memory: flat after the warm-up.
      const warmupMs = WARMUP_MS;
      memory = Object.fromEntries(
        NAMES.map((n) => {
          const s = samples.get(n) ?? [];
          const series = (k: 'rss' | 'heap' | 'heapTotal' | 'external') =>
            s.flatMap((x) => (x[k] !== undefined ? [{ t: x.t, v: x[k] as number }] : []));
          return [
            n,
            {
              rss: figures(series('rss'), warmupMs),
              heap: figures(series('heap'), warmupMs),
              heapTotal: figures(series('heapTotal'), warmupMs),
              external: figures(series('external'), warmupMs),
            },
          ];
        }),
      );
      const growths = NAMES.map((n) => memory[n]?.rss?.growthPercent);
      if (growths.every((g) => g !== undefined)) {
        maxGrowthPercent = Math.max(...(growths as number[]));
        for (const n of NAMES) {
          const g = memory[n]?.rss?.growthPercent as number;
          inv.check(
            g <= MAX_GROWTH_PERCENT,
            () => `${n}: RSS grew ${g} % after the warm-up (${JSON.stringify(memory[n])})`,
          );
        }
      } else {
        inv.fail(
          `too few memory samples after the warm-up: ${NAMES.map((n) => samples.get(n)?.length ?? 0).join(',')}`,
        );
      }

      // Gossip settles: every node holds all three signatures of the last epoch everyone signed,
      // and one split-view proof of every split epoch.
      const top = signedEverywhere();
      await waitFor(
        'the last epoch co-signed by all three everywhere',
        async () => {
          for (const n of NAMES) {
            const v = await epochView(net, n, top);
            if (v.digests.reduce((s, d) => s + d.signers.length, 0) !== NAMES.length) return false;
          }
          return true;
        },
        SETTLE_MS,
      );
      // The last lists seen, so a timeout says which node misses which split epoch's proof.
      let lastLists: { epoch: bigint }[][] = [];
      const proofLists = await waitFor(
        'one proof per split epoch everywhere',
        async () => {
          const lists = await Promise.all(
            NAMES.map(
              async (n) =>
                ((await net.get(n, `/equivocations?namespace=${NS}&limit=1000`)).body.equivocations ?? []) as {
                  id: string;
                  epoch: bigint;
                  kind: string;
                }[],
            ),
          );
          lastLists = lists;
          const sets = lists.map((l) =>
            l
              .map((p) => p.id)
              .sort()
              .join(),
          );
          return sets.every((s) => s === sets[0]) && (lists[0]?.length ?? 0) >= splitEpochs.length ? lists : false;
        },
        SETTLE_MS,
      ).catch((err: unknown) => {
        const missing = NAMES.map(
          (n, i) =>
            `${n} misses ${splitEpochs.filter((e) => !(lastLists[i] ?? []).some((p) => p.epoch === e)).join(',') || 'none'}`,
        );
        throw new Error(
          `${(err as Error).message} (${lastLists.map((l) => l.length).join('/')} proofs; ${missing.join('; ')})`,
        );
      });
      const proofs = proofLists[0] ?? [];
      for (const p of proofs)
        inv.check(
          p.kind === 'split-view' && splitEpochs.includes(p.epoch),
          () => `a ${p.kind} proof at epoch ${p.epoch}`,
        );
      for (const e of splitEpochs)
        inv.check(
          proofs.filter((p) => p.epoch === e).length === 1,
          () => `epoch ${e}: ${proofs.filter((p) => p.epoch === e).length} proofs`,
        );

      // Epoch views agree on a sample of epochs, all split epochs included.
      const sample = new Set<bigint>(splitEpochs);
      for (let i = 0; i < 300; i++) sample.add(BigInt(randomInt(1, Number(top))));
      for (const e of sample) {
        const views = await Promise.all(NAMES.map((n) => epochView(net, n, e)));
        finalChecks.views++;
        const norm = views.map((v) => stringifyJson({ digests: v.digests, proofs: v.proofs }));
        const v = views[0];
        inv.check(
          norm.every((x) => x === norm[0]),
          () => `epoch ${e}: the nodes' views differ: ${norm.join(' / ')}`,
        );
        if (!v) continue;
        const { byName, twice } = signersByDigest(v);
        inv.check(
          twice.length === 0 && NAMES.every((o) => byName.get(o) === digestFor(o, e)),
          () => `epoch ${e}: ${norm[0]}`,
        );
        inv.check(
          v.digests.length === (e % SPLIT_EVERY === 0n ? 2 : 1) && v.proofs.length === (e % SPLIT_EVERY === 0n ? 1 : 0),
          () => `epoch ${e}: ${norm[0]}`,
        );
      }

      // Every signature returned is still served unchanged.
      for (const n of NAMES) {
        const url = net.proc(n).url;
        const all = [...(returned.get(n) ?? new Map<bigint, string>())];
        for (let i = 0; i < all.length; i += 32) {
          await Promise.all(
            all.slice(i, i + 32).map(async ([e, text]) => {
              const r = await http(`${url}/namespaces/${NS}/audits/${e}`);
              finalChecks.signatures++;
              inv.check(
                r.status === 200 && r.text === text,
                () => `${n}: epoch ${e} served ${r.status} ${r.text}, returned ${text}`,
              );
            }),
          );
        }
      }

      // Observations received from the other nodes (gossip and sync).
      for (const n of NAMES) {
        const s = await net.get(n, '/network/status');
        const topics = (s.body.topics ?? {}) as Record<string, { validation: { accept: Record<string, bigint> } }>;
        for (const [topic, t] of Object.entries(topics)) {
          if (topic.includes('/observations/'))
            observations += Object.values(t.validation.accept).reduce((a, b) => a + Number(b), 0);
        }
        observations += Number((s.body.sync_counters as { syncObservations?: bigint } | null)?.syncObservations ?? 0n);
      }

      for (const n of NAMES) {
        const logs = net.proc(n).logs;
        for (const l of logs)
          if (l.event === 'equivocation')
            inv.check(l.kind === 'split-view', () => `${n} logged a ${String(l.kind)} equivocation`);
        for (const l of alarmingLogs(logs)) inv.fail(`${n}: alarming log line: ${JSON.stringify(l).slice(0, 500)}`);
      }
    } finally {
      writePart({
        part: 'load',
        violations: inv.count,
        examples: inv.list,
        wallMs: Date.now() - started,
        durationMs: loadMs,
        ratePerNode: RATE,
        achievedRatePerNode: loadMs ? round1(submissions / NAMES.length / (loadMs / 1000)) : 0,
        submissions,
        observations,
        splitEpochs: splitEpochs.length,
        backlogEpochs: Object.fromEntries(
          NAMES.map((n) => [n, { max: maxBacklog.get(n), medianSampled: median(backlogs.get(n) ?? []) }]),
        ),
        reads,
        finalChecks,
        maxGrowthPercent: maxGrowthPercent ?? null,
        maxGrowthAllowedPercent: MAX_GROWTH_PERCENT,
        warmupMs: WARMUP_MS,
        memory,
        /** Per node: [ms since the start, RSS MB, heap used MB, heap total MB]. */
        rssSamples: Object.fromEntries(
          [...samples].map(([n, s]) => [
            n,
            s.map((x) => [
              x.t,
              round1(x.rss / MB),
              ...[x.heap, x.heapTotal].map((v) => (v !== undefined ? round1(v / MB) : null)),
            ]),
          ]),
        ),
      });
    }
    expect(inv.list).toEqual([]);
  });
});
