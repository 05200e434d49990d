// The demo log: a synthetic AKD log (the project's own generator) that publishes a real epoch
// with a real append-only proof every few seconds into a proof directory (served S3-style) and
// pushes each epoch to the auditor nodes. `equivocateAt` makes it show a split view from that
// epoch on: the last `minority` targets get a second, self-consistent branch of the tree (valid
// proofs, different digests), as a log attacking some users would. State survives restarts: the
// tree is rebuilt deterministically from its seed.
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LeafSource, SyntheticLog } from '../akd/generator.js';
import { writeProofBlob } from '../akd-runtime/log-writer.js';
import type { PublishedEpoch } from '../akd/directory-tree.js';
import { toHex } from '../util/bytes.js';
import { errorMessage } from '../util/errors.js';
import { stringifyJson } from '../util/json.js';

export interface DemoTarget {
  name: string;
  url: string;
  token: string;
}

export interface DemoLogOptions {
  dataDir: string;
  namespace: string;
  inserts: number;
  base: number;
  targets: DemoTarget[];
  equivocateAt?: bigint;
  minority: number;
  logger: Logger;
  seed?: string;
}

interface State {
  namespace: string;
  seed: string;
  base: number;
  inserts: number;
  published: number; // epochs published (epoch 1 .. published)
  equivocate_at: string | null;
  minority: number;
  pushed: Record<string, number>; // target name -> last epoch acknowledged
}

interface Branch {
  log: SyntheticLog;
  leaves: LeafSource;
  heads: Map<number, PublishedEpoch>;
}

export class DemoLog {
  readonly #o: DemoLogOptions;
  readonly #stateFile: string;
  readonly proofDir: string;
  #state: State;
  #main!: Branch;
  #fork: Branch | undefined;

  constructor(o: DemoLogOptions) {
    this.#o = o;
    mkdirSync(o.dataDir, { recursive: true });
    this.#stateFile = join(o.dataDir, 'log-state.json');
    this.proofDir = join(o.dataDir, 'proofs');
    const saved = existsSync(this.#stateFile)
      ? (JSON.parse(readFileSync(this.#stateFile, 'utf8')) as State)
      : undefined;
    this.#state = saved ?? {
      namespace: o.namespace,
      seed: o.seed ?? 'chorus demo log',
      base: o.base,
      inserts: o.inserts,
      published: 0,
      equivocate_at: o.equivocateAt !== undefined ? o.equivocateAt.toString() : null,
      minority: o.minority,
      pushed: {},
    };
    // A later run may ask for a split view that the saved log does not have yet.
    if (
      saved &&
      o.equivocateAt !== undefined &&
      saved.equivocate_at === null &&
      o.equivocateAt > BigInt(saved.published)
    ) {
      this.#state.equivocate_at = o.equivocateAt.toString();
      this.#state.minority = o.minority;
    }
    this.#rebuild();
  }

  get published(): number {
    return this.#state.published;
  }

  get equivocateAt(): bigint | undefined {
    return this.#state.equivocate_at === null ? undefined : BigInt(this.#state.equivocate_at);
  }

  #newBranch(seed: string): Branch {
    const log = new SyntheticLog({ name: 'whatsapp_v1' }, this.#state.seed, {
      expectedLeaves: this.#state.base + 10_000 * this.#state.inserts,
    });
    return { log, leaves: new LeafSource(seed), heads: new Map() };
  }

  /** Replays the published epochs (deterministic) so a restarted log continues the same tree. */
  #rebuild(): void {
    this.#main = this.#newBranch(this.#state.seed);
    const split = this.equivocateAt;
    for (let e = 1; e <= this.#state.published; e++) {
      if (split !== undefined && BigInt(e) === split) this.#fork = this.#forkFrom(e - 1);
      this.#publishOn(this.#main, e);
      if (this.#fork && split !== undefined && BigInt(e) >= split) this.#publishOn(this.#fork, e);
    }
  }

  /**
   * A second tree, identical up to the epoch before the split: same seed, so replaying the main
   * branch's epochs rebuilds the same tree; new leaves then come from a different source.
   */
  #forkFrom(upTo: number): Branch {
    const fork = this.#newBranch(`${this.#state.seed} / split view`);
    for (let e = 1; e <= upTo; e++) fork.log.publish(e === 1 ? this.#state.base : this.#state.inserts);
    return fork;
  }

  #publishOn(b: Branch, epoch: number): PublishedEpoch {
    const size = epoch === 1 ? this.#state.base : this.#state.inserts;
    const p = b === this.#main ? b.log.publish(size) : b.log.tree.publish(b.leaves.next(size));
    b.heads.set(epoch, p);
    // Keep only what pushing may still need (targets catching up after a restart).
    b.heads.delete(epoch - 1000);
    return p;
  }

  #save(): void {
    const tmp = `${this.#stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#state, null, 2));
    renameSync(tmp, this.#stateFile);
  }

  /** Publishes the next epoch (both branches during a split) and writes its proof blobs. */
  async publishNext(): Promise<{ epoch: number; digests: string[] }> {
    const epoch = this.#state.published + 1;
    const split = this.equivocateAt;
    if (split !== undefined && BigInt(epoch) === split && !this.#fork) this.#fork = this.#forkFrom(epoch - 1);
    const main = this.#publishOn(this.#main, epoch);
    await writeProofBlob(this.proofDir, main.blobName, main.proof);
    const digests = [toHex(main.currentHash)];
    if (this.#fork && split !== undefined && BigInt(epoch) >= split) {
      const other = this.#publishOn(this.#fork, epoch);
      await writeProofBlob(this.proofDir, other.blobName, other.proof);
      digests.push(toHex(other.currentHash));
    }
    this.#state.published = epoch;
    this.#save();
    this.#o.logger.info(
      { event: 'log-epoch', epoch, digests, split: digests.length > 1 },
      digests.length > 1 ? `epoch ${epoch}: SPLIT VIEW` : `epoch ${epoch}`,
    );
    return { epoch, digests };
  }

  /** Which branch a target sees at an epoch (the minority sees the fork from the split on). */
  #branchFor(targetIndex: number, epoch: number): Branch {
    const split = this.equivocateAt;
    const inMinority = targetIndex >= this.#o.targets.length - this.#state.minority;
    return this.#fork && split !== undefined && inMinority && BigInt(epoch) >= split ? this.#fork : this.#main;
  }

  /** Pushes every epoch a target has not acknowledged yet, in order (targets may have been down). */
  async pushAll(): Promise<void> {
    await Promise.all(this.#o.targets.map((t, i) => this.#pushTarget(t, i)));
    this.#save();
  }

  async #pushTarget(t: DemoTarget, index: number): Promise<void> {
    let next = (this.#state.pushed[t.name] ?? 0) + 1;
    while (next <= this.#state.published) {
      const p = this.#branchFor(index, next).heads.get(next);
      if (!p) {
        // Too far behind (more than the kept window): start from what is kept.
        next++;
        continue;
      }
      try {
        const res = await fetch(`${t.url}/namespaces/${this.#o.namespace}/audits`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
          body: stringifyJson({ epoch: BigInt(next), digest: toHex(p.currentHash), previous: toHex(p.previousHash) }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (!res.ok && res.status !== 409) {
          this.#o.logger.warn(
            { event: 'push-failed', target: t.name, epoch: next, status: res.status, body: text.slice(0, 200) },
            'push refused; will retry',
          );
          return;
        }
        if (res.status === 409)
          this.#o.logger.warn(
            { event: 'push-conflict', target: t.name, epoch: next, body: text.slice(0, 300) },
            'the node refused this epoch',
          );
      } catch (err) {
        this.#o.logger.debug(
          { event: 'push-unreachable', target: t.name, epoch: next, err: errorMessage(err) },
          'target unreachable; will retry',
        );
        return;
      }
      this.#state.pushed[t.name] = next;
      next++;
    }
  }
}
