// The deployment files in deploy/ kept honest: every YAML parses; every `chorus` invocation in
// compose.yaml, the Kubernetes manifests, the systemd unit, the Dockerfile, the helper scripts
// and deploy/README.md uses commands and flags the real CLI accepts; the configs and rosters pass
// the project's own validation; ports, paths, users and volumes agree across the files. Then the
// compose init/roster flow and the Kubernetes key handling run for real (the same scripts and
// commands, with the containers' paths mapped into a temp dir): a three-node network fed by the
// demo log, and a node started from the Kubernetes config with its keys from a Secret-like folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { peerIdFromString } from '@libp2p/peer-id';
import { loadConfig, type NodeConfig } from '../../src/config/config.js';
import { loadRoster } from '../../src/config/roster-load.js';
import { DEMO_NAMESPACE, EMPTY_TREE_ROOT } from '../../src/demo/orchestrator.js';
import { toHex } from '../../src/util/bytes.js';
import { NodeProcess, assertBuilt, runCli } from '../support/node-process.js';
import { freePort, waitFor } from '../support/network.js';
import { http } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const BIN = join(ROOT, 'bin', 'chorus');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
const strings = (v: unknown, what: string) => arr(v, what).map((x, i) => String(str(x, `${what}[${i}]`)));

// ---------------------------------------------------------------------------------------------
// The CLI's commands and flags: introspected from the command modules (src/cli/commands/*.ts
// register themselves on a commander program), and cross-checked against `chorus … --help`.

interface CliOption {
  long?: string;
  short?: string;
  value: 'required' | 'optional' | 'none';
  mandatory: boolean;
  hidden: boolean;
}
interface CliCommand {
  path: string[];
  options: CliOption[];
  args: { required: boolean; variadic: boolean }[];
  subcommands: Map<string, CliCommand>;
}

function modelOf(cmd: Command, path: string[]): CliCommand {
  return {
    path,
    options: cmd.options.map((o) => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      value: o.required ? 'required' : o.optional ? 'optional' : 'none',
      mandatory: o.mandatory,
      hidden: o.hidden,
    })),
    args: cmd.registeredArguments.map((a) => ({ required: a.required, variadic: a.variadic })),
    subcommands: new Map(cmd.commands.map((c) => [c.name(), modelOf(c, [...path, c.name()])])),
  };
}

async function loadCliModel(): Promise<CliCommand> {
  // main.ts adds --version to the program itself; the commands come from their modules.
  const program = new Command('chorus').version('0.0.0', '-V, --version');
  const dir = join(ROOT, 'src', 'cli', 'commands');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { register?: unknown };
    if (typeof mod.register !== 'function') throw new Error(`${file} exports no register()`);
    (mod.register as (p: Command) => void)(program);
  }
  return modelOf(program, []);
}

function allCommands(c: CliCommand): CliCommand[] {
  return [c, ...[...c.subcommands.values()].flatMap(allCommands)];
}

/** `chorus PATH --help`: the visible long flags and subcommand names. */
function helpOf(path: string[]): { flags: Set<string>; subcommands: Set<string>; usage: string } {
  const r = runCli([...path, '--help']);
  if (r.status !== 0) throw new Error(`chorus ${path.join(' ')} --help failed: ${r.stderr}`);
  const flags = new Set<string>();
  const subcommands = new Set<string>();
  let section = '';
  for (const line of r.stdout.split('\n')) {
    if (/^\S.*:$/.test(line)) section = line;
    const m = /^ {2}(?:(-\w), )?(--[\w-]+)?(?:\s|$)/.exec(line);
    if (section === 'Options:' && m && (m[1] || m[2])) flags.add(m[2] ?? (m[1] as string));
    const c = /^ {2}([a-z][\w-]*)(?:\s|$)/.exec(line);
    if (section === 'Commands:' && c && c[1] !== 'help') subcommands.add(c[1] as string);
  }
  return { flags, subcommands, usage: r.stdout.split('\n')[0] ?? '' };
}

/** Problems with one invocation `chorus ARGV…` (empty: the real CLI accepts its shape). */
function checkInvocation(cli: CliCommand, argv: string[]): string[] {
  let cmd = cli;
  let i = 0;
  while (cmd.subcommands.size && i < argv.length && !(argv[i] as string).startsWith('-')) {
    const sub = cmd.subcommands.get(argv[i] as string);
    if (!sub) return [`unknown command "${[...cmd.path, argv[i]].join(' ')}"`];
    cmd = sub;
    i++;
  }
  const name = cmd.path.join(' ') || '(no command)';
  if (cmd.subcommands.size) return [`"chorus ${name}" needs a subcommand (${[...cmd.subcommands.keys()].join(', ')})`];
  const problems: string[] = [];
  const seen = new Set<CliOption>();
  const positional: string[] = [];
  for (; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!tok.startsWith('-') || tok === '-') {
      positional.push(tok);
      continue;
    }
    const [flag, inline] =
      tok.startsWith('--') && tok.includes('=')
        ? [tok.slice(0, tok.indexOf('=')), tok.slice(tok.indexOf('=') + 1)]
        : [tok, undefined];
    const opt = cmd.options.find((o) => o.long === flag || o.short === flag);
    if (!opt) {
      if (flag !== '--help' && flag !== '-h') problems.push(`chorus ${name}: unknown option ${flag}`);
      continue;
    }
    seen.add(opt);
    if (opt.value === 'none') {
      if (inline !== undefined) problems.push(`chorus ${name}: ${flag} takes no value`);
    } else if (inline === undefined && opt.value === 'required') {
      const v = argv[i + 1];
      if (v === undefined || (v.startsWith('-') && v !== '-')) problems.push(`chorus ${name}: ${flag} needs a value`);
      else i++;
    } else if (
      inline === undefined &&
      opt.value === 'optional' &&
      argv[i + 1] !== undefined &&
      !(argv[i + 1] as string).startsWith('-')
    ) {
      i++;
    }
  }
  for (const o of cmd.options)
    if (o.mandatory && !seen.has(o)) problems.push(`chorus ${name}: missing required option ${o.long}`);
  const required = cmd.args.filter((a) => a.required).length;
  const variadic = cmd.args.some((a) => a.variadic);
  if (positional.length < required)
    problems.push(`chorus ${name}: needs ${required} argument(s), got ${positional.length}`);
  if (!variadic && positional.length > cmd.args.length)
    problems.push(`chorus ${name}: unexpected argument(s) ${positional.slice(cmd.args.length).join(' ')}`);
  return problems;
}

function commandOf(cli: CliCommand, argv: string[]): string {
  const out: string[] = [];
  let cmd = cli;
  for (const a of argv) {
    const sub = cmd.subcommands.get(a);
    if (!sub) break;
    out.push(a);
    cmd = sub;
  }
  return out.join(' ');
}

// ---------------------------------------------------------------------------------------------
// A small shell lexer: enough of sh/bash to find the `chorus` invocations in the helper scripts and
// in the README's code blocks (quotes, $(…), comments, continuations, arrays, operators).

interface Word {
  text: string;
  quoted: boolean;
  /** The word starts outside quotes (so a leading > or < is a redirection). */
  bare?: boolean;
  /** `name=(…)` / `name+=(…)`: the array's words. */
  array?: Word[];
}

function matchParen(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "'") i = src.indexOf("'", i + 1);
    else if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    if (i < 0) break;
  }
  throw new Error(`unbalanced parenthesis at ${src.slice(open, open + 40)}`);
}

function lexShell(src: string): Word[][] {
  const commands: Word[][] = [];
  let cur: Word[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  let bare = false;
  const endWord = () => {
    if (inWord) cur.push({ text: word, quoted, bare });
    word = '';
    inWord = false;
    quoted = false;
  };
  const endCommand = () => {
    endWord();
    if (cur.length) commands.push(cur);
    cur = [];
  };
  for (let i = 0; i < src.length;) {
    const c = src[i] as string;
    if (!inWord) bare = c !== "'" && c !== '"';
    if (c === '\\') {
      if (src[i + 1] !== '\n') {
        word += src[i + 1] ?? '';
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in ${src.slice(i, i + 40)}`);
      word += src.slice(i + 1, j);
      inWord = quoted = true;
      i = j + 1;
    } else if (c === '"') {
      inWord = quoted = true;
      for (i++; i < src.length && src[i] !== '"';) {
        if (src[i] === '\\' && '"\\$`'.includes(src[i + 1] ?? '')) {
          word += src[i + 1];
          i += 2;
        } else if (src[i] === '$' && src[i + 1] === '(') {
          const j = matchParen(src, i + 1);
          word += src.slice(i, j + 1);
          i = j + 1;
        } else word += src[i++];
      }
      i++;
    } else if (c === '$' && src[i + 1] === '(') {
      const j = matchParen(src, i + 1);
      word += src.slice(i, j + 1);
      inWord = true;
      i = j + 1;
    } else if (c === '#' && !inWord) {
      const j = src.indexOf('\n', i);
      i = j < 0 ? src.length : j;
    } else if (c === '\n' || c === ';') {
      endCommand();
      i++;
    } else if (c === '&' && inWord && /[<>]$/.test(word)) {
      word += c; // >&2
      i++;
    } else if (c === '&' || c === '|') {
      endCommand();
      i += src[i + 1] === c ? 2 : 1;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
    } else if (c === '(' && inWord && /^[A-Za-z_]\w*\+?=$/.test(word)) {
      const j = matchParen(src, i);
      cur.push({ text: `${word}(`, quoted: false, array: lexShell(src.slice(i + 1, j)).flat() });
      word = '';
      inWord = false;
      i = j + 1;
    } else if (c === '(' || c === ')') {
      endCommand();
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endCommand();
  return commands;
}

interface Invocation {
  where: string;
  argv: string[];
}

interface ImageFacts {
  entrypoint: string[];
  cmd: string[];
  /** Installed helper scripts: name in the image → file in the repository. */
  scripts: Map<string, string>;
}

const DOCKER_RUN_VALUE_FLAGS = new Set([
  '-v',
  '--volume',
  '-p',
  '--publish',
  '--name',
  '-e',
  '--env',
  '--entrypoint',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--restart',
  '--stop-timeout',
  '--network',
  '--mount',
  '--env-file',
  '-l',
  '--label',
  '--health-cmd',
]);
const DOCKER_RUN_BOOL_FLAGS = new Set([
  '--rm',
  '-d',
  '--detach',
  '-i',
  '-t',
  '-it',
  '--interactive',
  '--tty',
  '--init',
  '--read-only',
  '--no-deps',
  '--use-aliases',
  '--service-ports',
]);

/** Finds every `chorus` invocation in shell text (scripts, README blocks). */
function shellInvocations(src: string, where: string, ctx: { image: ImageFacts; composeServices?: Obj }): Invocation[] {
  const commands = lexShell(src);
  // Arrays (`args=(…)`, `args+=(…)`): every word of every assignment and append, so flags added
  // under an `if` are checked too.
  const arrays = new Map<string, string[]>();
  for (const w of commands.flat()) {
    if (!w.array) continue;
    const name = w.text.replace(/\+?=\($/, '');
    arrays.set(name, [...(arrays.get(name) ?? []), ...w.array.map((a) => a.text)]);
  }
  const expand = (words: Word[]): Word[] =>
    words.flatMap((w) => {
      const m = /^\$\{(\w+)\[@\]\}$/.exec(w.text);
      return m ? (arrays.get(m[1] as string) ?? []).map((t) => ({ text: t, quoted: true })) : [w];
    });
  const out: Invocation[] = [];
  for (const raw of commands) {
    if (raw.some((w) => w.array)) continue;
    // redirections (>file, >"$f", >&2, <<<"…") and the target of a bare `>` / `<`
    let words = expand(raw).filter((w, i, all) => {
      const prev = all[i - 1];
      if (prev?.bare && /^\d*(>>?|<<?<?)$/.test(prev.text)) return false;
      return !(w.bare && /^\d*(>>?|<<?<?)/.test(w.text));
    });
    while (
      words.length &&
      !words[0]?.quoted &&
      /^(if|then|else|elif|do|while|until|!|\{|time|exec)$|^[A-Za-z_]\w*=/.test(words[0]?.text ?? '')
    )
      words = words.slice(1);
    if (words[0]?.text === 'sudo') {
      let j = 1;
      while (j < words.length && (words[j] as Word).text.startsWith('-'))
        j += ['-u', '-g'].includes((words[j] as Word).text) ? 2 : 1;
      words = words.slice(j);
    }
    const texts = words.map((w) => w.text);
    const head = texts[0];
    if (head === undefined) continue;
    if (basename(head) === 'chorus') out.push({ where, argv: texts.slice(1) });
    else if ((head === 'sh' || head === 'bash') && texts.includes('-c')) {
      out.push(...shellInvocations(texts[texts.indexOf('-c') + 1] ?? '', `${where} (sh -c)`, ctx));
    } else if (head === 'kubectl' && texts.includes('--')) {
      const rest = texts.slice(texts.indexOf('--') + 1);
      if (rest[0] !== undefined && basename(rest[0]) === 'chorus') out.push({ where, argv: rest.slice(1) });
    } else if (head === 'docker') {
      out.push(...dockerInvocation(texts, where, ctx));
    }
  }
  return out;
}

function dockerInvocation(
  texts: string[],
  where: string,
  ctx: { image: ImageFacts; composeServices?: Obj },
): Invocation[] {
  const isCompose = texts[1] === 'compose';
  let i = isCompose ? 2 : 1;
  if (isCompose) while (texts[i] === '-f' || texts[i] === '--file' || texts[i] === '-p') i += 2;
  const sub = texts[i];
  if (sub !== 'run' && !(isCompose && sub === 'exec')) return [];
  let entrypoint: string | undefined;
  for (i++; i < texts.length && (texts[i] as string).startsWith('-'); i++) {
    const [flag, inline] = (texts[i] as string).split(/=(.*)/s) as [string, string | undefined];
    if (DOCKER_RUN_BOOL_FLAGS.has(flag)) continue;
    if (!DOCKER_RUN_VALUE_FLAGS.has(flag))
      throw new Error(`${where}: docker option ${flag} is not known to this test; add it to DOCKER_RUN_*_FLAGS`);
    const value = inline ?? texts[++i];
    if (flag === '--entrypoint') entrypoint = value;
  }
  const target = texts[i];
  const rest = texts.slice(i + 1);
  if (target === undefined) throw new Error(`${where}: docker ${sub} without an image or service`);
  if (isCompose) {
    const svc = obj(ctx.composeServices?.[target], `${where}: compose service ${target}`);
    if (sub === 'exec')
      return rest[0] !== undefined && basename(rest[0]) === 'chorus' ? [{ where, argv: rest.slice(1) }] : [];
    if (svc.entrypoint !== undefined)
      throw new Error(`${where}: docker compose run ${target}: the service has its own entrypoint`);
    return [{ where, argv: rest.length ? rest : strings(svc.command, `${target}.command`) }];
  }
  if (!target.startsWith('chorus')) return [];
  if (entrypoint === undefined) return [{ where, argv: rest.length ? rest : ctx.image.cmd }];
  if (basename(entrypoint) === 'chorus') return [{ where, argv: rest }];
  if (entrypoint === 'sh' || entrypoint === 'bash')
    return shellInvocations(rest[rest.indexOf('-c') + 1] ?? '', `${where} (sh -c)`, ctx);
  return [];
}

// ---------------------------------------------------------------------------------------------
// The Dockerfile.

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): { instructions: Instruction[]; stages: { from: string; name?: string }[] } {
  const lines = text.replace(/\\\r?\n/g, ' ').split('\n');
  const args = new Map<string, string>();
  const stages: { from: string; name?: string }[] = [];
  const instructions: Instruction[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(t);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    const rest = (m[2] as string).trim();
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=') as [string, string | undefined];
      args.set(k, v ?? '');
    }
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!f) throw new Error(`bad FROM ${rest}`);
      const from = (f[1] as string).replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
      stages.push({ from, ...(f[2] ? { name: f[2] } : {}) });
    }
    instructions.push({ op, args: rest, stage: stages.length - 1 });
  }
  return { instructions, stages };
}

const jsonArray = (s: string, what: string) => strings(JSON.parse(s), what);

// ---------------------------------------------------------------------------------------------
// Paths of a container mapped into a temp dir, through its volume mounts.

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

function hostPath(mounts: Mount[], sourceDir: (source: string) => string, p: string, what: string): string {
  const m = mounts
    .filter((x) => p === x.target || p.startsWith(`${x.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (!m)
    throw new Error(
      `${what}: ${p} is on no volume (${mounts.map((x) => x.target).join(', ')}): its data would be lost with the container`,
    );
  return join(sourceDir(m.source), p.slice(m.target.length));
}

function composeMounts(svc: Obj, name: string): Mount[] {
  return strings(svc.volumes ?? [], `${name}.volumes`).map((v) => {
    const [source, target, mode] = v.split(':') as [string, string, string | undefined];
    return { source, target, readOnly: mode === 'ro' };
  });
}

function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}
function withFlag(argv: string[], flag: string, value: string): string[] {
  const i = argv.indexOf(flag);
  if (i < 0) throw new Error(`${flag} not in ${argv.join(' ')}`);
  return [...argv.slice(0, i + 1), value, ...argv.slice(i + 2)];
}
const portOf = (url: string) => Number(new URL(url).port || (url.startsWith('https') ? 443 : 80));
const tcpPort = (multiaddr: string) => Number(/\/tcp\/(\d+)/.exec(multiaddr)?.[1] ?? NaN);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A PATH where `chorus` is this checkout's CLI (as /usr/local/bin/chorus is in the image). */
function shellEnv(binDir: string, env: Record<string, string>): NodeJS.ProcessEnv {
  mkdirSync(binDir, { recursive: true });
  if (!existsSync(join(binDir, 'chorus'))) symlinkSync(BIN, join(binDir, 'chorus'));
  return { PATH: `${binDir}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: binDir, ...env };
}

function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(r: { status: number; stdout: string; stderr: string }, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------

describe('deploy/', () => {
  let cli: CliCommand;
  let image: ImageFacts;
  let docker: ReturnType<typeof parseDockerfile>;
  let compose: Obj;
  let services: Obj;
  const k8sDocs = new Map<string, Obj[]>();
  let statefulSet: Obj;
  let podSpec: Obj;
  let kustomization: Obj;
  const k8sConfigFiles = new Map<string, string>(); // ConfigMap key -> repository path

  beforeAll(async () => {
    assertBuilt();
    cli = await loadCliModel();
    docker = parseDockerfile(read('deploy/Dockerfile'));
    const last = (op: string) =>
      docker.instructions.filter((x) => x.op === op && x.stage === docker.stages.length - 1).at(-1);
    const scripts = new Map<string, string>();
    for (const c of docker.instructions.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const [src, dst] = c.args.split(/\s+/) as [string, string];
      if (src.startsWith('deploy/')) scripts.set(basename(dst), src);
    }
    image = {
      entrypoint: jsonArray(last('ENTRYPOINT')?.args ?? '[]', 'ENTRYPOINT'),
      cmd: jsonArray(last('CMD')?.args ?? '[]', 'CMD'),
      scripts,
    };
    compose = obj(parseYaml(read('deploy/compose.yaml'), { merge: true }), 'compose.yaml');
    services = obj(compose.services, 'services');
    for (const f of readdirSync(join(DEPLOY, 'k8s'), { recursive: true })
      .map(String)
      .filter((f) => /\.ya?ml$/.test(f))) {
      // Kubernetes reads YAML 1.1 (0400 is octal there).
      const docs = parseAllDocuments(readFileSync(join(DEPLOY, 'k8s', f), 'utf8'), { version: '1.1' });
      for (const d of docs) if (d.errors.length) throw new Error(`k8s/${f}: ${d.errors[0]?.message}`);
      k8sDocs.set(
        f,
        docs.map((d) => obj(d.toJS(), `k8s/${f}`)),
      );
    }
    // deploy/k8s and deploy/k8s/maintenance both build on base/ (an overlay may not include its parent).
    kustomization = (k8sDocs.get('base/kustomization.yaml') ?? [])[0] as Obj;
    statefulSet = [...k8sDocs.values()].flat().find((d) => d.kind === 'StatefulSet') as Obj;
    podSpec = obj(obj(obj(statefulSet.spec, 'spec').template, 'template').spec, 'pod spec');
    for (const gen of arr(kustomization.configMapGenerator, 'configMapGenerator')) {
      for (const f of strings(obj(gen, 'generator').files, 'files')) {
        const [key, file] = f.includes('=') ? (f.split('=') as [string, string]) : [basename(f), f];
        k8sConfigFiles.set(key, join('deploy/k8s/base', file));
      }
    }
  });

  describe('the CLI model', () => {
    it('matches what `chorus … --help` prints: every command and subcommand, every flag', () => {
      const commands = allCommands(cli);
      expect(commands.length).toBeGreaterThan(15);
      for (const c of commands) {
        const help = helpOf(c.path);
        expect([...help.subcommands].sort(), `subcommands of chorus ${c.path.join(' ')}`).toEqual(
          [...c.subcommands.keys()].sort(),
        );
        const visible = c.options.filter((o) => !o.hidden).map((o) => o.long ?? o.short);
        expect([...help.flags].filter((f) => f !== '--help').sort(), `flags of chorus ${c.path.join(' ')}`).toEqual(
          visible.sort(),
        );
        for (const a of c.args)
          expect(help.usage).toMatch(a.required ? /<\w[\w-]*(\.\.\.)?>/ : /\[\w[\w-]*(\.\.\.)?\]/);
      }
    });

    it('the invocation checker catches what the CLI would refuse', () => {
      expect(checkInvocation(cli, ['start', '--config', 'x.yaml', '--roster', 'r.json'])).toEqual([]);
      expect(checkInvocation(cli, ['start', '--config', 'x.yaml', '--rooster', 'r.json'])[0]).toMatch(
        /unknown option --rooster/,
      );
      expect(checkInvocation(cli, ['start', '--roster', 'r.json'])[0]).toMatch(/missing required option --config/);
      expect(checkInvocation(cli, ['strat', '--config', 'x'])[0]).toMatch(/unknown command/);
      expect(checkInvocation(cli, ['roster', 'add', '--name', 'o', '--config', 'c'])[0]).toMatch(/needs 1 argument/);
      expect(checkInvocation(cli, ['roster'])[0]).toMatch(/needs a subcommand/);
      expect(checkInvocation(cli, ['init', '--data-dir'])[0]).toMatch(/--data-dir needs a value/);
      expect(checkInvocation(cli, ['init', '--data-dir', 'd', '--json=1'])[0]).toMatch(/takes no value/);
      expect(checkInvocation(cli, ['audit', '-r', 'http://x', '-n', 'ns', '-l', '--no-verify'])).toEqual([]);
    });
  });

  describe('every chorus invocation uses real commands and flags', () => {
    const check = (invocations: Invocation[]) => {
      for (const inv of invocations)
        expect(checkInvocation(cli, inv.argv), `${inv.where}: chorus ${inv.argv.join(' ')}`).toEqual([]);
    };

    it('Dockerfile: ENTRYPOINT is chorus, CMD starts a node', () => {
      expect(image.entrypoint.map((e) => basename(e))).toEqual(['chorus']);
      check([{ where: 'Dockerfile CMD', argv: image.cmd }]);
      expect(image.cmd[0]).toBe('start');
    });

    it('compose.yaml: every service command, through the image entrypoint or a helper script', () => {
      let chorusCommands = 0;
      for (const [name, s] of Object.entries(services)) {
        const svc = obj(s, name);
        if (svc.entrypoint !== undefined) {
          const ep = strings(svc.entrypoint, `${name}.entrypoint`);
          const script = image.scripts.get(ep[0] as string);
          expect(script, `${name}: entrypoint ${ep[0]} is installed in the image by the Dockerfile`).toBeDefined();
          expect(existsSync(join(ROOT, script as string))).toBe(true);
          expect(svc.command, `${name}: a script entrypoint reads its settings from the environment`).toBeUndefined();
          continue;
        }
        const argv = svc.command === undefined ? image.cmd : strings(svc.command, `${name}.command`);
        check([{ where: `compose.yaml services.${name}.command`, argv }]);
        chorusCommands++;
      }
      expect(chorusCommands).toBeGreaterThanOrEqual(4); // three nodes and the demo log
    });

    it('the helper scripts in deploy/scripts (arrays and all)', () => {
      const found = new Map<string, string[]>();
      for (const f of readdirSync(join(DEPLOY, 'scripts'))) {
        const invs = shellInvocations(readFileSync(join(DEPLOY, 'scripts', f), 'utf8'), `deploy/scripts/${f}`, {
          image,
        });
        check(invs);
        found.set(
          f,
          invs.map((i) => commandOf(cli, i.argv)),
        );
      }
      expect(found.get('init-node.sh')).toEqual(['init']);
      expect(found.get('build-roster.sh')).toEqual(['roster new', 'roster namespace', 'roster add']);
      // the conditional flags are part of what is checked
      const init = shellInvocations(read('deploy/scripts/init-node.sh'), 'init-node.sh', { image })[0] as Invocation;
      for (const f of [
        '--data-dir',
        '--namespace',
        '--p2p-port',
        '--p2p-announce',
        '--public-url',
        '--proof-directory',
        '--root',
        '--json',
      ])
        expect(init.argv).toContain(f);
    });

    it('Kubernetes: every container of the StatefulSet and the maintenance pod', () => {
      let n = 0;
      for (const [file, docs] of k8sDocs) {
        for (const d of docs) {
          const spec =
            d.kind === 'StatefulSet'
              ? obj(obj(obj(d.spec, 'spec').template, 'template').spec, 'spec')
              : d.kind === 'Pod'
                ? obj(d.spec, 'spec')
                : undefined;
          if (!spec) continue;
          for (const c of [
            ...arr(spec.initContainers ?? [], 'initContainers'),
            ...arr(spec.containers, 'containers'),
          ].map((x) => obj(x, 'container'))) {
            const where = `k8s/${file} ${String(c.name)}`;
            expect(c.image, where).toBe('chorus');
            if (c.command === undefined) {
              check([{ where, argv: c.args === undefined ? image.cmd : strings(c.args, `${where} args`) }]);
              n++;
            } else {
              const command = strings(c.command, `${where} command`);
              if (basename(command[0] as string) === 'chorus')
                check([{ where, argv: [...command.slice(1), ...strings(c.args ?? [], 'args')] }]);
              else if (command[0] !== 'sleep')
                expect(image.scripts.has(command[0] as string), `${where}: ${command[0]} is in the image`).toBe(true);
            }
          }
        }
      }
      expect(n).toBe(1); // the node
    });

    it('systemd: ExecStart', () => {
      const unit = parseUnit(read('deploy/systemd/chorus.service'));
      const exec = (unit.Service?.ExecStart ?? [])[0]?.split(/\s+/) ?? [];
      expect(basename(exec[0] ?? '')).toBe('chorus');
      check([{ where: 'chorus.service ExecStart', argv: exec.slice(1) }]);
      expect(exec[1]).toBe('start');
    });

    it('deploy/README.md: every chorus command in its shell blocks, including through docker, compose and kubectl', () => {
      const readme = read('deploy/README.md');
      const blocks = [...readme.matchAll(/^( *)```(?:sh|bash|shell)\n([\s\S]*?)^\1```/gm)].map((m) =>
        (m[2] as string).replace(new RegExp(`^${m[1]}`, 'gm'), ''),
      );
      expect(blocks.length).toBeGreaterThan(8);
      const invs = blocks.flatMap((b, i) =>
        shellInvocations(b, `deploy/README.md block ${i + 1}`, { image, composeServices: services }),
      );
      check(invs);
      const covered = new Set(invs.map((i) => commandOf(cli, i.argv)));
      for (const c of [
        'init',
        'start',
        'roster new',
        'roster namespace',
        'roster add',
        'key rotate',
        'export',
        'import',
        'monitor',
        'demo-log',
        'audit',
        'cosignatures',
      ]) {
        expect(covered, `README shows chorus ${c}`).toContain(c);
      }
      // inline `chorus …` spans that look like commands name real commands
      for (const m of readme.matchAll(/`chorus ([a-z][\w-]*(?: [a-z][\w-]*)?)/g)) {
        const words = (m[1] as string).split(' ');
        expect(cli.subcommands.has(words[0] as string), `README mentions chorus ${m[1]}`).toBe(true);
      }
    });
  });

  describe('YAML, configs and rosters', () => {
    it('every YAML file in deploy/ parses (multi-document too)', () => {
      const files = readdirSync(DEPLOY, { recursive: true })
        .map(String)
        .filter((f) => /\.ya?ml$/.test(f));
      expect(files).toEqual(
        expect.arrayContaining([
          'compose.yaml',
          'k8s/kustomization.yaml',
          'k8s/base/statefulset.yaml',
          'k8s/base/service.yaml',
          'k8s/base/config/chorus.yaml',
        ]),
      );
      for (const f of files) {
        const docs = parseAllDocuments(readFileSync(join(DEPLOY, f), 'utf8'), { merge: true });
        expect(docs.length, f).toBeGreaterThan(0);
        for (const d of docs)
          expect(
            d.errors.map((e) => e.message),
            f,
          ).toEqual([]);
      }
      expect(k8sDocs.get('base/service.yaml')?.length).toBe(3);
    });

    it("the Kubernetes chorus.yaml passes the node's config validation, with its paths on the pod's volumes", () => {
      const tmp = tempDir('chorus-deploy-');
      try {
        const file = join(tmp.dir, 'chorus.yaml');
        copyFileSync(join(ROOT, k8sConfigFiles.get('chorus.yaml') as string), file);
        const config = loadConfig(file);
        expect(config.dataDir).toBe('/var/lib/chorus');
        expect(config.keys.map((k) => k.file)).toEqual(['/run/chorus/keys/node.key']);
        expect(config.p2p?.identityFile).toBe('/run/chorus/keys/p2p-identity.key');
        expect(config.http.host).toBe('0.0.0.0');
        expect(config.validation.workers).toBeDefined();
        // a broken copy is refused, naming the field: the validation is real
        writeFileSync(file, readFileSync(file, 'utf8').replace('port: 8080', 'port: 80800'));
        expect(() => loadConfig(file)).toThrow(/http\.port/);
      } finally {
        tmp.cleanup();
      }
    });

    it("the Kubernetes roster passes the roster parser; its peer ids are real; it lists the config's namespaces", () => {
      const roster = loadRoster(join(ROOT, k8sConfigFiles.get('roster.json') as string));
      expect(roster.auditors.length).toBeGreaterThanOrEqual(2);
      expect(roster.threshold).toBeLessThanOrEqual(roster.auditors.length);
      for (const a of roster.auditors) {
        expect(peerIdFromString(a.peerId as string).toString()).toBe(a.peerId);
        expect(a.addresses.every((x) => /^\/dns4\/[\w.-]+\/tcp\/\d+$/.test(x))).toBe(true);
      }
      const tmp = tempDir('chorus-deploy-');
      try {
        const file = join(tmp.dir, 'chorus.yaml');
        copyFileSync(join(ROOT, k8sConfigFiles.get('chorus.yaml') as string), file);
        const config = loadConfig(file);
        for (const ns of config.namespaces) expect(roster.namespace(ns.name), ns.name).toBeDefined();
        // the example's org1 is the one this config announces
        expect(roster.auditors.some((a) => a.addresses.some((x) => config.p2p?.announce.includes(x)))).toBe(true);
      } finally {
        tmp.cleanup();
      }
    });
  });

  describe('Dockerfile', () => {
    it('is multi-stage, ends on Node 24 slim pinned by digest, runs as a fixed non-root user, has a HEALTHCHECK on /healthz', () => {
      expect(docker.stages.length).toBeGreaterThanOrEqual(2);
      expect(docker.stages.at(-1)?.from).toMatch(/^node:24-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
      const final0 = docker.stages.length - 1;
      const labels = docker.instructions
        .filter((x) => x.op === 'LABEL' && x.stage === final0)
        .map((x) => x.args)
        .join(' ');
      for (const l of ['title', 'version', 'revision', 'licenses', 'base.name'])
        expect(labels).toContain(`org.opencontainers.image.${l}=`);
      const final = docker.stages.length - 1;
      const user = docker.instructions.filter((x) => x.op === 'USER' && x.stage === final).at(-1)?.args ?? '';
      expect(user).toMatch(/^\d+(:\d+)?$/);
      expect(user.split(':')[0]).not.toBe('0');
      const hc = docker.instructions.find((x) => x.op === 'HEALTHCHECK' && x.stage === final)?.args ?? '';
      const url = /https?:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(hc);
      expect(url).not.toBeNull();
      expect(Number(url?.[1])).toBe(8080);
      expect(docker.instructions.find((x) => x.op === 'VOLUME' && x.stage === final)?.args).toBe('/var/lib/chorus');
      // npm ci runs prepare (the build) in the builder; the final stage copies its output
      const builder = docker.instructions.filter((x) => x.stage === 0);
      expect(builder.some((x) => x.op === 'RUN' && /\bnpm ci\b/.test(x.args) && !/--ignore-scripts/.test(x.args))).toBe(
        true,
      );
      const fromBuilder = docker.instructions
        .filter((x) => x.op === 'COPY' && x.stage === final && x.args.startsWith('--from=builder'))
        .map((x) => x.args.split(/\s+/)[1]);
      for (const p of ['/src/package.json', '/src/node_modules', '/src/dist/src', '/src/dist/dashboard', '/src/bin'])
        expect(fromBuilder).toContain(p);
      // no benchmarks or test support in the image; production dependencies only
      expect(fromBuilder.filter((p) => /\/(bench|test)\b/.test(p ?? ''))).toEqual([]);
      expect(builder.some((x) => x.op === 'RUN' && /npm prune --omit=dev --omit=optional/.test(x.args))).toBe(true);
    });

    it('the builder copies everything `npm run build` reads, and .dockerignore keeps none of it out', () => {
      const copied = docker.instructions
        .filter((x) => x.op === 'COPY' && x.stage === 0)
        .flatMap((x) => x.args.split(/\s+/).slice(0, -1))
        .map((p) => p.replace(/\/$/, ''));
      const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
      const build = pkg.scripts.build as string;
      const tsconfig = /tsc -p (\S+)/.exec(build)?.[1] as string;
      const ts = JSON.parse(read(tsconfig)) as { extends?: string; include: string[] };
      const needed = [
        'package.json',
        'package-lock.json',
        tsconfig,
        ...(ts.extends ? [ts.extends.replace(/^\.\//, '')] : []),
        ...ts.include,
        ...[...build.matchAll(/node (\S+)/g)].map((m) => m[1] as string),
      ];
      const covers = (p: string) => copied.some((c) => p === c || p.startsWith(`${c}/`));
      for (const p of needed) expect(covers(p), `the builder stage copies ${p}`).toBe(true);
      const ignore = read('.dockerignore')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      for (const must of ['.git', 'dist', '**/node_modules']) expect(ignore).toContain(must);
      const sources = [...copied, ...[...image.scripts.values()]];
      for (const p of sources) {
        for (const pat of ignore.filter((x) => !x.startsWith('!'))) {
          const re = new RegExp(
            `^${pat
              .replace(/^\//, '')
              .replace(/\./g, '\\.')
              .replace(/\*\*\//g, '(.*/)?')
              .replace(/\*/g, '[^/]*')}(/.*)?$`,
          );
          expect(re.test(p), `.dockerignore pattern ${pat} excludes ${p}`).toBe(false);
        }
      }
    });

    it("the ports it EXPOSEs are the ports compose, Kubernetes and the configs use; the uid is the pods' uid", () => {
      const exposed = (docker.instructions.find((x) => x.op === 'EXPOSE')?.args ?? '')
        .split(/\s+/)
        .map((p) => Number(p.replace(/\/tcp$/, '')))
        .sort();
      const container = arr(podSpec.containers, 'containers')
        .map((c) => obj(c, 'c'))
        .find((c) => c.name === 'chorus') as Obj;
      const containerPorts = arr(container.ports, 'ports')
        .map((p) => Number(obj(p, 'port').containerPort))
        .sort();
      expect(containerPorts).toEqual(exposed);
      const tmp = tempDir('chorus-deploy-');
      try {
        const file = join(tmp.dir, 'chorus.yaml');
        copyFileSync(join(ROOT, k8sConfigFiles.get('chorus.yaml') as string), file);
        const config = loadConfig(file);
        expect([config.http.port, tcpPort(config.p2p?.listen[0] ?? ''), config.adminHttp?.port].sort()).toEqual(
          exposed,
        );
      } finally {
        tmp.cleanup();
      }
      for (const name of ['org1', 'org2', 'org3']) {
        const published = strings(obj(services[name], name).ports, `${name}.ports`).map((p) =>
          Number(p.split(':').at(-1)),
        );
        expect(exposed).toContain(published[0]);
      }
      const user = Number((docker.instructions.filter((x) => x.op === 'USER').at(-1)?.args ?? '').split(':')[0]);
      const sc = obj(podSpec.securityContext, 'securityContext');
      expect([sc.runAsUser, sc.runAsGroup, sc.fsGroup]).toEqual([user, user, user]);
    });
  });

  describe('compose.yaml', () => {
    it('three organisations, each with its own data volume; one-shot inits and roster; health-gated start', () => {
      const nodes = ['org1', 'org2', 'org3'];
      const declared = new Set(Object.keys(obj(compose.volumes, 'volumes')));
      const dataVolumes = new Set<string>();
      for (const [name, s] of Object.entries(services)) {
        for (const m of composeMounts(obj(s, name), name))
          expect(declared.has(m.source), `${name}: volume ${m.source} is declared`).toBe(true);
      }
      for (const org of nodes) {
        const svc = obj(services[org], org);
        const mounts = composeMounts(svc, org);
        const data = mounts.find((m) => m.target === '/var/lib/chorus');
        expect(data?.readOnly).toBe(false);
        dataVolumes.add(data?.source as string);
        expect(mounts.find((m) => m.target === '/etc/chorus')?.readOnly, `${org}: the roster is read-only`).toBe(true);
        // no other long-running service writes this volume
        for (const [other, o] of Object.entries(services)) {
          if (other === org || other === `${org}-init`) continue;
          for (const m of composeMounts(obj(o, other), other))
            if (m.source === data?.source) expect(m.readOnly, `${other} mounts ${m.source}`).toBe(true);
        }
        const init = obj(services[`${org}-init`], `${org}-init`);
        expect(composeMounts(init, `${org}-init`).find((m) => m.target === '/var/lib/chorus')?.source).toBe(
          data?.source,
        );
        expect(obj(init.environment, 'env').CHORUS_ORG).toBe(org);
        const deps = obj(svc.depends_on, `${org}.depends_on`);
        expect(obj(deps[`${org}-init`], 'dep').condition).toBe('service_completed_successfully');
        expect(obj(deps.roster, 'dep').condition).toBe('service_completed_successfully');
        const hc = strings(obj(svc.healthcheck, 'healthcheck').test, 'test').join(' ');
        expect(hc).toMatch(/http:\/\/127\.0\.0\.1:8080\/(readyz|healthz)/);
        expect(svc.restart).toBe('unless-stopped');
      }
      expect(dataVolumes.size).toBe(3);
      const rosterDeps = obj(obj(services.roster, 'roster').depends_on, 'roster.depends_on');
      for (const org of nodes)
        expect(obj(rosterDeps[`${org}-init`], 'dep').condition).toBe('service_completed_successfully');
      const logDeps = obj(obj(services['demo-log'], 'demo-log').depends_on, 'demo-log.depends_on');
      for (const org of nodes) expect(obj(logDeps[org], 'dep').condition).toBe('service_healthy');
      const logHealth = strings(obj(obj(services['demo-log'], 'demo-log').healthcheck, 'hc').test, 'test').join(' ');
      const listen = flagValue(strings(obj(services['demo-log'], 'demo-log').command, 'command'), '--listen') as string;
      expect(logHealth).toContain(`127.0.0.1:${listen.split(':')[1]}/`);
      expect(obj(services.org1, 'org1').command).toEqual(image.cmd);
    });

    describe('the init and roster flow, run with the real CLI', () => {
      const tmp = tempDir('chorus-compose-');
      const binDir = join(tmp.dir, 'bin');
      afterAll(() => tmp.cleanup());

      /**
       * A container's filesystem under `volRoot`: each mount is a symlink to its volume's folder
       * (created, as Docker does), so a path on a volume, or a folder holding mounts, maps to a host
       * path; any other path is an error (its data would die with the container).
       */
      const mapper = (volRoot: string, name: string) => {
        const mounts = composeMounts(obj(services[name], name), name);
        const fsRoot = join(volRoot, 'containers', name);
        for (const m of mounts) {
          mkdirSync(join(volRoot, m.source), { recursive: true });
          const link = join(fsRoot, m.target);
          if (!existsSync(link)) {
            mkdirSync(dirname(link), { recursive: true });
            symlinkSync(join(volRoot, m.source), link);
          }
        }
        return (p: string, what: string) => {
          if (mounts.some((m) => m.target.startsWith(`${p}/`))) return join(fsRoot, p);
          return hostPath(mounts, (s) => join(volRoot, s), p, `${name}: ${what}`);
        };
      };

      /** Runs one compose service's script entrypoint with its environment, paths mapped. */
      const runService = (volRoot: string, name: string, overrides: Record<string, string> = {}) => {
        const svc = obj(services[name], name);
        const map = mapper(volRoot, name);
        const script = join(ROOT, image.scripts.get(strings(svc.entrypoint, 'entrypoint')[0] as string) as string);
        // The script's own defaults for paths (`${CHORUS_DATA_DIR:-/var/lib/chorus}`) are container
        // paths too: map them as well, so nothing runs against this machine's /var/lib.
        const values: Record<string, string> = {};
        for (const m of readFileSync(script, 'utf8').matchAll(/\$\{(CHORUS_\w+):-(\/[^}]*)\}/g))
          values[m[1] as string] = m[2] as string;
        Object.assign(values, obj(svc.environment ?? {}, `${name}.environment`));
        const isPath = (v: string) => v.startsWith('/') && !v.includes('$') && !/^\/(ip4|ip6|dns4|dns6|dns)\//.test(v);
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(values))
          if (!String(v).includes('$')) env[k] = isPath(String(v)) ? map(String(v), k) : String(v);
        return runScript(script, [], shellEnv(binDir, { ...env, ...overrides }));
      };
      const nodeArgs = (volRoot: string, name: string, argv: string[]) => {
        const map = mapper(volRoot, name);
        return argv.map((a) => (a.startsWith('/') ? map(a, a) : a));
      };

      it('as written: the configs, roster and push targets agree with the compose network', () => {
        const vol = join(tmp.dir, 'as-written');
        for (const org of ['org1', 'org2', 'org3']) must(runService(vol, `${org}-init`), `${org}-init`);
        must(runService(vol, 'roster'), 'roster');
        const rosterArg = flagValue(nodeArgs(vol, 'org1', image.cmd), '--roster') as string;
        const roster = loadRoster(rosterArg);
        expect(roster.network).toBe('demo');
        expect(roster.auditors.map((a) => a.name)).toEqual(['org1', 'org2', 'org3']);
        const logArgv = nodeArgs(vol, 'demo-log', strings(obj(services['demo-log'], 'd').command, 'command'));
        const namespace = flagValue(logArgv, '--namespace') as string;
        expect(namespace).toBe(DEMO_NAMESPACE);
        expect(roster.namespace(namespace)?.root).toBe(`0/${EMPTY_TREE_ROOT}`);
        const targets = JSON.parse(readFileSync(flagValue(logArgv, '--targets') as string, 'utf8')) as {
          name: string;
          url: string;
          token: string;
        }[];
        expect(targets.map((t) => t.name)).toEqual(['org1', 'org2', 'org3']);
        const logListen = flagValue(logArgv, '--listen') as string;
        for (const [i, org] of ['org1', 'org2', 'org3'].entries()) {
          const argv = nodeArgs(vol, org, strings(obj(services[org], org).command, 'command'));
          const config: NodeConfig = loadConfig(flagValue(argv, '--config') as string);
          expect(config.http.host).toBe('0.0.0.0');
          expect(config.http.port).toBe(8080);
          expect(new URL(config.http.publicUrl as string).hostname).toBe(org);
          expect(config.p2p?.listen).toEqual(['/ip4/0.0.0.0/tcp/4001']);
          expect(config.p2p?.announce).toEqual([`/dns4/${org}/tcp/4001`]);
          expect(roster.auditors[i]?.addresses).toEqual(config.p2p?.announce);
          expect(config.namespaces.map((n) => n.name)).toEqual([namespace]);
          const ns = config.namespaces[0];
          expect(ns?.proofDirectory).toBe(`http://demo-log:${logListen.split(':')[1]}`);
          // the log pushes to the node's own port, with the token whose hash the node holds
          const t = targets[i] as { url: string; token: string };
          expect(new URL(t.url).hostname).toBe(org);
          expect(portOf(t.url)).toBe(config.http.port);
          expect(toHex(ns?.tokenSha256 ?? new Uint8Array())).toBe(createHash('sha256').update(t.token).digest('hex'));
          for (const k of config.keys) expect(statSync(k.file).mode & 0o777).toBe(0o600);
        }
        // a second `up`: nothing is re-created, the roster is the same file
        const key = join(vol, 'org1-data', 'node.key');
        const before = [sha256(key), sha256(rosterArg)];
        expect(must(runService(vol, 'org1-init'), 'org1-init again')).toMatch(/already holds a node/);
        must(runService(vol, 'roster'), 'roster again');
        expect([sha256(key), sha256(rosterArg)]).toEqual(before);
      });

      it('live: three nodes start from it, the demo log feeds them, epochs are signed, validated and co-signed', async () => {
        const vol = join(tmp.dir, 'live');
        const logPort = await freePort();
        const proofs = `http://127.0.0.1:${logPort}`;
        const ports = new Map<string, { http: number; p2p: number }>();
        // The compose network's host names become 127.0.0.1 with a port per container.
        for (const org of ['org1', 'org2', 'org3']) {
          const p = { http: await freePort(), p2p: await freePort() };
          ports.set(org, p);
          must(
            runService(vol, `${org}-init`, {
              CHORUS_HTTP_PORT: String(p.http),
              CHORUS_P2P_PORT: String(p.p2p),
              CHORUS_PUBLIC_URL: `http://127.0.0.1:${p.http}`,
              CHORUS_P2P_ANNOUNCE: `/ip4/127.0.0.1/tcp/${p.p2p}`,
              CHORUS_PROOF_DIRECTORY: proofs,
            }),
            `${org}-init`,
          );
        }
        must(runService(vol, 'roster', { CHORUS_PROOF_DIRECTORY: proofs }), 'roster');
        const nodes: NodeProcess[] = [];
        let log: NodeProcess | undefined;
        try {
          for (const org of ['org1', 'org2', 'org3']) {
            nodes.push(
              await NodeProcess.start(nodeArgs(vol, org, strings(obj(services[org], org).command, 'command'))),
            );
          }
          const url = (org: string) => `http://127.0.0.1:${ports.get(org)?.http}`;
          for (const org of ['org1', 'org2', 'org3']) {
            expect((await http(`${url(org)}/healthz`)).status).toBe(200);
            await waitFor(`${org} ready`, async () => (await http(`${url(org)}/readyz`)).status === 200);
          }
          const logArgv = withFlag(
            nodeArgs(vol, 'demo-log', strings(obj(services['demo-log'], 'd').command, 'command')),
            '--listen',
            `127.0.0.1:${logPort}`,
          );
          log = await NodeProcess.start(logArgv);
          const ns = flagValue(logArgv, '--namespace') as string;
          for (const org of ['org1', 'org2', 'org3']) {
            await waitFor(
              `${org} signs and validates epoch 1`,
              async () => {
                const info = (await http(`${url(org)}/namespaces/${ns}`)).body;
                const signed = (info.last_signed as { epoch?: bigint } | null)?.epoch;
                return (
                  signed !== undefined &&
                  signed >= 1n &&
                  typeof info.last_verified_epoch === 'bigint' &&
                  info.last_verified_epoch >= 1n
                );
              },
              30_000,
              200,
            );
          }
          await waitFor(
            'epoch 1 co-signed at org1 (2 of 3, through gossip)',
            async () => (await http(`${url('org1')}/namespaces/${ns}/epochs/1/cosignatures`)).body.quorum === true,
            30_000,
            200,
          );
          const roster = loadRoster(flagValue(nodeArgs(vol, 'org1', image.cmd), '--roster') as string);
          await waitFor(
            'org1 connected to org2 and org3',
            async () => {
              const status = (await http(`${url('org1')}/network/status`)).text;
              return roster.auditors.slice(1).every((a) => status.includes(a.peerId as string));
            },
            30_000,
            200,
          );
          // SIGTERM, as docker stop sends: each node exits cleanly
          const codes = await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
          expect(
            codes,
            nodes
              .map((n) => [...n.stderr, ...n.logs.slice(-5).map((l) => JSON.stringify(l))].join('\n'))
              .join('\n---\n'),
          ).toEqual([0, 0, 0]);
        } finally {
          await log?.kill('SIGKILL');
          for (const n of nodes) if (!n.exited) await n.kill('SIGKILL');
        }
      }, 120_000);
    });
  });

  describe('Kubernetes', () => {
    const container = () =>
      arr(podSpec.containers, 'containers')
        .map((c) => obj(c, 'c'))
        .find((c) => c.name === 'chorus') as Obj;
    const mountsOf = (c: Obj): Mount[] =>
      arr(c.volumeMounts, 'volumeMounts').map((m) => {
        const o = obj(m, 'volumeMount');
        return { source: str(o.name, 'name'), target: str(o.mountPath, 'mountPath'), readOnly: o.readOnly === true };
      });
    const volumes = () =>
      new Map(arr(podSpec.volumes, 'volumes').map((v) => [str(obj(v, 'v').name, 'name'), obj(v, 'v')]));
    const k8sConfig = () => {
      const tmp = tempDir('chorus-k8s-');
      try {
        const file = join(tmp.dir, 'chorus.yaml');
        copyFileSync(join(ROOT, k8sConfigFiles.get('chorus.yaml') as string), file);
        return loadConfig(file);
      } finally {
        tmp.cleanup();
      }
    };

    it('the StatefulSet: one replica, non-root, the PVC at data_dir, keys where the config looks, probes', () => {
      const spec = obj(statefulSet.spec, 'spec');
      expect(spec.replicas).toBe(1);
      const sc = obj(podSpec.securityContext, 'securityContext');
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.runAsUser).not.toBe(0);
      expect(sc.fsGroup).toBeDefined();
      const c = container();
      const csc = obj(c.securityContext, 'container securityContext');
      expect([csc.readOnlyRootFilesystem, csc.allowPrivilegeEscalation]).toEqual([true, false]);
      const config = k8sConfig();
      const mounts = mountsOf(c);
      const claim = str(
        obj(obj(arr(spec.volumeClaimTemplates, 'volumeClaimTemplates')[0], 'vct').metadata, 'metadata').name,
        'name',
      );
      expect(mounts.find((m) => m.source === claim)?.target).toBe(config.dataDir);
      // the config and roster the node is started with come from the ConfigMap
      const args = strings(c.args, 'args');
      const vols = volumes();
      const configVolume = mounts.find((m) =>
        (flagValue(args, '--config') as string).startsWith(`${m.target}/`),
      ) as Mount;
      expect(obj(vols.get(configVolume.source)?.configMap, 'configMap').name).toBe(
        obj(arr(kustomization.configMapGenerator, 'g')[0], 'g').name,
      );
      expect(posix.basename(flagValue(args, '--config') as string)).toBe('chorus.yaml');
      expect(posix.basename(flagValue(args, '--roster') as string)).toBe('roster.json');
      expect([...k8sConfigFiles.keys()].sort()).toEqual(['chorus.yaml', 'roster.json']);
      // keys: the config's files are on the emptyDir that install-keys fills from the Secret
      const keyFiles = [...config.keys.map((k) => k.file), config.p2p?.identityFile as string];
      const keysMount = mounts.find((m) => keyFiles.every((f) => f.startsWith(`${m.target}/`))) as Mount;
      expect(keysMount, 'keys[].file and p2p.identity_file share one mount').toBeDefined();
      expect(vols.get(keysMount.source)?.emptyDir).toBeDefined();
      const init = arr(podSpec.initContainers, 'initContainers')
        .map((x) => obj(x, 'init'))
        .find((x) => strings(x.command, 'command')[0] === 'chorus-install-keys') as Obj;
      const [, from, to] = strings(init.command, 'command');
      expect(mountsOf(init).find((m) => m.target === to)?.source).toBe(keysMount.source);
      const secretMount = mountsOf(init).find((m) => m.target === from) as Mount;
      const secretVolume = obj(vols.get(secretMount.source)?.secret, 'secret volume');
      expect(Number(secretVolume.defaultMode) & 0o077).toBe(0); // parsed as YAML 1.1: 0400 is octal
      const secret = [...k8sDocs.values()].flat().find((d) => d.kind === 'Secret') as Obj;
      expect(obj(secret.metadata, 'm').name).toBe(secretVolume.secretName);
      expect(Object.keys(obj(secret.data, 'data')).sort()).toEqual(keyFiles.map((f) => posix.basename(f)).sort());
      expect(Object.values(obj(secret.data, 'data')).every((v) => v === '')).toBe(true); // no key material committed
      expect(strings(kustomization.resources, 'resources')).not.toContain('secret.example.yaml');
      // probes
      const probe = (p: string) => obj(obj(c[p], p).httpGet, `${p}.httpGet`);
      expect(probe('livenessProbe').path).toBe('/healthz');
      expect(probe('readinessProbe').path).toBe('/readyz');
      const ports = new Map(
        arr(c.ports, 'ports').map((p) => [str(obj(p, 'p').name, 'name'), Number(obj(p, 'p').containerPort)]),
      );
      expect(ports.get(String(probe('livenessProbe').port))).toBe(config.http.port);
    });

    it("the Services: ports are the container's and the config's; the p2p port is the announced one", () => {
      const config = k8sConfig();
      const c = container();
      const ports = new Map(
        arr(c.ports, 'ports').map((p) => [str(obj(p, 'p').name, 'name'), Number(obj(p, 'p').containerPort)]),
      );
      expect(ports.get('http')).toBe(config.http.port);
      expect(ports.get('p2p')).toBe(tcpPort(config.p2p?.listen[0] ?? ''));
      const svcs = (k8sDocs.get('base/service.yaml') ?? []).filter((d) => d.kind === 'Service');
      expect(svcs.map((s) => obj(s.metadata, 'm').name)).toContain(obj(statefulSet.spec, 'spec').serviceName);
      const podLabels = obj(obj(obj(obj(statefulSet.spec, 's').template, 't').metadata, 'm').labels, 'labels');
      for (const s of svcs) {
        const spec = obj(s.spec, 'spec');
        for (const [k, v] of Object.entries(obj(spec.selector, 'selector'))) expect(podLabels[k]).toBe(v);
        for (const p of arr(spec.ports, 'ports').map((x) => obj(x, 'port'))) {
          const target = typeof p.targetPort === 'string' ? ports.get(p.targetPort) : Number(p.targetPort ?? p.port);
          expect(target, `${String(obj(s.metadata, 'm').name)} ${String(p.name)}`).toBe(ports.get(str(p.name, 'name')));
          if (p.name === 'p2p') expect(p.port).toBe(tcpPort(config.p2p?.announce[0] ?? ''));
        }
      }
    });

    it('every kustomization renders with kubectl kustomize (maintenance too); admin stays off every Service', () => {
      // kubectl is required (Debian's kubectl; .ci/run installs it): a missing one fails here.
      const dirs = readdirSync(join(DEPLOY, 'k8s'), { recursive: true })
        .map(String)
        .filter((f) => basename(f) === 'kustomization.yaml')
        .map((f) => dirname(f));
      expect(dirs.sort()).toEqual(['.', 'base', 'maintenance']);
      const rendered = new Map<string, Obj[]>();
      for (const d of dirs) {
        const r = spawnSync('kubectl', ['kustomize', join(DEPLOY, 'k8s', d)], { encoding: 'utf8' });
        if (r.error) throw new Error(`kubectl is needed for this test (apt-get install kubectl): ${r.error.message}`);
        expect(r.stderr, `kubectl kustomize deploy/k8s/${d}`).toBe('');
        expect(r.status).toBe(0);
        rendered.set(
          d,
          parseAllDocuments(r.stdout).map((x) => obj(x.toJS(), d)),
        );
      }
      const kinds = (d: string) =>
        (rendered.get(d) ?? []).map((x) => `${String(x.kind)}/${String(obj(x.metadata, 'm').name)}`).sort();
      expect(kinds('.')).toEqual(
        expect.arrayContaining([
          'StatefulSet/chorus',
          'Service/chorus',
          'Service/chorus-p2p',
          'NetworkPolicy/chorus',
          'PodDisruptionBudget/chorus',
        ]),
      );
      expect(kinds('maintenance')).toEqual([...kinds('.'), 'Pod/chorus-maintenance'].sort());
      const sts = (d: string) => obj((rendered.get(d) ?? []).find((x) => x.kind === 'StatefulSet')?.spec, 'spec');
      expect([sts('.').replicas, sts('maintenance').replicas]).toEqual([1, 0]);
      // the maintenance pod mounts the generated (hashed) ConfigMap the StatefulSet mounts
      const cmName = (vols: unknown) =>
        arr(vols, 'volumes')
          .map((v) => obj(v, 'v'))
          .find((v) => v.name === 'config')?.configMap;
      const pod = obj((rendered.get('maintenance') ?? []).find((x) => x.kind === 'Pod')?.spec, 'pod');
      expect(cmName(pod.volumes)).toEqual(cmName(obj(obj(sts('maintenance').template, 't').spec, 's').volumes));
      // public exposure: only p2p goes through a LoadBalancer; the admin port through no Service
      const adminPort = k8sConfig().adminHttp?.port;
      expect(adminPort).toBeDefined();
      for (const svc of (rendered.get('.') ?? []).filter((x) => x.kind === 'Service')) {
        const spec = obj(svc.spec, 'spec');
        const ports = arr(spec.ports, 'ports').map((p) => obj(p, 'p'));
        expect(ports.some((p) => p.targetPort === 'admin' || p.port === adminPort || p.targetPort === adminPort)).toBe(
          false,
        );
        if (spec.type === 'LoadBalancer') expect(ports.map((p) => p.name)).toEqual(['p2p']);
      }
      const np = obj((rendered.get('.') ?? []).find((x) => x.kind === 'NetworkPolicy')?.spec, 'np');
      const rules = arr(np.ingress, 'ingress').map((r) => obj(r, 'rule'));
      const adminRule = rules.find((r) => arr(r.ports, 'ports').some((p) => obj(p, 'p').port === 'admin')) as Obj;
      expect(adminRule.from).toBeDefined(); // never open to everyone
      expect(obj(obj(sts('.').template, 't').metadata, 'm').annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(adminPort),
      });
    });

    it('maintenance mode: the StatefulSet at 0 and a pod with the same claim, config and keys', () => {
      const k = (k8sDocs.get('maintenance/kustomization.yaml') ?? [])[0] as Obj;
      expect(strings(k.resources, 'resources')).toEqual(['../base', 'pod.yaml']);
      const patch = String(obj(arr(k.patches, 'patches')[0], 'patch').patch);
      expect(parseYaml(patch)).toEqual([{ op: 'replace', path: '/spec/replicas', value: 0 }]);
      const pod = (k8sDocs.get('maintenance/pod.yaml') ?? [])[0] as Obj;
      const spec = obj(pod.spec, 'spec');
      const claim = obj(
        obj(
          arr(spec.volumes, 'v')
            .map((v) => obj(v, 'v'))
            .find((v) => v.name === 'data'),
          'data',
        ).persistentVolumeClaim,
        'pvc',
      ).claimName;
      const vct = str(
        obj(obj(arr(obj(statefulSet.spec, 's').volumeClaimTemplates, 'vct')[0], 'vct').metadata, 'm').name,
        'name',
      );
      expect(claim).toBe(`${vct}-${String(obj(statefulSet.metadata, 'm').name)}-0`);
      const c = obj(arr(spec.containers, 'containers')[0], 'c');
      expect(mountsOf(c).map((m) => [m.source, m.target])).toEqual(
        mountsOf(container()).map((m) => [m.source, m.target]),
      );
      expect(obj(spec.securityContext, 'sc')).toEqual(obj(podSpec.securityContext, 'sc'));
    });

    it("live: install-keys makes 0600 copies of a Secret volume's files; the node starts from the k8s config with them", async () => {
      const tmp = tempDir('chorus-k8s-');
      const binDir = join(tmp.dir, 'bin');
      let node: NodeProcess | undefined;
      try {
        // 1. the README's workstation steps: chorus init and a roster with this node
        const work = join(tmp.dir, 'org1-node');
        const init = JSON.parse(
          must(
            runCli([
              'init',
              '--data-dir',
              work,
              '--namespace',
              'whatsapp.kt',
              '--http-host',
              '0.0.0.0',
              '--p2p-host',
              '0.0.0.0',
              '--p2p-port',
              '4001',
              '--p2p-announce',
              '/dns4/chorus-p2p.org1.example/tcp/4001',
              '--json',
            ]),
            'init',
          ),
        ) as { public_key: string; peer_id: string };
        const roster = join(tmp.dir, 'roster.json');
        must(runCli(['roster', 'new', '--network', 'kt', '--threshold', '1', '--out', roster]), 'roster new');
        must(runCli(['roster', 'namespace', roster, '--name', 'whatsapp.kt']), 'roster namespace');
        must(runCli(['roster', 'add', roster, '--name', 'org1', '--config', join(work, 'chorus.yaml')]), 'roster add');

        // 2. the pod's volumes under tmp/vol/<volume name>
        const vol = (name: string) => join(tmp.dir, 'vol', name);
        const vols = volumes();
        // a Secret volume as the kubelet lays it out with fsGroup: ..data -> timestamped dir, mode 0440
        const secretName = [...vols].find(([, v]) => v.secret)?.[0] as string;
        const stamp = join(vol(secretName), '..2025_01_01_00_00_00.000000000');
        mkdirSync(stamp, { recursive: true });
        symlinkSync(basename(stamp), join(vol(secretName), '..data'));
        for (const f of ['node.key', 'p2p-identity.key']) {
          copyFileSync(join(work, f), join(stamp, f));
          chmodSync(join(stamp, f), 0o440);
          symlinkSync(join('..data', f), join(vol(secretName), f));
        }
        // 3. the init container, as written
        const initC = arr(podSpec.initContainers, 'initContainers').map((x) => obj(x, 'init'))[0] as Obj;
        const command = strings(initC.command, 'command');
        const script = join(ROOT, image.scripts.get(command[0] as string) as string);
        const args = command.slice(1).map((a) => hostPath(mountsOf(initC), vol, a, 'install-keys'));
        expect(runScript(script, args, shellEnv(binDir, {})).status).toBe(0);
        const keysDir = hostPath(mountsOf(initC), vol, command[2] as string, 'keys');
        expect(readdirSync(keysDir).sort()).toEqual(['node.key', 'p2p-identity.key']);
        for (const f of ['node.key', 'p2p-identity.key']) {
          expect(lstatSync(join(keysDir, f)).isFile()).toBe(true);
          expect(statSync(join(keysDir, f)).mode & 0o777).toBe(0o600);
          expect(sha256(join(keysDir, f))).toBe(sha256(join(work, f)));
        }
        // the node itself refuses the Secret's 0440 files: the init container is needed
        const direct = join(tmp.dir, 'direct.yaml');
        writeFileSync(
          direct,
          `data_dir: ${join(tmp.dir, 'direct')}\nkeys: [{file: ${join(vol(secretName), 'node.key')}}]\nhttp: {port: 0}\n`,
        );
        const refused = runCli(['start', '--config', direct]);
        expect(refused.status).toBe(2);
        expect(refused.stderr).toMatch(/accessible by group or others/);
        // a Secret without the identity fails the pod instead of starting with a new peer id
        const partial = join(tmp.dir, 'partial');
        mkdirSync(partial);
        copyFileSync(join(work, 'node.key'), join(partial, 'node.key'));
        const r = runScript(script, [partial, join(tmp.dir, 'partial-out')], shellEnv(binDir, {}));
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/p2p-identity\.key is missing/);

        // 4. the ConfigMap: the k8s config as written, its pod paths mapped to the volumes; only the
        // ports (free ones here) and the proof directory (an empty local folder: no internet) differ
        const c = container();
        const mounts = mountsOf(c);
        const doc = obj(
          parseYaml(readFileSync(join(ROOT, k8sConfigFiles.get('chorus.yaml') as string), 'utf8'), {
            intAsBigInt: true,
          }),
          'chorus.yaml',
        );
        const map = (p: string, what: string) => hostPath(mounts, vol, p, what);
        doc.data_dir = map(str(doc.data_dir, 'data_dir'), 'data_dir');
        doc.keys = arr(doc.keys, 'keys').map((k) => ({
          ...obj(k, 'key'),
          file: map(str(obj(k, 'key').file, 'file'), 'keys[].file'),
        }));
        const p2p = obj(doc.p2p, 'p2p');
        const httpPort = await freePort();
        doc.http = { ...obj(doc.http, 'http'), port: httpPort };
        const adminPort = await freePort();
        doc.admin_http = { ...obj(doc.admin_http, 'admin_http'), host: '127.0.0.1', port: adminPort };
        doc.p2p = {
          ...p2p,
          listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
          identity_file: map(str(p2p.identity_file, 'identity_file'), 'identity_file'),
        };
        mkdirSync(join(tmp.dir, 'no-proofs'));
        doc.namespaces = arr(doc.namespaces, 'namespaces').map((n) => ({
          ...obj(n, 'ns'),
          proof_directory: pathToFileURL(join(tmp.dir, 'no-proofs')).href,
        }));
        const configVolume = mounts.find((m) => vols.get(m.source)?.configMap) as Mount;
        mkdirSync(vol(configVolume.source), { recursive: true });
        writeFileSync(join(vol(configVolume.source), 'chorus.yaml'), stringifyYaml(doc));
        copyFileSync(roster, join(vol(configVolume.source), 'roster.json'));

        // 5. the container's args, as written
        node = await NodeProcess.start(strings(c.args, 'args').map((a) => (isAbsolute(a) ? map(a, 'args') : a)));
        const listening = node.logs.find((l) => l.event === 'listening') as {
          peer_id?: string;
          public_keys?: string[];
        };
        expect(listening.peer_id, 'the peer id comes from the Secret (p2p.identity_file is absolute)').toBe(
          init.peer_id,
        );
        expect(listening.public_keys).toEqual([init.public_key]);
        const base = `http://127.0.0.1:${httpPort}`;
        expect((await http(`${base}/healthz`)).status).toBe(200);
        await waitFor('ready', async () => (await http(`${base}/readyz`)).status === 200);
        // metrics on the admin port (what the pod annotations scrape), not on the public one
        expect((await http(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);
        expect((await http(`${base}/metrics`)).status).toBe(404);
        expect(existsSync(join(str(doc.data_dir, 'data_dir'), 'db'))).toBe(true);
        expect(await node.kill('SIGTERM')).toBe(0);
      } finally {
        if (node && !node.exited) await node.kill();
        tmp.cleanup();
      }
    }, 60_000);
  });

  describe('systemd/chorus.service', () => {
    it('is hardened, runs as a non-root user, stops with SIGTERM, keeps the data in its StateDirectory', () => {
      const unit = parseUnit(read('deploy/systemd/chorus.service'));
      const s = unit.Service ?? {};
      const one = (k: string) => {
        expect(s[k], k).toHaveLength(1);
        return (s[k] as string[])[0] as string;
      };
      expect(one('User')).not.toMatch(/^(root|0)$/);
      expect(one('KillSignal')).toBe('SIGTERM');
      expect(one('Restart')).toBe('on-failure');
      expect(Number(one('TimeoutStopSec'))).toBeGreaterThanOrEqual(30);
      expect(one('NoNewPrivileges')).toBe('yes');
      expect(one('ProtectSystem')).toBe('strict');
      expect(one('ProtectHome')).toBe('yes');
      expect(one('PrivateTmp')).toBe('yes');
      expect(one('CapabilityBoundingSet')).toBe('');
      expect(s.MemoryDenyWriteExecute, 'V8 needs W+X memory').toBeUndefined();
      const exec = one('ExecStart').split(/\s+/);
      expect(isAbsolute(exec[0] as string)).toBe(true);
      // under ProtectSystem=strict only the StateDirectory is writable: the data dir must be there
      const state = `/var/lib/${one('StateDirectory')}`;
      expect(flagValue(exec, '--config')?.startsWith(`${state}/`)).toBe(true);
      expect(one('WorkingDirectory')).toBe(state);
      expect(flagValue(exec, '--roster')?.startsWith(`/etc/${one('ConfigurationDirectory')}/`)).toBe(true);
      expect(one('StateDirectoryMode')).toBe('0700');
      expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
      expect(unit.Unit?.After).toContain('network-online.target');
    });
  });
});

/** systemd unit: section -> key -> values (keys may repeat). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = out[s[1] as string] = {};
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`unit: cannot parse ${line}`);
    (section[kv[1] as string] ??= []).push((kv[2] as string).trim());
  }
  return out;
}
