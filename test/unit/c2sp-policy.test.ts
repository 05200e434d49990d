// tlog-policy files (src/c2sp/policy.ts): the spec's example structure with real keys, nested groups,
// every rejection rule with its line number, and verification of cosigned checkpoints against a quorum.
import { describe, expect, it } from 'vitest';
import {
  cosigner,
  ed25519NoteSigner,
  formatAddCheckpointResponse,
  formatCheckpoint,
  leafHash,
  parsePolicy,
  PolicyError,
  quorumMet,
  rootOf,
  signNote,
  verifyWithPolicy,
  type Cosigner,
} from '../../src/c2sp/index.js';

const seed = (b: number) => new Uint8Array(32).fill(b);
const LOG = ed25519NoteSigner('log.chorus.test/one', seed(1));
const W: Record<string, Cosigner> = {};
for (const [i, name] of ['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3'].entries()) {
  W[name] = cosigner(`${name.toLowerCase()}.witness.test`, seed(10 + i));
}
const vk = (name: string) => (W[name] as Cosigner).vkey;

// The example policy of c2sp.org/tlog-policy, with real keys in place of <vkey>.
const SPEC_POLICY = `log ${LOG.vkey}

witness X1 ${vk('X1')}
witness X2 ${vk('X2')}
witness X3 ${vk('X3')}
group X-witnesses 2 X1 X2 X3

witness Y1 ${vk('Y1')}
witness Y2 ${vk('Y2')}
witness Y3 ${vk('Y3')}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;

function policyError(text: string): PolicyError {
  try {
    parsePolicy(text);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('policy was accepted');
}

describe('tlog-policy: parsing', () => {
  it('parses the spec example', () => {
    const p = parsePolicy(SPEC_POLICY);
    expect(p.logs).toHaveLength(1);
    expect(p.logs[0]?.vkey.name).toBe('log.chorus.test/one');
    expect([...p.witnesses.keys()]).toEqual(['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3']);
    expect(p.groups.get('X-witnesses')).toEqual({ name: 'X-witnesses', threshold: 2, members: ['X1', 'X2', 'X3'] });
    expect(p.groups.get('Y-witnesses')?.threshold).toBe(1);
    expect(p.groups.get('X-and-Y')?.threshold).toBe(2);
    expect(p.quorum).toBe('X-and-Y');
  });

  it('accepts comments, tabs, surrounding whitespace, URLs, no final newline and quorum none', () => {
    const p = parsePolicy(
      `# a comment\n  \t\n\tlog\t${LOG.vkey}  https://log.example/  \n   # indented comment\n` +
        `witness a ${vk('X1')} https://w.example/\nquorum none`,
    );
    expect(p.logs[0]?.url).toBe('https://log.example/');
    expect(p.witnesses.get('a')?.url).toBe('https://w.example/');
    expect(p.quorum).toBe('none');
    expect(quorumMet(p, new Set())).toBe(true);
  });

  it('names the offending line in every rejection', () => {
    const w1 = `witness a ${vk('X1')}\n`;
    const cases: [string, number, RegExp][] = [
      [`${w1}quorum b\n`, 2, /not defined/],
      [`${w1}quorum a\nquorum a\n`, 3, /second quorum/],
      [`${w1}`, 0, /no quorum/],
      [`${w1}witness a ${vk('X2')}\nquorum a\n`, 2, /already defined/],
      [`${w1}witness b ${vk('X1')}\nquorum a\n`, 2, /same key/],
      [`log ${LOG.vkey}\nlog ${LOG.vkey}\nquorum none\n`, 2, /duplicate log/],
      [`${w1}group g 2 a\nquorum g\n`, 2, /threshold 2 is above/],
      [`${w1}group g 0 a\nquorum g\n`, 2, /threshold/],
      [`${w1}group g 01 a\nquorum g\n`, 2, /threshold/],
      [`${w1}group g some a\nquorum g\n`, 2, /threshold/],
      [`${w1}group g any a a\nquorum g\n`, 2, /listed twice/],
      [`${w1}group g any a b\nquorum g\n`, 2, /not defined/],
      [`${w1}group g any none\nquorum g\n`, 2, /"none" cannot/],
      [`${w1}group g any\nquorum g\n`, 2, /expected "group/],
      [`${w1}group none any a\nquorum a\n`, 2, /reserved/],
      [`witness none ${vk('X1')}\nquorum none\n`, 1, /reserved/],
      [`${w1}group a any a\nquorum a\n`, 2, /already defined/],
      [`${w1}quorum\n`, 2, /expected "quorum/],
      [`log\nquorum none\n`, 1, /expected "log/],
      [`log ${LOG.vkey} url extra\nquorum none\n`, 1, /expected "log/],
      [`witness a\nquorum none\n`, 1, /expected "witness/],
      [`witness a ${LOG.vkey}\nquorum none\n`, 1, /type 0x1; expected 0x04/],
      [`log ${vk('X1')}\nquorum none\n`, 1, /type 0x4; expected 0x01/],
      [`witness a ${vk('X1').replace(/\+[0-9a-f]{8}\+/, '+00000000+')}\nquorum none\n`, 1, /does not match/],
      [`${w1}frobnicate a\nquorum a\n`, 2, /unknown keyword/],
      [`${w1}quorum a\r\n`, 2, /control character 0x0d/],
      [`${w1}quorum\u000ba\n`, 2, /control character 0x0b/],
    ];
    for (const [text, line, pattern] of cases) {
      const err = policyError(text);
      expect(err.line, text).toBe(line);
      expect(err.message, text).toMatch(pattern);
      expect(err.message).toMatch(line > 0 ? new RegExp(`^policy line ${line}: `) : /^policy: /);
    }
  });

  it('rejects invalid UTF-8', () => {
    const bytes = new Uint8Array(Buffer.from(`quorum none\n# caf\u00e9\n`));
    bytes[bytes.length - 2] = 0xff;
    expect(() => parsePolicy(bytes)).toThrow(PolicyError);
  });
});

describe('tlog-policy: quorum evaluation', () => {
  const p = parsePolicy(SPEC_POLICY);
  it('needs 2 of X and 1 of Y', () => {
    expect(quorumMet(p, new Set(['X1', 'X2', 'Y3']))).toBe(true);
    expect(quorumMet(p, new Set(['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3']))).toBe(true);
    expect(quorumMet(p, new Set(['X1', 'Y1', 'Y2', 'Y3']))).toBe(false);
    expect(quorumMet(p, new Set(['X1', 'X2', 'X3']))).toBe(false);
    expect(quorumMet(p, new Set())).toBe(false);
    // Group names and unknown names are not cosigners.
    expect(quorumMet(p, new Set(['X-witnesses', 'Y-witnesses']))).toBe(false);
  });

  it('a single witness quorum, and deeper nesting', () => {
    expect(quorumMet(parsePolicy(`witness a ${vk('X1')}\nquorum a\n`), new Set(['a']))).toBe(true);
    expect(quorumMet(parsePolicy(`witness a ${vk('X1')}\nquorum a\n`), new Set(['b']))).toBe(false);
    const deep = parsePolicy(
      `witness a ${vk('X1')}\nwitness b ${vk('X2')}\nwitness c ${vk('X3')}\n` +
        `group g1 any a\ngroup g2 all g1 b\ngroup g3 any g2 c\nquorum g3\n`,
    );
    expect(quorumMet(deep, new Set(['c']))).toBe(true);
    expect(quorumMet(deep, new Set(['a', 'b']))).toBe(true);
    expect(quorumMet(deep, new Set(['a']))).toBe(false);
  });
});

describe('tlog-policy: verifying cosigned checkpoints', () => {
  const p = parsePolicy(SPEC_POLICY);
  const text = formatCheckpoint({
    origin: 'log.chorus.test/one',
    size: 3n,
    rootHash: rootOf([1, 2, 3].map((i) => leafHash(Uint8Array.of(i)))),
    extensions: [],
  });
  const cosigned = (names: string[], logSigner = LOG) =>
    signNote(text, [logSigner]) +
    formatAddCheckpointResponse(names.map((n) => (W[n] as Cosigner).cosign(text, 1_800_000_000n)));

  it('counts verified cosigners and evaluates the quorum', () => {
    const ok = verifyWithPolicy(cosigned(['X1', 'X3', 'Y2']), p);
    expect(ok.cosigners).toEqual(['X1', 'X3', 'Y2']);
    expect(ok.quorumMet).toBe(true);
    expect(ok.checkpoint.size).toBe(3n);
    expect(verifyWithPolicy(cosigned(['X1', 'Y2']), p).quorumMet).toBe(false);
  });

  it('ignores cosignatures from keys outside the policy', () => {
    const outsider = cosigner('x1.witness.test', seed(99));
    const note = signNote(text, [LOG]) + formatAddCheckpointResponse([outsider.cosign(text, 1n)]);
    const v = verifyWithPolicy(note, p);
    expect(v.cosigners).toEqual([]);
    expect(v.quorumMet).toBe(false);
  });

  it('requires a log signature, unless told otherwise (AKD checkpoints have none)', () => {
    const stranger = ed25519NoteSigner('log.chorus.test/one', seed(2));
    expect(() => verifyWithPolicy(cosigned(['X1', 'X2', 'Y1'], stranger), p)).toThrow(/not signed by any log/);
    const onlyCosigs = formatAddCheckpointResponse(['X1', 'X2', 'Y1'].map((n) => (W[n] as Cosigner).cosign(text, 5n)));
    const note = text + '\n' + onlyCosigs;
    expect(() => verifyWithPolicy(note, p)).toThrow(/not signed by any log/);
    expect(verifyWithPolicy(note, p, { requireLogSignature: false }).quorumMet).toBe(true);
  });

  it('rejects a note carrying a bad cosignature from a policy witness', () => {
    const note = cosigned(['X1', 'X2', 'Y1']);
    const tampered = note.replace(text, text.replace('\n3\n', '\n4\n'));
    expect(() => verifyWithPolicy(tampered, p)).toThrow(/does not verify/);
  });
});
