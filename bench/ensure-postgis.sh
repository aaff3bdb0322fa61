#!/usr/bin/env bash
# Installs PostgreSQL with PostGIS from Debian when missing, for make bench:
# the harness starts its own throwaway cluster with the newest PostgreSQL
# under /usr/lib/postgresql and needs CREATE EXTENSION postgis there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

newest() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

install() {
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-postgis: $* missing; run as root or install it: apt-get install -y $*" >&2
    exit 1
  fi
  apt-get install -y -q --no-install-recommends "$@" || {
    apt-get update -q
    apt-get install -y -q --no-install-recommends "$@"
  }
}

if [ -z "$(newest)" ]; then
  install postgresql
fi
ver=$(newest)
if [ ! -e "/usr/share/postgresql/$ver/extension/postgis.control" ]; then
  install "postgresql-$ver-postgis-3"
fi
