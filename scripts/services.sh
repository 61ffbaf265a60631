#!/usr/bin/env bash
# services.sh: PostgreSQL 15 and MinIO for development and tests.
#
#   scripts/services.sh up       start (or find) both services and wait until they answer
#   scripts/services.sh down     stop what `up` started, nothing else; data is kept
#   scripts/services.sh status   say what answers and who started it (exit 1 if one is down)
#   scripts/services.sh env      print the export lines tests need (also in .services/env)
#
# Mode (RGRID_SERVICES=auto|docker|native, default auto): with a working Docker engine,
# infra/docker-compose.yml; otherwise native processes. Native mode uses the PostgreSQL that
# answers at DATABASE_URL (default 127.0.0.1:5432) or starts a cluster from the installed
# binaries under .services/postgres; it builds MinIO once per machine with `go install` at a
# pinned version (cached in $RGRID_CACHE_DIR) and runs it on loopback with data under
# .services/minio. See docs/development.md.
#
# Settings: DATABASE_URL, MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY,
# RGRID_SERVICES, RGRID_SERVICES_TIMEOUT (seconds, default 60), RGRID_PG_BIN,
# RGRID_MINIO_CONSOLE_PORT (default MinIO port + 1), RGRID_CACHE_DIR.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT="${RGRID_SERVICES_TIMEOUT:-60}"
COMPOSE_FILE="$ROOT/infra/docker-compose.yml"
COMPOSE_PROJECT="rgrid"

PG_DIR="$SERVICES_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_MARK="$PG_DIR/started-by-services-sh"

MINIO_DIR="$SERVICES_DIR/minio"
MINIO_PID="$MINIO_DIR/minio.pid"
MINIO_LOG="$MINIO_DIR/minio.log"

DEFAULT_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
DB_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
MINIO_EP="${MINIO_ENDPOINT:-127.0.0.1:9000}"
MINIO_AK="${MINIO_ACCESS_KEY:-minioadmin}"
MINIO_SK="${MINIO_SECRET_KEY:-minioadmin}"

# ---------------------------------------------------------------------------------------------
# helpers

# parse_db_url sets PG_HOST and PG_PORT from DB_URL (postgres://user:pw@host:port/db?...).
parse_db_url() {
	local rest="${DB_URL#*://}"
	if [[ "$rest" == "$DB_URL" ]]; then
		die "DATABASE_URL must be a URL like postgres://postgres:postgres@127.0.0.1:5432/rgrid?sslmode=disable"
	fi
	rest="${rest%%[/?]*}"   # drop /db and ?query
	rest="${rest##*@}"      # drop user:password@
	if [[ "$rest" =~ ^\[(.*)\](:([0-9]+))?$ ]]; then
		PG_HOST="${BASH_REMATCH[1]}" PG_PORT="${BASH_REMATCH[3]:-5432}"
	elif [[ "$rest" =~ ^([^:]*)(:([0-9]+))?$ ]]; then
		PG_HOST="${BASH_REMATCH[1]:-127.0.0.1}" PG_PORT="${BASH_REMATCH[3]:-5432}"
	else
		die "cannot read host:port from DATABASE_URL"
	fi
}

# redacted_db_url prints DB_URL with any password replaced by xxxxx.
redacted_db_url() { sed -E 's#(://[^:/@]+):[^@/]*@#\1:xxxxx@#' <<<"$DB_URL"; }

# admin_db_url prints DB_URL with its database replaced by the maintenance database postgres.
admin_db_url() {
	local scheme_host="${DB_URL%%\?*}" query=""
	[[ "$DB_URL" == *\?* ]] && query="?${DB_URL#*\?}"
	local after="${scheme_host#*://}"
	local authority="${after%%/*}"
	printf '%s://%s/postgres%s\n' "${scheme_host%%://*}" "$authority" "$query"
}

is_loopback() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

# pg_bin_dir prints the folder holding initdb and pg_ctl.
pg_bin_dir() {
	if [[ -n "${RGRID_PG_BIN:-}" ]]; then
		printf '%s\n' "$RGRID_PG_BIN"
		return
	fi
	local d
	d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)"
	if [[ -n "$d" && -x "$d/initdb" ]]; then
		printf '%s\n' "$d"
		return
	fi
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return
	fi
	return 1
}

# pg_answers is true when a PostgreSQL server accepts connections at PG_HOST:PG_PORT.
pg_answers() {
	local isready
	isready="$(command -v pg_isready || true)"
	[[ -z "$isready" ]] && isready="$(pg_bin_dir 2>/dev/null)/pg_isready"
	[[ -x "$isready" ]] || die "pg_isready not found: install the PostgreSQL client (apt-get install postgresql-client) or set RGRID_PG_BIN"
	"$isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -t 3 >/dev/null 2>&1
}

# minio_url prints the base URL of MinIO.
minio_url() {
	if [[ "${MINIO_USE_SSL:-false}" == "true" ]]; then printf 'https://%s\n' "$MINIO_EP"; else printf 'http://%s\n' "$MINIO_EP"; fi
}

# minio_answers is true when MinIO's liveness endpoint answers 200.
minio_answers() { curl -fsS -o /dev/null --max-time 3 "$(minio_url)/minio/health/live" 2>/dev/null; }

# alive PIDFILE WORD is true when the pid in PIDFILE runs a command line containing WORD
# (so a recycled pid is never mistaken for ours).
alive() {
	local pidfile="$1" word="$2" pid
	[[ -f "$pidfile" ]] || return 1
	pid="$(cat "$pidfile" 2>/dev/null || true)"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"
}

# wait_for NAME LOG CHECK...: runs CHECK until it succeeds or TIMEOUT seconds pass; on timeout
# says which service failed, why, and shows the end of its log.
wait_for() {
	local name="$1" log="$2"
	shift 2
	local deadline=$((SECONDS + TIMEOUT))
	until "$@"; do
		if ((SECONDS >= deadline)); then
			printf '\n' >&2
			if [[ -n "$log" && -f "$log" ]]; then
				warn "last lines of $log:"
				tail -n 15 "$log" | sed 's/^/    /' >&2
			fi
			die "$name did not answer within ${TIMEOUT}s (check: $*)"
		fi
		sleep 1
	done
}

# as_pg_user runs a command as the postgres OS user when we are root (PostgreSQL refuses to
# run as root), else as ourselves.
as_pg_user() {
	if [[ "$(id -u)" == "0" ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# docker_usable is true when a Docker engine answers and compose is available.
docker_usable() {
	command -v docker >/dev/null 2>&1 || return 1
	timeout 10 docker info >/dev/null 2>&1 || return 1
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1
}

# mode prints docker or native.
mode() {
	case "${RGRID_SERVICES:-auto}" in
	docker)
		docker_usable || die "RGRID_SERVICES=docker but no Docker engine with compose answers (docker info failed)"
		echo docker
		;;
	native) echo native ;;
	auto) if docker_usable; then echo docker; else echo native; fi ;;
	*) die "RGRID_SERVICES must be auto, docker or native (got '${RGRID_SERVICES}')" ;;
	esac
}

# sq prints its argument single-quoted for the shell.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# write_env writes .services/env: the settings tests and the API server read.
write_env() {
	mkdir -p "$SERVICES_DIR"
	local tmp="$SERVICES_DIR/env.tmp"
	{
		echo "# Written by scripts/services.sh up; source it to reach the services."
		echo "export RGRID_TEST_DATABASE_URL=$(sq "$(admin_db_url)")"
		echo "export DATABASE_URL=$(sq "$DB_URL")"
		echo "export MINIO_ENDPOINT=$(sq "$MINIO_EP")"
		echo "export MINIO_ACCESS_KEY=$(sq "$MINIO_AK")"
		echo "export MINIO_SECRET_KEY=$(sq "$MINIO_SK")"
		echo "export MINIO_USE_SSL=$(sq "${MINIO_USE_SSL:-false}")"
		# Server binaries for tests that run private instances (tests/internal/harness).
		local pgbin minio_bin="${RGRID_MINIO_BIN:-$RGRID_CACHE_DIR/minio-$MINIO_VERSION/minio}"
		if pgbin="$(pg_bin_dir 2>/dev/null)"; then echo "export RGRID_PG_BIN=$(sq "$pgbin")"; fi
		if [[ -x "$minio_bin" ]]; then echo "export RGRID_MINIO_BIN=$(sq "$minio_bin")"; fi
	} >"$tmp"
	mv -f "$tmp" "$SERVICES_DIR/env"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (native)

pg_up() {
	parse_db_url
	if pg_answers; then
		if [[ -f "$PG_MARK" ]] && pg_ctl_status; then
			ok "PostgreSQL answers at $PG_HOST:$PG_PORT (local cluster in .services/postgres)"
		else
			ok "PostgreSQL answers at $PG_HOST:$PG_PORT (already running; not managed by this script)"
		fi
		return
	fi
	if ! is_loopback "$PG_HOST"; then
		die "PostgreSQL at $(redacted_db_url) does not answer, and it is not on this machine, so this script cannot start it: check DATABASE_URL or the server"
	fi
	local bin
	bin="$(pg_bin_dir)" || die "PostgreSQL does not answer at $PG_HOST:$PG_PORT and no server binaries were found to start one: install PostgreSQL 15 (apt-get install postgresql-15) or set RGRID_PG_BIN to the folder holding initdb and pg_ctl"

	mkdir -p "$PG_DIR"
	if [[ "$(id -u)" == "0" ]]; then
		id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' user to run PostgreSQL as"
		chown postgres: "$PG_DIR"
		if ! runuser -u postgres -- test -w "$PG_DIR"; then
			die "the postgres user cannot write $PG_DIR (a parent folder is not reachable for it): clone the repository somewhere other users can enter, e.g. not under /root"
		fi
	fi
	if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
		say "creating a PostgreSQL cluster in .services/postgres ($bin)"
		rm -rf "$PG_DATA"
		as_pg_user "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
			{ tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed (log: $PG_DIR/initdb.log)"; }
	fi
	say "starting PostgreSQL on $PG_HOST:$PG_PORT"
	touch "$PG_LOG"
	if [[ "$(id -u)" == "0" ]]; then chown postgres: "$PG_LOG"; fi
	# Test data only: durability is traded for speed.
	if ! as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" start \
		-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=$PG_HOST -c fsync=off -c synchronous_commit=off" >/dev/null 9>&-; then
		warn "last lines of $PG_LOG:"
		tail -n 15 "$PG_LOG" | sed 's/^/    /' >&2
		die "PostgreSQL failed to start on $PG_HOST:$PG_PORT (is the port taken by another program?)"
	fi
	echo "$PG_PORT" >"$PG_MARK"
	wait_for "PostgreSQL at $PG_HOST:$PG_PORT" "$PG_LOG" pg_answers
	ok "PostgreSQL answers at $PG_HOST:$PG_PORT (local cluster in .services/postgres)"
}

# pg_ctl_status is true when the cluster under .services/postgres runs.
pg_ctl_status() {
	local bin
	[[ -f "$PG_DATA/PG_VERSION" ]] || return 1
	bin="$(pg_bin_dir 2>/dev/null)" || return 1
	as_pg_user "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_down() {
	if [[ -f "$PG_MARK" ]] && pg_ctl_status; then
		say "stopping the PostgreSQL cluster in .services/postgres"
		as_pg_user "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" -m fast -w -t "$TIMEOUT" stop >/dev/null
		ok "PostgreSQL stopped"
	else
		ok "PostgreSQL: nothing to stop (not started by this script)"
	fi
	rm -f "$PG_MARK"
}

# ---------------------------------------------------------------------------------------------
# MinIO (native)

minio_up() {
	local host="${MINIO_EP%:*}" port="${MINIO_EP##*:}"
	if minio_answers; then
		if alive "$MINIO_PID" minio; then
			ok "MinIO answers at $(minio_url) (pid $(cat "$MINIO_PID"), data in .services/minio)"
		else
			ok "MinIO answers at $(minio_url) (already running; not managed by this script)"
		fi
		return
	fi
	is_loopback "$host" || die "MinIO at $(minio_url) does not answer, and it is not on this machine, so this script cannot start it: check MINIO_ENDPOINT"
	[[ "$port" =~ ^[0-9]+$ ]] || die "MINIO_ENDPOINT must be host:port (got '$MINIO_EP')"
	mkdir -p "$MINIO_DIR/data"
	if alive "$MINIO_PID" minio; then
		say "MinIO (pid $(cat "$MINIO_PID")) runs but does not answer yet; waiting"
	else
		local bin console_port="${RGRID_MINIO_CONSOLE_PORT:-$((port + 1))}"
		bin="$(go_install_cached github.com/minio/minio "$MINIO_VERSION" minio)"
		say "starting MinIO on $host:$port (console $host:$console_port)"
		{
			echo
			echo "=== $(date -u +%FT%TZ) started by scripts/services.sh"
		} >>"$MINIO_LOG"
		MINIO_ROOT_USER="$MINIO_AK" MINIO_ROOT_PASSWORD="$MINIO_SK" MINIO_UPDATE=off \
			setsid "$bin" server --quiet --address "$host:$port" --console-address "$host:$console_port" \
			"$MINIO_DIR/data" >>"$MINIO_LOG" 2>&1 </dev/null 9>&- &
		echo $! >"$MINIO_PID"
	fi
	wait_for "MinIO at $(minio_url)" "$MINIO_LOG" minio_up_check
	ok "MinIO answers at $(minio_url) (pid $(cat "$MINIO_PID"), data in .services/minio)"
}

# minio_up_check fails fast when the MinIO we started has exited.
minio_up_check() {
	if minio_answers; then return 0; fi
	if ! alive "$MINIO_PID" minio; then
		warn "last lines of $MINIO_LOG:"
		tail -n 15 "$MINIO_LOG" | sed 's/^/    /' >&2
		die "MinIO exited right after start (is $MINIO_EP taken by another program?)"
	fi
	return 1
}

minio_down() {
	if alive "$MINIO_PID" minio; then
		local pid
		pid="$(cat "$MINIO_PID")"
		say "stopping MinIO (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		local i
		for ((i = 0; i < 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
		ok "MinIO stopped"
	else
		ok "MinIO: nothing to stop (not started by this script)"
	fi
	rm -f "$MINIO_PID"
}

# ---------------------------------------------------------------------------------------------
# Docker Compose

compose() {
	if docker compose version >/dev/null 2>&1; then
		docker compose -p "$COMPOSE_PROJECT" -f "$COMPOSE_FILE" "$@"
	else
		docker-compose -p "$COMPOSE_PROJECT" -f "$COMPOSE_FILE" "$@"
	fi
}

docker_up() {
	parse_db_url
	say "starting PostgreSQL and MinIO with Docker Compose ($COMPOSE_FILE)"
	RGRID_PG_PORT="$PG_PORT" RGRID_MINIO_PORT="${MINIO_EP##*:}" compose up -d --wait --wait-timeout "$TIMEOUT" ||
		{
			compose ps >&2 || true
			compose logs --tail 25 >&2 || true
			die "Docker Compose services did not become healthy within ${TIMEOUT}s (see the logs above)"
		}
	echo docker >"$SERVICES_DIR/mode"
	wait_for "MinIO at $(minio_url)" "" minio_answers
	ok "PostgreSQL at $PG_HOST:$PG_PORT and MinIO at $(minio_url) run in Docker (project $COMPOSE_PROJECT)"
}

docker_down() {
	say "stopping the Docker Compose services (volumes are kept)"
	compose down
	rm -f "$SERVICES_DIR/mode"
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_up() {
	mkdir -p "$SERVICES_DIR"
	local m
	m="$(mode)" # a plain assignment, so a failure inside mode() stops the script
	case "$m" in
	docker) docker_up ;;
	native)
		echo native >"$SERVICES_DIR/mode"
		pg_up
		minio_up
		;;
	esac
	write_env
}

cmd_down() {
	if [[ "$(cat "$SERVICES_DIR/mode" 2>/dev/null || true)" == "docker" ]]; then
		docker_usable || die "services were started with Docker, but no Docker engine answers now"
		docker_down
	fi
	# Native processes are stopped whatever the mode, in case the mode changed since `up`.
	minio_down
	pg_down
}

cmd_status() {
	parse_db_url
	local rc=0 how
	how="$(cat "$SERVICES_DIR/mode" 2>/dev/null || echo "not started by this script")"
	echo "mode: $how"
	if pg_answers; then
		if [[ -f "$PG_MARK" ]] && pg_ctl_status; then how="local cluster in .services/postgres"; else how="not managed by this script"; fi
		echo "PostgreSQL  up    $PG_HOST:$PG_PORT ($how)"
	else
		echo "PostgreSQL  DOWN  $PG_HOST:$PG_PORT"
		rc=1
	fi
	if minio_answers; then
		if alive "$MINIO_PID" minio; then how="pid $(cat "$MINIO_PID")"; else how="not managed by this script"; fi
		echo "MinIO       up    $(minio_url) ($how)"
	else
		echo "MinIO       DOWN  $(minio_url)"
		rc=1
	fi
	return "$rc"
}

# with_lock runs its arguments holding .services/lock, so concurrent `up`/`down` calls queue.
# Daemons are started with fd 9 closed so they never inherit the lock.
with_lock() {
	mkdir -p "$SERVICES_DIR"
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$SERVICES_DIR/lock"
		flock 9
	fi
	"$@"
}

case "${1:-}" in
up) with_lock cmd_up ;;
down) with_lock cmd_down ;;
status) cmd_status ;;
env)
	write_env
	cat "$SERVICES_DIR/env"
	;;
*)
	echo "usage: $0 up|down|status|env" >&2
	exit 2
	;;
esac
