// Transparency log trust policies (c2sp.org/tlog-policy): `log`, `witness`, `group` and `quorum` lines,
// parsed strictly with errors naming the line, and evaluated against a cosigned checkpoint.
import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import { cosignatureVerifier } from './cosignature.js';
import { C2spFormatError, PolicyError } from './errors.js';
import {
  ed25519NoteVerifier,
  openNote,
  parseVerifierKey,
  sameKeyMaterial,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
  type NoteVerifier,
  type VerifierKey,
} from './signed-note.js';
import { inputText } from './text.js';

/** The spec recommends supporting at least 32 of each; we allow a comfortable margin above that. */
export const POLICY_LIMITS = { logs: 256, witnesses: 256, groups: 256, bytes: 1 << 20 } as const;
const NONE = 'none';

/** The only control characters a policy allows are tab and newline (spec, "Character set"); DEL is refused too. */
function policyControlChar(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return c;
  }
  return -1;
}

export interface PolicyLog {
  vkey: VerifierKey;
  url?: string;
}
export interface PolicyWitness {
  name: string;
  vkey: VerifierKey;
  url?: string;
}
export interface PolicyGroup {
  name: string;
  threshold: number;
  members: string[];
}
export interface Policy {
  logs: PolicyLog[];
  witnesses: Map<string, PolicyWitness>;
  groups: Map<string, PolicyGroup>;
  /** A witness or group name, or 'none'. */
  quorum: string;
}

function parseKey(line: number, text: string, expectedType: number, role: string): VerifierKey {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(text);
  } catch (err) {
    if (err instanceof C2spFormatError) throw new PolicyError(line, err.message);
    throw err;
  }
  // Only Ed25519 logs (0x01) and Ed25519 cosigners (0x04) can be verified by this implementation.
  if (key.type !== expectedType) {
    const type = key.type.toString(16);
    throw new PolicyError(line, `${role} key ${key.name} has type 0x${type}; expected 0x0${expectedType}`);
  }
  return key;
}

/** Parse a policy file. Whitespace is ASCII space and tab only; '#' starts a comment line. */
export function parsePolicy(input: Uint8Array | string): Policy {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > POLICY_LIMITS.bytes) throw new PolicyError(0, `file is larger than ${POLICY_LIMITS.bytes} bytes`);
  let text: string;
  try {
    text = inputText(input, 'policy');
  } catch (err) {
    if (err instanceof C2spFormatError) throw new PolicyError(0, err.message);
    throw err;
  }
  const logs: PolicyLog[] = [];
  const witnesses = new Map<string, PolicyWitness>();
  const groups = new Map<string, PolicyGroup>();
  let quorum: string | null = null;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const n = i + 1;
    const bad = policyControlChar(raw);
    if (bad >= 0) throw new PolicyError(n, `control character 0x${bad.toString(16).padStart(2, '0')}`);
    const line = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const [keyword, ...args] = line.split(/[ \t]+/) as [string, ...string[]];
    const defined = (name: string): boolean => witnesses.has(name) || groups.has(name);
    const newName = (name: string): void => {
      if (name === NONE) throw new PolicyError(n, '"none" is a reserved name');
      if (defined(name)) throw new PolicyError(n, `name ${name} is already defined`);
    };
    switch (keyword) {
      case 'log': {
        if (args.length < 1 || args.length > 2) throw new PolicyError(n, 'expected "log <vkey> [<url>]"');
        if (logs.length >= POLICY_LIMITS.logs) throw new PolicyError(n, `more than ${POLICY_LIMITS.logs} logs`);
        const vkey = parseKey(n, args[0] as string, SIG_TYPE_ED25519, 'log');
        if (logs.some((l) => sameKeyMaterial(l.vkey, vkey))) throw new PolicyError(n, `duplicate log key ${vkey.name}`);
        logs.push(args[1] === undefined ? { vkey } : { vkey, url: args[1] });
        return;
      }
      case 'witness': {
        if (args.length < 2 || args.length > 3) throw new PolicyError(n, 'expected "witness <name> <vkey> [<url>]"');
        if (witnesses.size >= POLICY_LIMITS.witnesses) {
          throw new PolicyError(n, `more than ${POLICY_LIMITS.witnesses} witnesses`);
        }
        const name = args[0] as string;
        newName(name);
        const vkey = parseKey(n, args[1] as string, SIG_TYPE_COSIGNATURE_V1, 'witness');
        for (const w of witnesses.values()) {
          if (sameKeyMaterial(w.vkey, vkey)) throw new PolicyError(n, `witness ${name} has the same key as ${w.name}`);
        }
        witnesses.set(name, args[2] === undefined ? { name, vkey } : { name, vkey, url: args[2] });
        return;
      }
      case 'group': {
        if (args.length < 3) throw new PolicyError(n, 'expected "group <name> all|any|<k> <name>..."');
        if (groups.size >= POLICY_LIMITS.groups) throw new PolicyError(n, `more than ${POLICY_LIMITS.groups} groups`);
        const [name, k, ...members] = args as [string, string, ...string[]];
        newName(name);
        const seen = new Set<string>();
        for (const m of members) {
          if (m === NONE) throw new PolicyError(n, '"none" cannot be a group member');
          if (!defined(m)) throw new PolicyError(n, `group member ${m} is not defined on an earlier line`);
          if (seen.has(m)) throw new PolicyError(n, `group member ${m} is listed twice`);
          seen.add(m);
        }
        let threshold: number;
        if (k === 'all') threshold = members.length;
        else if (k === 'any') threshold = 1;
        else if (/^[1-9][0-9]{0,8}$/.test(k)) threshold = Number(k);
        else throw new PolicyError(n, `threshold ${JSON.stringify(k)} is not all, any or a decimal number`);
        if (threshold > members.length) {
          throw new PolicyError(n, `threshold ${threshold} is above the ${members.length} members`);
        }
        groups.set(name, { name, threshold, members });
        return;
      }
      case 'quorum': {
        if (args.length !== 1) throw new PolicyError(n, 'expected "quorum <name>"');
        if (quorum !== null) throw new PolicyError(n, 'a second quorum line');
        const name = args[0] as string;
        if (name !== NONE && !defined(name)) {
          throw new PolicyError(n, `quorum ${name} is not defined on an earlier line`);
        }
        quorum = name;
        return;
      }
      default:
        throw new PolicyError(n, `unknown keyword ${JSON.stringify(keyword)}`);
    }
  });
  if (quorum === null) throw new PolicyError(0, 'no quorum line');
  return { logs, witnesses, groups, quorum };
}

/** Is the quorum met when exactly the witnesses named in `cosigned` (policy names) have cosigned? */
export function quorumMet(policy: Policy, cosigned: ReadonlySet<string>): boolean {
  const memo = new Map<string, boolean>();
  const witnessed = (name: string): boolean => {
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    let result: boolean;
    const group = policy.groups.get(name);
    if (group === undefined) result = policy.witnesses.has(name) && cosigned.has(name);
    else result = group.members.filter(witnessed).length >= group.threshold;
    memo.set(name, result);
    return result;
  };
  return policy.quorum === NONE || witnessed(policy.quorum);
}

export interface PolicyVerdict {
  checkpoint: Checkpoint;
  /** Policy names of witnesses whose cosignature verified. */
  cosigners: string[];
  quorumMet: boolean;
}

/**
 * Verify a cosigned checkpoint note against a policy: a signature by one of the policy's logs is required
 * (unless `requireLogSignature` is false, for AKD checkpoints that have none, docs/c2sp.md), cosignatures
 * are counted per witness, and the quorum is evaluated. A bad signature by a known key rejects the note.
 */
export function verifyWithPolicy(
  note: string | Uint8Array,
  policy: Policy,
  options: { requireLogSignature?: boolean } = {},
): PolicyVerdict {
  const logVerifiers = policy.logs.map((l) => ed25519NoteVerifier(l.vkey));
  const witnessVerifiers = new Map<NoteVerifier, string>();
  for (const w of policy.witnesses.values()) witnessVerifiers.set(cosignatureVerifier(w.vkey), w.name);
  const opened = openNote(note, [...logVerifiers, ...witnessVerifiers.keys()]);
  const checkpoint = parseCheckpoint(opened.note.text);
  const logSigned = opened.verified.some((v) => logVerifiers.includes(v.verifier));
  if ((options.requireLogSignature ?? true) && !logSigned) {
    throw new PolicyError(0, 'checkpoint is not signed by any log in the policy');
  }
  const cosigners = opened.verified.flatMap((v) => {
    const name = witnessVerifiers.get(v.verifier);
    return name === undefined ? [] : [name];
  });
  return { checkpoint, cosigners, quorumMet: quorumMet(policy, new Set(cosigners)) };
}
