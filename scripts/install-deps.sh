#!/usr/bin/env bash
# Installs, only when missing, every OS dependency of lokdarpan-db:
#   PostgreSQL server (15 where the distribution has it, else its default major), contrib,
#   server headers, pgTAP + pg_prove, Debian's sqitch, the RUM index, PostGIS 3, pg_cron, pg_partman, pgBackRest (PITR), PgBouncer (the pooler tests),
#   and pgvector 0.8.x
#   (Debian's binary package when one exists for the server major, else built from Debian's
#   source package without touching the machine's apt sources).
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

log() { printf 'deps: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        log "not root and no sudo: install the packages listed in scripts/install-deps.sh by hand"; exit 2
    fi
fi

# Which server major? An installed server wins; else 15 if apt knows it; else the distro default.
pick_major() {
    if [ -n "${LOKDARPAN_PG_MAJOR:-}" ]; then echo "$LOKDARPAN_PG_MAJOR"; return; fi
    local installed
    installed=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)
    if [ -n "$installed" ] && [ -x "/usr/lib/postgresql/$installed/bin/postgres" ]; then echo "$installed"; return; fi
    if apt-cache show postgresql-15 >/dev/null 2>&1; then echo 15; return; fi
    apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

APT_UPDATED=0
apt_install() {
    local missing=()
    for p in "$@"; do have_pkg "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ $APT_UPDATED -eq 0 ] && ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
        log "apt-get update"; $SUDO apt-get update -qq; APT_UPDATED=1
    fi
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

MAJOR=$(pick_major)
[ -n "$MAJOR" ] || { log "cannot find a PostgreSQL server package in apt"; exit 1; }
PG_CONFIG="/usr/lib/postgresql/$MAJOR/bin/pg_config"
EXTDIR="/usr/share/postgresql/$MAJOR/extension"

apt_install "postgresql-$MAJOR" "postgresql-client-$MAJOR" "postgresql-server-dev-$MAJOR" \
    "postgresql-$MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl sqitch \
    "postgresql-$MAJOR-rum" "postgresql-$MAJOR-postgis-3" "postgresql-$MAJOR-cron" "postgresql-$MAJOR-partman" pgbackrest pgbouncer make gcc libc6-dev
# python3 -m venv needs Debian's python3-venv unless python3 comes from elsewhere (pyenv, …)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
# postgresql-contrib is a virtual package on newer Debian (contrib ships inside the server package)
[ -f "$EXTDIR/pg_trgm.control" ] || apt_install postgresql-contrib

vector_version() {
    sed -n "s/^default_version = '\(.*\)'/\1/p" "$EXTDIR/vector.control" 2>/dev/null || true
}
case "$(vector_version)" in
    0.8.*) ;;
    *)
        if apt-cache show "postgresql-$MAJOR-pgvector" 2>/dev/null | grep -q '^Version: 0\.8\.'; then
            apt_install "postgresql-$MAJOR-pgvector"
        else
            work=$(mktemp -d)
            trap 'rm -rf "$work"' EXIT
            mkdir -p "$work/lists/partial" "$work/src"
            # A private sources list: the machine's own apt configuration is never changed.
            echo "deb-src http://deb.debian.org/debian trixie main" > "$work/sources.list"
            aptopts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                     -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
            log "fetching pgvector source from Debian trixie"
            $SUDO apt-get -qq "${aptopts[@]}" update >/dev/null
            (cd "$work/src" && $SUDO apt-get -qq "${aptopts[@]}" source --download-only pgvector >/dev/null)
            tarball=$(ls "$work"/src/pgvector_0.8.*.orig.tar.* | head -n 1)
            [ -n "$tarball" ] || { log "Debian's pgvector source is not 0.8.x"; exit 1; }
            $SUDO tar -C "$work/src" -xf "$tarball"
            srcdir=$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-0.8*' | head -n 1)
            log "building $(basename "$srcdir") against PostgreSQL $MAJOR"
            # OPTFLAGS="" avoids -march=native so the build runs on any x86-64 machine.
            $SUDO make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null 2>&1
            $SUDO make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" install >/dev/null
        fi
        ;;
esac
case "$(vector_version)" in
    0.8.*) ;;
    *) log "pgvector 0.8.x is still missing after install"; exit 1 ;;
esac
log "ok: PostgreSQL $MAJOR, pgvector $(vector_version), PostGIS, pg_cron, pg_partman, pgBackRest, pgTAP, RUM, sqitch"
