#!/usr/bin/env bash
# chorus-install-keys SOURCE_DIR TARGET_DIR: copy the node's key files from a mounted Kubernetes
# Secret into a private directory (an emptyDir), mode 0600, owned by the user running it.
#
# Why: the node refuses a signing key or libp2p identity that group or others can read (as ssh
# does). A Secret volume cannot give the files to a non-root user with mode 0600: without fsGroup
# they are root's and unreadable; with fsGroup the kubelet widens defaultMode 0400 to 0440
# (kubernetes/kubernetes#57923). So an init container running as the node's user copies them.
#
# Every regular file of SOURCE_DIR is copied (node.key, p2p-identity.key, and rotated keys such as
# node-<not_before>.key); CHORUS_REQUIRED_KEYS (default "node.key p2p-identity.key") must be among
# them, so a pod never starts with a missing identity (the node would make a new peer id).
set -euo pipefail

src="${1:-${CHORUS_KEYS_SOURCE:-/etc/chorus/secret}}"
dst="${2:-${CHORUS_KEYS_DIR:-/run/chorus/keys}}"
read -r -a required <<<"${CHORUS_REQUIRED_KEYS:-node.key p2p-identity.key}"

umask 077
mkdir -p "$dst"
shopt -s nullglob
copied=0
for f in "$src"/*; do
  [[ -f "$f" ]] || continue # Secret volumes also hold ..data and timestamped dirs
  name="$(basename "$f")"
  cat -- "$f" >"${dst}/.${name}.tmp"
  chmod 0600 "${dst}/.${name}.tmp"
  mv -f "${dst}/.${name}.tmp" "${dst}/${name}"
  copied=$((copied + 1))
done
for name in "${required[@]}"; do
  if [[ ! -s "${dst}/${name}" ]]; then
    echo "chorus-install-keys: ${src}/${name} is missing or empty (create the Secret from the files chorus init wrote)" >&2
    exit 1
  fi
done
echo "chorus-install-keys: ${copied} key file(s) from ${src} in ${dst} (mode 0600)"
