// Global setup of the reliability suite: clears the per-part results before the run and, after it,
// prints the summary line and writes test/artifacts/reliability-summary.json. A part that did not
// write its results (it crashed or was filtered out) is listed as missing.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { ARTIFACTS, MODE, PARTS_DIR, readPart, readPartFailure, SUMMARY_FILE, type PartResult } from './support.js';

const PARTS = ['crash', 'partitions', 'fuzz-decoders', 'fuzz-http', 'load', 'disk-full', 'flood'] as const;

let startedAt = 0;

export function setup(): void {
  startedAt = Date.now();
  rmSync(PARTS_DIR, { recursive: true, force: true });
  rmSync(SUMMARY_FILE, { force: true });
  mkdirSync(PARTS_DIR, { recursive: true });
}

const num = (p: PartResult | undefined, key: string): number => (typeof p?.[key] === 'number' ? (p[key] as number) : 0);

export function teardown(): void {
  const parts = Object.fromEntries(PARTS.map((name) => [name, readPart(name)])) as Record<
    (typeof PARTS)[number],
    PartResult | undefined
  >;
  const missing = PARTS.filter((name) => parts[name] === undefined);
  // A part can fail without a counted violation (a time limit, a wait that gave up): listed apart.
  const failed = Object.fromEntries(
    PARTS.flatMap((name) => {
      const errors = readPartFailure(name);
      return errors === undefined ? [] : [[name, errors]];
    }),
  );
  const violations = PARTS.reduce((s, name) => s + (parts[name]?.violations ?? 0), 0);
  const load = parts.load;
  const growth = typeof load?.maxGrowthPercent === 'number' ? load.maxGrowthPercent : undefined;
  const wallMs = Date.now() - startedAt;
  const floodSignatures = parts.flood?.signatures as
    { tracked?: number; lost?: number; changed?: number; doubleSigned?: number } | undefined;
  const summary = {
    mode: MODE,
    finishedAt: new Date().toISOString(),
    killsSurvived: num(parts.crash, 'kills'),
    partitionsHealed: num(parts.partitions, 'healed'),
    inputsTried: num(parts['fuzz-decoders'], 'inputs') + num(parts['fuzz-http'], 'requests'),
    decoderInputs: num(parts['fuzz-decoders'], 'inputs'),
    httpRequests: num(parts['fuzz-http'], 'requests'),
    loadSeconds: Math.round(num(load, 'durationMs') / 1000),
    loadSubmissions: num(load, 'submissions'),
    loadRssGrowthPercent: growth ?? null,
    diskFullCycles: num(parts['disk-full'], 'cycles'),
    // The disk-full part's ledger counts a lost, changed or double-signed signature as one violation.
    diskFullSignatures: {
      tracked: num(parts['disk-full'], 'signaturesTracked'),
      lostChangedOrDoubleSigned: parts['disk-full']?.violations ?? null,
    },
    floodSplitViews: num(parts.flood, 'splitViews'),
    floodDetectionMaxMs: (parts.flood?.detectionMs as { max?: number } | undefined)?.max ?? null,
    floodSignatures: {
      tracked: floodSignatures?.tracked ?? 0,
      lost: floodSignatures?.lost ?? null,
      changed: floodSignatures?.changed ?? null,
      doubleSigned: floodSignatures?.doubleSigned ?? null,
    },
    violations,
    missingParts: missing,
    failedParts: failed,
    wallSeconds: Math.round(wallMs / 1000),
    parts,
  };
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  const line =
    `reliability (${MODE} mode): kills survived ${summary.killsSurvived}, partitions healed ${summary.partitionsHealed}, ` +
    `inputs tried ${summary.inputsTried} (${summary.decoderInputs} decoder, ${summary.httpRequests} HTTP), ` +
    `load ${summary.loadSeconds} s / ${summary.loadSubmissions} submissions, RSS growth ${growth === undefined ? 'n/a' : `${growth.toFixed(1)} %`}, ` +
    `disk-full cycles ${summary.diskFullCycles} (${summary.diskFullSignatures.tracked} signatures, ` +
    `${summary.diskFullSignatures.lostChangedOrDoubleSigned ?? 'n/a'} lost/changed/double-signed), ` +
    `flood ${summary.floodSplitViews} split views, detection max ${summary.floodDetectionMaxMs ?? 'n/a'} ms ` +
    `(${summary.floodSignatures.tracked} signatures, ${summary.floodSignatures.lost ?? 'n/a'} lost, ` +
    `${summary.floodSignatures.changed ?? 'n/a'} changed, ${summary.floodSignatures.doubleSigned ?? 'n/a'} double-signed), ` +
    `violations: ${violations}${missing.length ? `, missing parts: ${missing.join(' ')}` : ''}` +
    `${Object.keys(failed).length ? `, FAILED parts: ${Object.keys(failed).join(' ')}` : ''} (${summary.wallSeconds} s)`;
  process.stdout.write(`\n${line}\n`);
}
