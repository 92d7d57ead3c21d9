#!/bin/sh
# Installs the peers that `bun run bench` measures lazarus against:
#   runit (runsv, runsvdir, sv), s6 (s6-supervise, s6-svscan, s6-svc), supervisor
#   (supervisord) from Debian's packages, and PM2 from the npm registry into a
#   bench-local prefix (bench/.peers/, gitignored; never the project's dependencies).
# Needs root for apt-get. Starts no daemon: Debian's policy-rc.d (exit 101) keeps the
# packages' init scripts from starting supervisord; we check that none was left running.
# Idempotent: run it again to check what is installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="$here/.peers"

say() { echo "peers: $*" >&2; }

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    need=
    command -v runsv >/dev/null 2>&1 || need="$need runit"
    command -v s6-supervise >/dev/null 2>&1 || need="$need s6"
    command -v supervisord >/dev/null 2>&1 || need="$need supervisor"
    if [ -n "$need" ]; then
      say "apt-get install$need"
      apt-get update -qq >&2 || say "apt-get update failed; trying the install anyway"
      # --no-install-recommends: runit recommends runit-init/runit-run, which would replace init.
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2 ||
        say "apt-get install$need failed; the bench will skip what is missing"
    fi
  else
    say "not root: skipping apt-get (install runit, s6 and supervisor by hand)"
  fi
fi

if command -v npm >/dev/null 2>&1; then
  if [ ! -x "$prefix/node_modules/.bin/pm2" ]; then
    say "npm install pm2 into $prefix"
    mkdir -p "$prefix"
    [ -f "$prefix/package.json" ] || echo '{ "name": "lazarus-bench-peers", "private": true }' >"$prefix/package.json"
    (cd "$prefix" && npm install --no-audit --no-fund --loglevel=error pm2@7 >&2) || say "npm install pm2 failed; the bench will skip PM2"
  fi
else
  say "npm not found: skipping PM2"
fi

# A package's postinst must not leave a system-wide daemon behind (we measure our own).
for d in supervisord runsvdir s6-svscan; do
  pids=$(pgrep -x "$d" || true)
  [ -z "$pids" ] || say "warning: a $d is running (pids $pids), not started by the bench; measurements may be disturbed"
done

for c in runsv runsvdir s6-supervise s6-svscan supervisord; do
  if command -v "$c" >/dev/null 2>&1; then say "ok: $c ($(command -v "$c"))"; else say "missing: $c"; fi
done
# (Not `pm2 --version`: any pm2 command starts its daemon, in ~/.pm2.)
if [ -x "$prefix/node_modules/.bin/pm2" ]; then
  say "ok: pm2 $(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$prefix/node_modules/pm2/package.json")"
else
  say "missing: pm2"
fi
