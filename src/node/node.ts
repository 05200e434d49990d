// Composes one Chorus node: store, keys, auditing service and HTTP API. Later layers (AKD
// validation, gossip) attach to the seams exposed here: `auditor` events, `signing.onSign`,
// `namespaces.extend`, and the Fastify instance.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerPlexiRoutes } from '../api/plexi-routes.js';
import { createServer } from '../api/server.js';
import { openDatabase, type RootDb } from '../store/database.js';
import { SigningStore } from '../store/signing-store.js';
import { Auditor, Keyring } from './auditor.js';
import type { NodeConfig } from './config.js';
import { loadKeyFile } from './keys.js';
import { NamespaceView } from './namespace-view.js';
import { toHex } from '../util/bytes.js';

export interface NodeOptions {
  logger: Logger;
  now?: () => bigint;
}

export class ChorusNode {
  private constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly db: RootDb,
    readonly signing: SigningStore,
    readonly auditor: Auditor,
    readonly namespaces: NamespaceView,
    readonly http: FastifyInstance,
  ) {}

  /** Opens everything and prepares namespaces, but does not listen yet. */
  static async create(config: NodeConfig, opts: NodeOptions): Promise<ChorusNode> {
    const now = opts.now ?? (() => BigInt(Date.now()));
    const keyring = new Keyring(config.keys.map((k) => ({ key: loadKeyFile(k.file), notBefore: k.notBefore })));
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const db = await openDatabase(join(config.dataDir, 'db'));
    try {
      const signing = new SigningStore(db, { now });
      const auditor = new Auditor(signing, keyring, config.namespaces, now);
      await auditor.start();
      const namespaces = new NamespaceView(auditor, signing);
      const http = createServer({ logger: opts.logger, bodyLimitBytes: config.http.bodyLimitBytes });
      registerPlexiRoutes(http, { auditor, namespaces });
      http.get('/healthz', async () => ({ status: 'ok' }));
      const node = new ChorusNode(config, opts.logger, db, signing, auditor, namespaces, http);
      auditor.on('signed', (r, info) =>
        opts.logger.info({ event: 'epoch-signed', namespace: r.namespace, epoch: r.epoch.toString(), digest: toHex(r.digest), root: info.becameRoot }, 'epoch signed'),
      );
      auditor.on('conflict', (c) =>
        opts.logger.warn({ event: 'submission-conflict', namespace: c.namespace, epoch: c.epoch.toString(), signed: c.signedDigest, submitted: c.submittedDigest }, 'refused a second digest for a signed epoch'),
      );
      return node;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  async listen(): Promise<string> {
    const address = await this.http.listen({ host: this.config.http.host, port: this.config.http.port });
    this.logger.info({ event: 'listening', url: address, public_keys: this.auditor.keyring.infos().map((k) => toHex(k.publicKey)) }, 'chorus node listening');
    return address;
  }

  /** Finishes in-flight requests, then closes the database. */
  async close(): Promise<void> {
    await this.http.close();
    await this.db.close();
  }
}
