#!/usr/bin/env bash
# bench/import.sh: whole-program import benchmark.
#
# Builds the coterie binary, generates one synthetic export per size with
# bench/cmd/coterie-gen (reused across invocations), imports each RUNS times
# into a fresh database on each engine, checks every import against the
# generator's counts and prints a Markdown report for docs/benchmarks.md on
# stdout (progress goes to stderr). See bench/README.md.
set -euo pipefail
export LC_ALL=C

usage() {
	cat <<'EOF'
usage: bench/import.sh [-f slack|discord|reddit] [-e sqlite|postgres|both] [-r RUNS]
                       [-s SEED] [-d DIR] [-c] SIZE...

  -f FORMAT  export format to generate and import (default slack)
  -e ENGINE  sqlite, postgres or both (default sqlite)
  -r RUNS    imports per engine and size, each into a fresh database; the
             report gives the median (default 3)
  -s SEED    generator seed (default 1)
  -d DIR     work dir for the exports and the databases
             (default $BENCH_DIR, else /tmp/coterie-bench)
  -c         also delete the exports used, on exit (they are kept and reused
             otherwise)
  SIZE       messages to generate (-messages), e.g. 100000, 100k or 1m

example: bench/import.sh -e both -r 3 100000 1000000
EOF
}

die() {
	echo "bench/import.sh: $*" >&2
	exit 1
}

log() { echo "bench/import.sh: $*" >&2; }

# The exact command line, for the report.
cmdline=$0
[ $# -gt 0 ] && cmdline+=$(printf ' %q' "$@")
[ -n "${BENCH_DIR:-}" ] && cmdline="BENCH_DIR=$(printf '%q' "$BENCH_DIR") $cmdline"

format=slack
engine_opt=sqlite
runs=3
seed=1
workdir=${BENCH_DIR:-/tmp/coterie-bench}
clean=0
while getopts ':f:e:r:s:d:ch' opt; do
	case $opt in
	f) format=$OPTARG ;;
	e) engine_opt=$OPTARG ;;
	r) runs=$OPTARG ;;
	s) seed=$OPTARG ;;
	d) workdir=$OPTARG ;;
	c) clean=1 ;;
	h)
		usage
		exit 0
		;;
	:)
		usage >&2
		die "option -$OPTARG needs a value"
		;;
	*)
		usage >&2
		die "unknown option -$OPTARG"
		;;
	esac
done
shift $((OPTIND - 1))

case $format in
slack | discord | reddit) ;;
*) die "unknown format '$format' (slack, discord or reddit)" ;;
esac
case $engine_opt in
sqlite) engines=(sqlite) ;;
postgres) engines=(postgres) ;;
both) engines=(sqlite postgres) ;;
*) die "unknown engine '$engine_opt' (sqlite, postgres or both)" ;;
esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "-r wants a positive number of runs, not '$runs'"
[[ $seed =~ ^[0-9]+$ ]] || die "-s wants a non-negative integer seed, not '$seed'"
[ $# -gt 0 ] || {
	usage >&2
	die "no SIZE given"
}

# Sizes: integers, optionally with a k or m suffix; sorted and deduplicated
# so that each row can be compared with the previous, smaller size.
parsed=()
for s in "$@"; do
	case $s in
	*[kK]) n=${s%[kK]} mult=1000 ;;
	*[mM]) n=${s%[mM]} mult=1000000 ;;
	*) n=$s mult=1 ;;
	esac
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$((10#$n * mult))" -le 0 ]; then
		die "SIZE must be a positive number of messages (e.g. 100000, 100k, 1m), not '$s'"
	fi
	parsed+=("$((10#$n * mult))")
done
mapfile -t sizes < <(printf '%s\n' "${parsed[@]}" | sort -n -u)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -f "$root/go.mod" ] || [ ! -d "$root/cmd/coterie" ]; then
	die "cannot find the repository root (looked in $root)"
fi

# install_pkg PKG: installs a Debian package when we can (root with apt-get).
install_pkg() {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing the Debian package '$1' with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq "$1" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq "$1" >&2; } ||
			die "apt-get install $1 failed"
	else
		die "'$1' is missing: install the Debian package '$1' (apt-get install $1)"
	fi
}

[ -x /usr/bin/time ] || install_pkg time
/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null || die "/usr/bin/time is not GNU time (it must take -f '%e %M'): install the Debian package 'time'"
command -v jq >/dev/null || install_pkg jq
command -v go >/dev/null || die "go is not on PATH"

# Everything this run creates; removed by cleanup on any exit.
tmp=""
rundir=""
pgdir=""
used_exports=()
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$pgdir" ]; then
		log "stopping PostgreSQL"
		"$root/scripts/postgres" stop "$pgdir"
	fi
	[ -n "$rundir" ] && rm -rf "$rundir"
	[ -n "$tmp" ] && rm -rf "$tmp"
	if [ "$clean" = 1 ] && [ ${#used_exports[@]} -gt 0 ]; then
		log "deleting the exports (-c)"
		for e in "${used_exports[@]}"; do
			rm -rf "$e" "$e.counts.json" "$e.gen"
		done
		rmdir "$workdir/exports" "$workdir" 2>/dev/null
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coterie-bench-bin.XXXXXX")
mkdir -p "$workdir/exports" || die "cannot create the work dir $workdir"
workdir=$(cd "$workdir" && pwd)
rundir=$(mktemp -d "$workdir/run.XXXXXX")
chmod 755 "$rundir" # PostgreSQL runs as another user when we are root

log "building coterie and coterie-gen into $tmp"
(cd "$root" && go build -o "$tmp/coterie" ./cmd/coterie && go build -o "$tmp/coterie-gen" ./bench/cmd/coterie-gen) ||
	die "go build failed"
bin=$tmp/coterie

# A generated export is reused only if the generator's source is unchanged:
# the same seed and size give the same bytes only with the same code.
gen_hash=$(cd "$root" && find bench/gen bench/cmd/coterie-gen -name '*.go' ! -name '*_test.go' | sort |
	xargs cat | sha256sum | cut -c1-16)

declare -A export_of expected_of
for size in "${sizes[@]}"; do
	name=$format-$size-s$seed
	path=$workdir/exports/$name
	[ "$format" = reddit ] && path+=.ndjson
	export_of[$size]=$path
	used_exports+=("$path")
	counts=$path.counts.json
	if [ -e "$path" ] && [ -s "$counts" ] && [ "$(cat "$path.gen" 2>/dev/null)" = "$gen_hash" ] &&
		jq -e '.activities | numbers' "$counts" >/dev/null 2>&1; then
		log "reusing $path"
	else
		log "generating $format, $size messages, seed $seed: $path"
		rm -rf "$path" "$path.partial" "$counts" "$path.gen"
		# Written under a temporary name, so an interrupted run leaves
		# nothing that looks complete.
		"$tmp/coterie-gen" -format "$format" -messages "$size" -seed "$seed" -out "$path.partial" >"$counts.partial" ||
			die "coterie-gen failed for $format $size"
		mv "$path.partial" "$path"
		mv "$counts.partial" "$counts"
		echo "$gen_hash" >"$path.gen"
	fi
	expected_of[$size]=$(jq -er '.activities' "$counts") || die "no activities count in $counts"
done

pg_dsn=""
pg_version=""
for engine in "${engines[@]}"; do
	[ "$engine" = postgres ] || continue
	pgdir=$rundir/pg
	if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$rundir"; then
		die "the postgres user cannot reach $rundir: use a work dir every user can traverse (-d)"
	fi
	log "starting PostgreSQL in $pgdir"
	pg_dsn=$("$root/scripts/postgres" start "$pgdir") || die "scripts/postgres start failed"
	command -v psql >/dev/null || install_pkg postgresql-client
	pg_version=$(psql -X -At -d "$pg_dsn" -c 'SHOW server_version') || die "cannot query PostgreSQL at $pg_dsn"
done

# pg_dsn_for DB: the server's DSN with its database replaced by DB.
pg_dsn_for() {
	local base=${pg_dsn%%\?*} query=""
	[[ $pg_dsn == *\?* ]] && query=?${pg_dsn#*\?}
	echo "${base%/*}/$1$query"
}

psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$pg_dsn" -c "$1" >/dev/null
}

# fail_run ENGINE SIZE RUN MESSAGE: reports a failed import with its output.
fail_run() {
	{
		echo
		echo "bench/import.sh: FAIL: $1, $format, $2 messages, run $3: $4"
		echo "--- coterie stdout:"
		head -c 4000 "$rundir/out.json"
		echo
		echo "--- coterie stderr (last 40 lines):"
		tail -n 40 "$rundir/err.log"
		echo "--- /usr/bin/time:"
		cat "$rundir/time"
	} >&2
	exit 1
}

# median N...: the median of the numbers.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.6f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# group N: N rounded to an integer, with thousands separators.
group() {
	awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'
}

# calc FORMAT EXPR: floating-point arithmetic, printed with FORMAT.
calc() { awk -v f="$1" "BEGIN { printf f, ($2) }"; }

engine_name() { case $1 in sqlite) echo SQLite ;; postgres) echo PostgreSQL ;; esac }

# ---- report header ----
sqlite_mod=$(cd "$root" && go list -m -f '{{.Version}} {{.Dir}}' modernc.org/sqlite 2>/dev/null || true)
sqlite_version=$(grep -hoE 'SQLITE_VERSION *= *"[0-9.]+"' "${sqlite_mod#* }"/lib/sqlite*.go 2>/dev/null | head -n 1 | grep -oE '[0-9.]+' || true)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit+=" (with uncommitted changes)"
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: *//')
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
fs=$(df -PT "$rundir" 2>/dev/null | awk 'NR == 2 { print $2 }')
engine_list=$(for e in "${engines[@]}"; do engine_name "$e"; done | paste -sd, - | sed 's/,/ and /')

echo "### Import: $format, $engine_list"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- Command: \`$cmdline\`"
echo "- Commit: $commit"
echo "- Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, ${mem:-unknown} RAM, Linux $(uname -r)"
echo "- Go: $(go version | sed 's/^go version //')"
for engine in "${engines[@]}"; do
	case $engine in
	sqlite) echo "- SQLite: ${sqlite_version:-?} (modernc.org/sqlite ${sqlite_mod%% *}), database file on ${fs:-?}" ;;
	postgres) echo "- PostgreSQL: $pg_version, local server started by the script (loopback TCP, fsync, synchronous_commit and full_page_writes off), data on ${fs:-?}" ;;
	esac
done
echo "- Data: \`coterie-gen -format $format -seed $seed\`, $runs run(s) per engine and size, each into a fresh database"
echo
echo "| engine | format | messages | activities | median s | messages/s | activities/s | max RSS MiB | runs (s) | vs previous size |"
echo "|---|---|--:|--:|--:|--:|--:|--:|---|---|"

# ---- runs ----
declare -A median_of
for engine in "${engines[@]}"; do
	prev_size=""
	prev_secs=""
	for size in "${sizes[@]}"; do
		expected=${expected_of[$size]}
		secs_list=()
		rss_list=()
		msg_rates=()
		act_rates=()
		for ((i = 1; i <= runs; i++)); do
			case $engine in
			sqlite)
				db=$rundir/sqlite-$size-$i.db
				dsn=$db
				extra=()
				;;
			postgres)
				db=bench_${size}_$i
				psql_admin "CREATE DATABASE $db" || die "cannot create the PostgreSQL database $db"
				dsn=$(pg_dsn_for "$db")
				extra=(--migrate)
				;;
			esac
			log "$engine, $size messages, run $i/$runs"
			status=0
			/usr/bin/time -o "$rundir/time" -f '%e %M' \
				"$bin" --db "$dsn" "${extra[@]}" import "$format" "${export_of[$size]}" --community bench --json \
				>"$rundir/out.json" 2>"$rundir/err.log" || status=$?
			[ "$status" = 0 ] || fail_run "$engine" "$size" "$i" "coterie exited with status $status"
			# GNU time puts "Command exited with non-zero status" first when
			# there is one; the figures are on the last line.
			read -r secs rss < <(tail -n 1 "$rundir/time") || true
			[[ ${secs:-} =~ ^[0-9.]+$ && ${rss:-} =~ ^[0-9]+$ ]] || fail_run "$engine" "$size" "$i" "cannot read wall time and RSS from /usr/bin/time"
			added=$(jq -er '.activities_added | numbers' "$rundir/out.json" 2>/dev/null) ||
				fail_run "$engine" "$size" "$i" "stdout is not the JSON summary with activities_added"
			nerr=$(jq -er '.errors | length' "$rundir/out.json" 2>/dev/null) ||
				fail_run "$engine" "$size" "$i" "the JSON summary has no errors list"
			[ "$nerr" = 0 ] || fail_run "$engine" "$size" "$i" "$nerr file error(s) reported"
			[ "$added" = "$expected" ] ||
				fail_run "$engine" "$size" "$i" "activities_added is $added, the generator expects $expected"
			log "  ${secs} s, $((rss / 1024)) MiB, $added activities"
			case $engine in
			sqlite) rm -f "$db" "$db"-wal "$db"-shm "$db".*.bak ;;
			postgres) psql_admin "DROP DATABASE $db" || die "cannot drop the PostgreSQL database $db" ;;
			esac
			# %e has 1/100 s resolution: keep rates finite for tiny sizes.
			t=$secs
			[ "$(calc %d "$secs > 0")" = 1 ] || t=0.01
			secs_list+=("$secs")
			rss_list+=("$rss")
			msg_rates+=("$(calc %.6f "$size / $t")")
			act_rates+=("$(calc %.6f "$expected / $t")")
		done
		med=$(median "${secs_list[@]}")
		median_of[$engine,$size]=$med
		max_rss=$(printf '%s\n' "${rss_list[@]}" | sort -n | tail -n 1)
		growth=""
		if [ -n "$prev_size" ]; then
			if [ "$(calc %d "$prev_secs > 0")" = 1 ]; then
				growth="$(calc %g "$size / $prev_size")x size -> $(calc %.1f "$med / $prev_secs")x time"
			else
				growth="n/a (previous time 0)"
			fi
		fi
		printf '| %s | %s | %s | %s | %.2f | %s | %s | %.1f | %s | %s |\n' \
			"$(engine_name "$engine")" "$format" "$(group "$size")" "$(group "$expected")" "$med" \
			"$(group "$(median "${msg_rates[@]}")")" "$(group "$(median "${act_rates[@]}")")" \
			"$(calc %.1f "$max_rss / 1024")" "$(printf '%s, ' "${secs_list[@]}" | sed 's/, $//')" "$growth"
		prev_size=$size
		prev_secs=$med
	done
done

# ---- notes ----
echo
if [ ${#engines[@]} -eq 2 ]; then
	ratios=()
	for size in "${sizes[@]}"; do
		s=${median_of[sqlite,$size]} p=${median_of[postgres,$size]}
		if [ "$(calc %d "$s > 0")" = 1 ]; then
			ratios+=("$(group "$size") messages $(calc %.2f "$p / $s")x")
		fi
	done
	[ ${#ratios[@]} -gt 0 ] && echo "PostgreSQL time relative to SQLite (median): $(printf '%s, ' "${ratios[@]}" | sed 's/, $//')." && echo
fi
echo "Time is the wall time of the whole \`coterie import ... --json\` command (GNU time \`%e\`, 1/100 s):"
echo "process start, opening and migrating the fresh database, parsing and writing. Rates are the"
echo "median of the per-run rates. Peak RSS (GNU time \`%M\`) is the coterie process's, the maximum"
echo "over the runs; on PostgreSQL the server's own memory is separate and not counted."
