#!/usr/bin/env bash
# Builds the stand-in base images the compose file and the Dockerfile name, from one debootstrap of
# Debian bookworm, for machines that reach no container registry. Each image is rebuilt only when
# its recipe (this folder) changed; the debootstrap is kept in STANDIN_CACHE between runs.
#   node:20-bookworm-slim  the machine's own Node.js 20 and npm, trusting the machine's CA bundle
#   nginx:1.27-bookworm    Debian's nginx 1.22
#   postgres:16-bookworm   Debian's PostgreSQL 15, with an entrypoint for POSTGRES_PASSWORD / POSTGRES_DB
#   redis:7-bookworm       Debian's Redis 7.0, protected mode off
# An image of the same name that was not built here (a real one, pulled) is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${STANDIN_CACHE:-/var/cache/rinha-standins}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { printf '[standins] %s\n' "$*"; }

recipe=$(cat "$here"/*.Dockerfile "$here"/*.sh | sha256sum | cut -c1-16)
label() { docker image inspect -f '{{ index .Config.Labels "rinha.standin" }}' "$1" 2>/dev/null || true; }

if [ -z "$(docker image ls -q rinha-standin/bookworm:latest)" ]; then
  mkdir -p "$cache"
  if [ ! -s "$cache/bookworm-minbase.tar" ]; then
    log "debootstrap of bookworm into $cache (once; about 30 s)"
    rm -rf "$cache/rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$cache/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log"; exit 1; }
    rm -rf "$cache/rootfs/var/cache/apt/archives/"*.deb "$cache/rootfs/var/lib/apt/lists/"*
    tar -C "$cache/rootfs" -cf "$cache/bookworm-minbase.tar.tmp" . && mv "$cache/bookworm-minbase.tar.tmp" "$cache/bookworm-minbase.tar"
    rm -rf "$cache/rootfs"
  fi
  log "importing rinha-standin/bookworm"
  docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$cache/bookworm-minbase.tar" rinha-standin/bookworm:latest >/dev/null
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here"/*.Dockerfile "$here"/*.sh "$context"/
cp "$(readlink -f "$(command -v node)")" "$context/node"
cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$context/npm"
cp /etc/ssl/certs/ca-certificates.crt "$context/machine-ca.crt"

for pair in node:node:20-bookworm-slim nginx:nginx:1.27-bookworm postgres:postgres:16-bookworm redis:redis:7-bookworm; do
  name=${pair%%:*}
  tag=${pair#*:}
  have=$(label "$tag")
  if [ "$have" = "$recipe" ]; then continue; fi
  if [ -n "$(docker image ls -q "$tag")" ] && [ -z "$have" ]; then
    log "$tag exists and is not a stand-in: kept"
    continue
  fi
  log "building $tag (stand-in)"
  docker build -q --label "rinha.standin=$recipe" -f "$context/$name.Dockerfile" -t "$tag" "$context" >/dev/null 2>"$context/build.err" ||
    { cat "$context/build.err"; exit 1; }
done
log "stand-ins ready: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'bookworm' | tr '\n' ',' | sed 's/,$//')"
