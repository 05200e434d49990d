#!/usr/bin/env bash
# chorus-init-node: initialise one organisation's node once (the compose "orgN-init" services).
#
# If the data directory already holds a config, nothing is created: a node keeps its signing key
# and peer id for life. Otherwise it runs `chorus init` (signing key, libp2p identity, commented
# chorus.yaml listening on all interfaces), keeps the printed tokens in the data directory
# (init-secrets.json, mode 0600), and writes the demo log's push target for this organisation
# ({"name","url","token"}) into the exchange directory, where chorus-build-roster collects it.
#
# Environment (paths are the container's; the integration test points them at a temp dir):
#   CHORUS_ORG            organisation name, also its host name on the compose network (required)
#   CHORUS_NAMESPACE      the namespace to audit (required)
#   CHORUS_DATA_DIR       data directory              (default /var/lib/chorus)
#   CHORUS_EXCHANGE_DIR   where the push target goes  (default /var/lib/chorus-exchange)
#   CHORUS_HTTP_PORT      HTTP port                   (default 8080)
#   CHORUS_P2P_PORT       libp2p TCP port             (default 4001)
#   CHORUS_PUBLIC_URL     how the log and clients reach the node (default http://$CHORUS_ORG:$CHORUS_HTTP_PORT)
#   CHORUS_P2P_ANNOUNCE   multiaddr other nodes dial  (default /dns4/$CHORUS_ORG/tcp/$CHORUS_P2P_PORT)
#   CHORUS_PROOF_DIRECTORY  the log's proof directory (optional: validate every epoch)
#   CHORUS_ROOT           the namespace's root EPOCH/HEX_DIGEST (optional)
set -euo pipefail

org="${CHORUS_ORG:?set CHORUS_ORG to the organisation name}"
namespace="${CHORUS_NAMESPACE:?set CHORUS_NAMESPACE}"
data_dir="${CHORUS_DATA_DIR:-/var/lib/chorus}"
exchange_dir="${CHORUS_EXCHANGE_DIR:-/var/lib/chorus-exchange}"
http_port="${CHORUS_HTTP_PORT:-8080}"
p2p_port="${CHORUS_P2P_PORT:-4001}"
public_url="${CHORUS_PUBLIC_URL:-http://${org}:${http_port}}"
announce="${CHORUS_P2P_ANNOUNCE:-/dns4/${org}/tcp/${p2p_port}}"
config="${data_dir}/chorus.yaml"
secrets="${data_dir}/init-secrets.json"

umask 077

if [[ -f "$config" ]]; then
  echo "chorus-init-node: ${data_dir} already holds a node; keeping its key and peer id"
else
  args=(init --data-dir "$data_dir" --namespace "$namespace"
    --http-host 0.0.0.0 --http-port "$http_port" --public-url "$public_url"
    --p2p-host 0.0.0.0 --p2p-port "$p2p_port" --p2p-announce "$announce")
  if [[ -n "${CHORUS_PROOF_DIRECTORY:-}" ]]; then args+=(--proof-directory "$CHORUS_PROOF_DIRECTORY"); fi
  if [[ -n "${CHORUS_ROOT:-}" ]]; then args+=(--root "$CHORUS_ROOT"); fi
  # The tokens are printed once (only their hashes are in chorus.yaml): keep them, 0600.
  mkdir -p "$data_dir"
  chorus "${args[@]}" --json >"$secrets"
  echo "chorus-init-node: initialised ${org} in ${data_dir}"
fi

if [[ ! -f "$secrets" ]]; then
  echo "chorus-init-node: ${secrets} is missing, so the log's token for ${org} is unknown;" >&2
  echo "  remove the volume to start over, or write the target by hand" >&2
  exit 1
fi

# The demo log's push target: {"name","url","token"} (see chorus demo-log --targets).
mkdir -p "$exchange_dir"
target="${exchange_dir}/${org}.target.json"
node -e '
  const fs = require("node:fs");
  const [secrets, org, url, ns, out] = process.argv.slice(1);
  const token = JSON.parse(fs.readFileSync(secrets, "utf8")).tokens[ns];
  if (!token) { console.error(`no token for namespace ${ns} in ${secrets}`); process.exit(1); }
  fs.writeFileSync(`${out}.tmp`, JSON.stringify({ name: org, url, token }) + "\n", { mode: 0o600 });
  fs.renameSync(`${out}.tmp`, out);
' "$secrets" "$org" "$public_url" "$namespace" "$target"
echo "chorus-init-node: push target for ${org} in ${target}"
