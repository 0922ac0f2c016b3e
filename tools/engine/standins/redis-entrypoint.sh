#!/bin/sh
# The official image's redis-server has protected mode off (it is built so): without it, Redis started
# with no config file refuses every client from another container.
set -eu
if [ "${1:-}" = "redis-server" ]; then
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
