// The one place where the node's parts are connected by events: what follows a signature, an
// observation, an equivocation, a halt (docs/design-decisions.md "Composition root"). The parts
// themselves only emit; this module decides who reacts.
import { toHex } from '../util/bytes.js';
import type { NodeServices } from './build-services.js';

export function wireEvents(s: NodeServices): void {
  const { logger, signing, signingService, network, quorum, liveness, metrics, alerting, effectiveRoster: roster } = s;
  const now = (): bigint => s.clock.now();
  const event = alerting.event.bind(alerting);

  // Signing halts, including namespaces refused at start (store behind its journal).
  for (const [ns, reason] of signing.refusedNamespaces)
    event('signing-halted', { kind: 'store-behind-journal', namespace: ns, reason });
  signing.onHalt((kind, reason, ns) => {
    logger.error({ event: 'signing-halted', kind, namespace: ns }, `signing halted: ${reason}`);
    event('signing-halted', { kind, reason, ...(ns ? { namespace: ns } : {}) });
  });

  // Our own signatures: logged, counted, verified, announced, and gossiped as evidence.
  signingService.on('signed', (r, info) => {
    logger.info(
      {
        event: 'epoch-signed',
        namespace: r.namespace,
        epoch: r.epoch.toString(),
        digest: toHex(r.digest),
        root: info.becameRoot,
      },
      'epoch signed',
    );
    metrics.epochsSigned.inc({ namespace: r.namespace });
    s.proofVerification?.enqueue(r.namespace, r.epoch);
    event('epoch-signed', {
      namespace: r.namespace,
      epoch: r.epoch,
      digest: toHex(r.digest),
      signer_key: toHex(r.publicKey),
      timestamp: r.timestamp,
      root: info.becameRoot,
    });
    void network
      .onSigned(r)
      .catch((err: unknown) =>
        logger.error({ event: 'evidence-failed', err }, 'could not process our own observation'),
      );
  });
  signingService.on('conflict', (c) =>
    logger.warn(
      {
        event: 'submission-conflict',
        namespace: c.namespace,
        epoch: c.epoch.toString(),
        signed: c.signedDigest,
        submitted: c.submittedDigest,
      },
      'refused a second digest for a signed epoch',
    ),
  );

  // Observations: quorum, liveness, the auditors' last-seen gauge.
  network.on('observation', (o) => {
    void quorum.onObservation(o, now()).then(
      (state) => {
        liveness.onEpochState(state.namespace, state.epoch, state);
        const q = state.reached ? state.announcement : undefined;
        if (!q) return;
        event('quorum-reached', {
          namespace: q.namespace,
          epoch: q.epoch,
          digest: q.digest,
          signers: q.signers,
          threshold: q.threshold,
        });
      },
      (err: unknown) => logger.error({ event: 'quorum-check-failed', err }, 'quorum check failed'),
    );
  });
  network.on('observation', (o) => liveness.onObservation(o));
  network.on('observation', (o) => {
    const role = roster.signerRole(o.namespace, o.signerKey);
    if (role?.kind === 'auditor') metrics.auditorSeen(role.auditor.name, now());
  });

  // Alerts from peers, equivocations, doppelgängers.
  network.on('alert', ({ alert, raisedBy }) =>
    logger.warn(
      {
        event: 'remote-alert',
        type: alert.type,
        namespace: alert.namespace,
        epoch: alert.epoch?.toString(),
        raised_by: raisedBy,
        reason: alert.reason,
      },
      `alert from ${raisedBy}: ${alert.reason}`,
    ),
  );
  network.on('equivocation', (p) => {
    void alerting.raise(
      {
        type: 'equivocation',
        namespace: p.namespace,
        epoch: p.epoch,
        timestamp: now(),
        reason: `${p.kind} between ${p.signers.join(' and ')}`,
        id: p.id,
        kind: p.kind,
      },
      `equivocation:${p.fact}`,
    );
    metrics.equivocations.inc({ namespace: p.namespace, kind: p.kind });
    event('equivocation', {
      namespace: p.namespace,
      epoch: p.epoch,
      id: p.id,
      kind: p.kind,
      signers: p.signers,
      digests: [toHex(p.proof.first.digest), toHex(p.proof.second.digest)],
    });
  });
  // Checkpoint equivocations (docs/c2sp.md, "Checkpoints in the network"): alerted like the others.
  s.checkpoints.on('equivocation', (p) => {
    void alerting.raise(
      {
        type: 'equivocation',
        namespace: p.namespace,
        epoch: p.size,
        timestamp: now(),
        reason: `checkpoint ${p.kind} for ${p.origin} at size ${p.size} between ${p.signers.join(' and ')}`,
        id: p.id,
        kind: p.kind,
        origin: p.origin,
      },
      `checkpoint-equivocation:${p.fact}`,
    );
    metrics.checkpointEquivocations.inc({ origin: p.origin, kind: p.kind });
    event('checkpoint-equivocation', {
      namespace: p.namespace,
      origin: p.origin,
      size: p.size,
      id: p.id,
      kind: p.kind,
      signers: p.signers,
    });
  });
  network.on('doppelganger', (d) =>
    event('signing-halted', { namespace: d.namespace, epoch: d.epoch, digest: d.digest, reason: d.reason }),
  );
}
