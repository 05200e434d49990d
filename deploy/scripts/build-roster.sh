#!/usr/bin/env bash
# chorus-build-roster: assemble the network's roster from the organisations' node configs (the
# compose "roster" service), and the demo log's push targets from their init output.
#
# In a real network each organisation runs `chorus roster add … --config` on its own host and
# sends the entry to whoever keeps the roster (see deploy/README.md); compose does it in one place.
# The roster is rebuilt from the nodes' configs on every run (same keys, same peer ids: the same
# file) and replaced atomically.
#
# Environment:
#   CHORUS_NETWORK        network name                      (default demo)
#   CHORUS_THRESHOLD      co-signatures for an epoch        (default 2)
#   CHORUS_NAMESPACE      the namespace (required)
#   CHORUS_ORGS           organisations, in order           (default "org1 org2 org3")
#   CHORUS_NODES_DIR      each org's data directory is $CHORUS_NODES_DIR/<org> (default /srv/chorus)
#   CHORUS_ROSTER         roster file to write              (default /etc/chorus/roster.json)
#   CHORUS_EXCHANGE_DIR   <org>.target.json in, targets.json out (default /var/lib/chorus-exchange)
#   CHORUS_PROOF_DIRECTORY, CHORUS_ROOT, CHORUS_LOG_KEY   the namespace's entry (optional)
set -euo pipefail

network="${CHORUS_NETWORK:-demo}"
threshold="${CHORUS_THRESHOLD:-2}"
namespace="${CHORUS_NAMESPACE:?set CHORUS_NAMESPACE}"
read -r -a orgs <<<"${CHORUS_ORGS:-org1 org2 org3}"
nodes_dir="${CHORUS_NODES_DIR:-/srv/chorus}"
roster="${CHORUS_ROSTER:-/etc/chorus/roster.json}"
exchange_dir="${CHORUS_EXCHANGE_DIR:-/var/lib/chorus-exchange}"

mkdir -p "$(dirname "$roster")"
tmp="${roster}.new"
chorus roster new --network "$network" --threshold "$threshold" --out "$tmp" --force >/dev/null
ns_args=(roster namespace "$tmp" --name "$namespace")
if [[ -n "${CHORUS_ROOT:-}" ]]; then ns_args+=(--root "$CHORUS_ROOT"); fi
if [[ -n "${CHORUS_PROOF_DIRECTORY:-}" ]]; then ns_args+=(--proof-directory "$CHORUS_PROOF_DIRECTORY"); fi
if [[ -n "${CHORUS_LOG_KEY:-}" ]]; then ns_args+=(--log-key "$CHORUS_LOG_KEY"); fi
chorus "${ns_args[@]}" >/dev/null
for org in "${orgs[@]}"; do
  chorus roster add "$tmp" --name "$org" --config "${nodes_dir}/${org}/chorus.yaml" >/dev/null
done
mv -f "$tmp" "$roster"
echo "chorus-build-roster: ${roster}: network ${network}, threshold ${threshold}, auditors ${orgs[*]}"

# The demo log pushes to the targets in this order; with --equivocate-at, the last --minority
# of them are shown the other branch.
umask 077
node -e '
  const fs = require("node:fs");
  const [dir, ...orgs] = process.argv.slice(1);
  const targets = orgs.map((org) => JSON.parse(fs.readFileSync(`${dir}/${org}.target.json`, "utf8")));
  fs.writeFileSync(`${dir}/targets.json.tmp`, JSON.stringify(targets, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(`${dir}/targets.json.tmp`, `${dir}/targets.json`);
' "$exchange_dir" "${orgs[@]}"
echo "chorus-build-roster: ${exchange_dir}/targets.json: ${#orgs[@]} push targets"
