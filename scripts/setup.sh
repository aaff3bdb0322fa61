#!/usr/bin/env bash
# Installs, from Debian's packages, what stageindex needs and this machine
# lacks. Idempotent: it installs nothing when everything is there.
#   scripts/setup.sh run    a C compiler (h3-go is cgo)
#   scripts/setup.sh test   + PostgreSQL and PostGIS for the throwaway test clusters,
#                           HAProxy (deploy's tests) and Chromium (web's)
#   scripts/setup.sh replicas  a C compiler, PostgreSQL and HAProxy (make replicas)
set -euo pipefail
what=${1:-test}
export DEBIAN_FRONTEND=noninteractive

sudo=
if [ "$(id -u)" != 0 ]; then
  sudo=sudo
fi
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -q
    apt_updated=1
  fi
  $sudo apt-get install -y -q --no-install-recommends "$@"
}

command -v gcc >/dev/null || apt_install gcc libc6-dev
[ "$what" = run ] && exit 0

# The tests start their own throwaway PostgreSQL clusters (internal/pgtest)
# with initdb and pg_ctl from /usr/lib/postgresql/*/bin.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  apt_install postgresql
  # Debian may create and start a "main" cluster on port 5432; the tests do
  # not use it, so stop it to free its memory.
  if command -v pg_lsclusters >/dev/null; then
    { pg_lsclusters --no-header 2>/dev/null || true; } | while read -r ver name _; do
      $sudo pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
    done
  fi
fi
# deploy/local's and deploy's tests run HAProxy (Debian's 2.6), as make
# replicas does.
command -v haproxy >/dev/null || apt_install haproxy
[ "$what" = replicas ] && exit 0

# internal/baseline's tests (and make bench) need PostGIS in the PostgreSQL
# that pgtest picks: the newest one under /usr/lib/postgresql.
pgver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ ! -e "/usr/share/postgresql/$pgver/extension/postgis.control" ]; then
  apt_install "postgresql-$pgver-postgis-3"
fi

# --- web: headless Chromium for the browser tests of web/ (TestBrowser) ---
# Debian's chromium only: the tests never download a browser of their own.
# Without it they skip, except under CI, where they fail.
if ! command -v chromium >/dev/null; then
  apt_install chromium
fi

# --- web: axe-core for the accessibility checks of web/ (TestAccessibility),
# pinned in web/testdata/axe/package-lock.json, from the npm registry.
axe="$(cd "$(dirname "$0")/.." && pwd)/web/testdata/axe"
if [ ! -e "$axe/node_modules/axe-core/axe.min.js" ]; then
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error)
fi
