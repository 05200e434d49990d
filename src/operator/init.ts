// `chorus init`: a fresh data directory with a signing key (mode 0600) and a commented config.
// Bearer tokens for the log are generated here and printed once; only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toHex } from '../util/bytes.js';
import { ChorusError } from '../util/errors.js';
import { renderConfig, type TemplateNamespace } from '../config/config-template.js';
import { createKeyFile } from '../config/key-file.js';

export const CONFIG_FILE = 'chorus.yaml';
export const KEY_FILE = 'node.key';

export interface InitOptions {
  dataDir: string;
  namespaces: string[];
  httpPort: number;
  httpHost?: string;
  publicUrl?: string;
  p2pPort?: number;
  p2pHost?: string;
  p2pAnnounce?: string[];
  /** Extra per-namespace settings (later commands add sources, roots…). */
  namespaceSettings?: Partial<Omit<TemplateNamespace, 'name' | 'tokenSha256'>>;
}

export interface InitResult {
  publicKey: string;
  config: string;
  keyFile: string;
  tokens: Record<string, string>;
  adminToken: string;
  peerId?: string;
}

export function newToken(): { token: string; sha256: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, sha256: createHash('sha256').update(token).digest('hex') };
}

export async function initDataDir(o: InitOptions): Promise<InitResult> {
  const dir = resolve(o.dataDir);
  const config = join(dir, CONFIG_FILE);
  const keyFile = join(dir, KEY_FILE);
  if (existsSync(config) || existsSync(keyFile)) {
    throw new ChorusError(
      'already-initialised',
      `${dir} already holds a Chorus node (${existsSync(config) ? CONFIG_FILE : KEY_FILE}); refusing to overwrite it`,
    );
  }
  if (new Set(o.namespaces).size !== o.namespaces.length)
    throw new ChorusError('duplicate-namespace', 'a namespace is given twice');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = createKeyFile(keyFile);
  const tokens: Record<string, string> = {};
  const namespaces: TemplateNamespace[] = o.namespaces.map((name) => {
    const t = newToken();
    tokens[name] = t.token;
    return { name, tokenSha256: t.sha256, ...(o.namespaceSettings ?? {}) };
  });
  const admin = newToken();
  const template = {
    httpPort: o.httpPort,
    ...(o.httpHost ? { httpHost: o.httpHost } : {}),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    keyFile: KEY_FILE,
    notBefore: BigInt(Date.now()),
    namespaces,
    adminTokenSha256: admin.sha256,
  } as Parameters<typeof renderConfig>[0];
  let peerId: string | undefined;
  if (o.p2pPort !== undefined) {
    template.p2pPort = o.p2pPort;
    if (o.p2pHost) template.p2pHost = o.p2pHost;
    if (o.p2pAnnounce) template.p2pAnnounce = o.p2pAnnounce;
    const { loadOrCreateIdentity } = await import('../p2p/identity.js');
    peerId = (await loadOrCreateIdentity(dir)).peerId;
  }
  writeFileSync(config, renderConfig(template), { mode: 0o600, flag: 'wx' });
  return {
    publicKey: toHex(key.publicKey),
    config,
    keyFile,
    tokens,
    adminToken: admin.token,
    ...(peerId ? { peerId } : {}),
  };
}
