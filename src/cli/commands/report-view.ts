// `chorus report-view FILE --remote-url URL`: hands a node one signed view (POST /views) and says
// what it made of it (docs/protocol.md, "Views from anyone"). Exit codes: 0 consistent or new,
// 1 contradiction found (an equivocation proof now exists), 3 refused by the node (not signed by a
// roster signer in force, or of a namespace it does not audit), 2 bad input or the node unreachable.
import type { Command } from 'commander';
import { EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, fail } from '../output.js';

/** The node refused the view itself (its signature or signer), as opposed to bad input. */
export const EXIT_REFUSED = 3;

/**
 * What is sent: JSON as it is; UTF-8 text with a signed note's signature block (a blank line, then
 * lines starting with an em dash, c2sp.org/signed-note) as a cosigned checkpoint note; anything else
 * as a protobuf chorus.v1.Observation.
 */
export function viewContentType(bytes: Uint8Array): 'application/json' | 'application/x-protobuf' | 'text/plain' {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b /* { */) return 'application/json';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8, so not a note: protobuf bytes.
    return 'application/x-protobuf';
  }
  return text.includes('\n\n\u2014 ') ? 'text/plain' : 'application/x-protobuf';
}

interface ObservationReport {
  type: 'observation';
  outcome: string;
  namespace: string;
  epoch: bigint;
  digest: string;
  signer: string;
  compared: bigint;
  held: { digest: string; cosignatures: { name: string | null }[]; equivocated?: boolean }[];
  proofs: { id: string; kind: string }[];
}
interface CheckpointReport {
  type: 'checkpoint';
  outcome: string;
  origin: string;
  size: bigint;
  added: string[];
  compared: bigint;
  held: string[];
  proofs: { id: string; kind: string }[];
}
type ReportShape = ObservationReport | CheckpointReport;

const SAYS: Record<string, string> = {
  contradiction: 'contradicts what the node holds: an equivocation',
  consistent: 'the node already held it',
};

function describe(r: ReportShape): string[] {
  const news =
    r.compared > 0n ? 'agrees with what the node holds; stored' : 'the node held nothing to compare it with; stored';
  const says = r.outcome === 'new' ? news : (SAYS[r.outcome] ?? r.outcome);
  const lines: string[] = [];
  if (r.type === 'checkpoint') {
    lines.push(`${r.outcome}: checkpoint ${JSON.stringify(r.origin)} size ${r.size} — ${says}`);
    if (r.added.length) lines.push(`  new signatures by: ${r.added.join(', ')}`);
    lines.push(`  ${r.held.length} body(ies) held for that size`);
  } else {
    lines.push(`${r.outcome}: ${r.namespace} epoch ${r.epoch} digest ${r.digest} signed by ${r.signer} — ${says}`);
    for (const h of r.held) {
      const names = h.cosignatures.map((c) => c.name ?? '?').join(', ');
      lines.push(`  held: ${h.digest} co-signed by ${h.cosignatures.length} (${names || 'none'})`);
    }
  }
  for (const p of r.proofs) lines.push(`  proof: ${p.id} (${p.kind})`);
  return lines;
}

export function register(program: Command): void {
  program
    .command('report-view')
    .description(
      'hand a node a signed view (a Plexi SignatureResponse as JSON, a chorus.v1.Observation as protobuf, ' +
        'or a cosigned checkpoint note): ' +
        'exit 0 consistent or new, 1 contradiction found, 3 refused, 2 bad input',
    )
    .argument('<file>', 'the view (`-` reads standard input)')
    .requiredOption('--remote-url <url>', 'a Chorus node')
    .option('--json', "print the node's answer as JSON")
    .action(async (file: string, opts: { remoteUrl: string; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { readStdinBytes } = await import('../output.js');
      const { stringifyJson } = await import('../../util/json.js');
      const { ChorusClient, ChorusApiError } = await import('../../client/index.js');
      const limit = 1 << 20;
      let bytes: Uint8Array;
      let client: InstanceType<typeof ChorusClient>;
      try {
        bytes = file === '-' ? await readStdinBytes(limit) : new Uint8Array(readFileSync(file));
        if (bytes.length > limit) throw new Error(`${file} is larger than ${limit} bytes`);
        if (bytes.length === 0) throw new Error(`${file} is empty`);
        client = new ChorusClient(opts.remoteUrl, { timeoutMs: 30_000 });
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      let report: ReportShape;
      try {
        report = (await client.reportView(bytes, viewContentType(bytes))) as unknown as ReportShape;
      } catch (err) {
        if (err instanceof ChorusApiError && err.code === 'view-refused') {
          const reason = (err.body as { reason?: unknown }).reason;
          if (opts.json)
            process.stdout.write(`${stringifyJson({ outcome: 'refused', reason, message: err.message })}\n`);
          else process.stdout.write(`refused: ${err.message}\n`);
          process.exit(EXIT_REFUSED);
        }
        fail(EXIT_BAD_INPUT, `cannot report the view: ${(err as Error).message}`);
      }
      if (opts.json) process.stdout.write(`${stringifyJson(report)}\n`);
      else
        process.stdout.write(
          describe(report)
            .map((l) => `${l}\n`)
            .join(''),
        );
      process.exit(report.outcome === 'contradiction' ? EXIT_INVALID : EXIT_OK);
    });
}
