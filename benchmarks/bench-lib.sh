# Shell pieces shared by benchmarks/bench and benchmarks/gc-compare; sourced, not run.
# The caller sets: java, jar, tmp (scratch dir), PORT, ADMIN, first_warm (s of warm-up per route),
# JAVA_OPTS (server JVM flags). start_edge writes $tmp/gc-<tag>.log and $tmp/edge-<tag>.log, where
# the tag is $edge_tag when set, else the ack mode.

TCK=$(getconf CLK_TCK)
# The server's JVM options in every benchmark unless JAVA_OPTS says otherwise: a fixed, pre-touched
# 512 MiB heap, steadier to measure than the package's growing one (packaging/jvm-options).
BENCH_JAVA_OPTS="-Xms512m -Xmx512m -XX:+UseParallelGC -XX:+AlwaysPreTouch -XX:MetaspaceSize=128m"
# require_built NAME FILE...: stops NAME with a hint when a jar it runs is not built.
require_built() { local me=$1 f; shift; for f in "$@"; do [ -f "$f" ] || { echo "$me: $f not found; run make build" >&2; exit 1; }; done; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# A scratch database on $PGH:$PGP, in the locale BENCH_DB_LOCALE names (which the server must know)
# when it is set, as the Java benchmarks' BenchDatabase does; else in the server's default.
create_db() {
  [[ ${BENCH_DB_LOCALE:-} =~ ^[A-Za-z0-9_.@-]*$ ]] || { echo "BENCH_DB_LOCALE: not a locale name: $BENCH_DB_LOCALE" >&2; return 2; }
  psql -h $PGH -p $PGP -U postgres -qc "CREATE DATABASE $1${BENCH_DB_LOCALE:+ TEMPLATE template0 LOCALE '$BENCH_DB_LOCALE'}" postgres
}
# The collation new databases get: BENCH_DB_LOCALE, else the server's (template1's).
db_locale() { echo "${BENCH_DB_LOCALE:-$(psql -w -h $PGH -p $PGP -U postgres -Atc "SELECT datcollate FROM pg_database WHERE datname = 'template1'" postgres 2>/dev/null || echo unknown)}"; }
# The commit a result file names: short hash, +dirty when tracked files differ from it (untracked results do not count).
commit_id() { echo "$(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)"; }
# utime+stime in ticks, summed over the given pids
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
# utime+stime ticks of one /proc/<pid>/task/<tid>/stat file: the fields after the name in brackets,
# since a thread's name may hold spaces ("C2 CompilerThre", "VM Periodic Tas") and shift the rest.
thread_stat_ticks() { sed 's/^.*) //' "$1" 2>/dev/null | awk '{print $12+$13}' || echo 0; }
rss_kb() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/^VmRSS/{print $2}' /proc/$p/status))); done; echo $t; }
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{a[NR]=$1} END{if(NR==0){print "null"} else if(NR%2){print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1==m{print $2; f=1} END{if(!f) print 0}'; }

# A signing key (exported as EDGE_SIGNING_KEYS) and 1,000 signed pixel and click paths in
# $tmp/open.paths and $tmp/click.paths, plus $tmp/paths.lua, a wrk script that cycles through BENCH_PATHS.
# BENCH_MIX says whose emails they are, which sets how many daily_analytics keys (tenant, user,
# campaign, mailbox, day) a sink batch touches:
#   emails (the default, every bench figure before 2026-12-02): each email its own tenant and user, so
#     1,000 keys: a batch (about 1,350 events at 10,000/s) upserts about 1,000 daily rows;
#   sender: 4 tenants, one user each, each with 5 campaigns sending from 10 mailboxes: 200 keys.
make_signed_paths() {
  local key npaths=1000 i t
  key=$("$java" -jar $jar token new-key --id 7 2>/dev/null | tail -1)
  export EDGE_SIGNING_KEYS=$key EDGE_PROFILE=development
  case ${BENCH_MIX:-emails} in
    emails)
      {
        echo tenant,user,campaign,mailbox,email
        for i in $(seq $npaths); do
          echo "$(cat /proc/sys/kernel/random/uuid),$(cat /proc/sys/kernel/random/uuid),camp-$((i % 17)),mb-$((i % 5)),email-$i"
        done
      } > $tmp/ids.csv ;;
    sender)
      local tenants=() users=()
      for t in 0 1 2 3; do tenants+=("$(cat /proc/sys/kernel/random/uuid)"); users+=("$(cat /proc/sys/kernel/random/uuid)"); done
      {
        echo tenant,user,campaign,mailbox,email
        for i in $(seq $npaths); do
          t=$((i % 4))   # campaign and mailbox from i / 4, so each tenant gets all 5 x 10 pairs
          echo "${tenants[$t]},${users[$t]},camp-$t-$((i / 4 % 5)),mb-$t-$((i / 20 % 10)),email-$i"
        done
      } > $tmp/ids.csv ;;
    *) echo "bench: BENCH_MIX is emails or sender (got '$BENCH_MIX')" >&2; exit 2 ;;
  esac
  EDGE_DATA_DIR=$tmp/keys "$java" -jar $jar token open --csv $tmp/ids.csv 2>/dev/null | sed -E 's#^https?://[^/]+##' > $tmp/open.paths
  { echo tenant,user,campaign,mailbox,email,url; tail -n +2 $tmp/ids.csv | sed 's#$#,https://example.com/landing#'; } > $tmp/clicks.csv
  EDGE_DATA_DIR=$tmp/keys "$java" -jar $jar token click --csv $tmp/clicks.csv 2>/dev/null | sed -E 's#^https?://[^/]+##' > $tmp/click.paths
  [ "$(wc -l < $tmp/open.paths)" = $npaths ] && [ "$(wc -l < $tmp/click.paths)" = $npaths ] || { echo "bench: signing failed" >&2; exit 1; }
  # Clients for the end-to-end generator: classify's labelled corpus, its GET pixel opens (HEAD ones are
  # flagged at the edge, free): address and User-Agent, one a line (people, mail proxies, Apple's
  # prefetch from relay ranges, crawlers and libraries).
  jq -r '.events[] | select(.type == "open" and (.head | not)) | [(.ip // ""), (.ua // "")] | @tsv' \
    classify/src/test/resources/corpus/cases.jsonl > $tmp/clients.tsv
  cat > $tmp/paths.lua <<'LUA'
-- cycles through a file of signed request paths, each thread from its own offset
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
local n = 0
function setup(thread) n = n + 1; thread:set("start", n * 997) end
function init(args) i = (start or 0) % #paths end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
}

# Once after a server starts: pixels then clicks for $first_warm s each, so the JIT has compiled the
# request path before anything is measured (a server runs for days; its first seconds are not its speed).
warm_server() {
  local port=$1
  BENCH_PATHS=$tmp/open.paths wrk -t2 -c64 -d${first_warm}s -s $tmp/paths.lua "http://127.0.0.1:$port/" > /dev/null 2>&1 || true
  BENCH_PATHS=$tmp/click.paths wrk -t2 -c64 -d${first_warm}s -s $tmp/paths.lua "http://127.0.0.1:$port/" > /dev/null 2>&1 || true
}

# Starts our server (fresh data dir) and waits until it is ready, then warms it unless the sink is on.
# GC log: every pause line of any collector (Parallel and G1 log theirs under gc, ZGC under gc+phases);
# safepoint log: every stop-the-world operation with its time to safepoint, whatever the collector.
start_edge() { # ack sink(true|false) [extra env...]
  local ack=$1 sink=$2 tag=${edge_tag:-$1}; shift 2
  # Another process on our ports (another bench on a shared machine) would answer the readiness check
  # for an edge that failed to bind, and be measured in its place.
  if curl -s -o /dev/null "http://127.0.0.1:$ADMIN/" || curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "bench: port $PORT or $ADMIN is in use by another process; set BENCH_PORT / BENCH_ADMIN_PORT" >&2; exit 1
  fi
  rm -rf $tmp/data; mkdir -p $tmp/data
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  env "$@" EDGE_PORT=$PORT EDGE_ADMIN_PORT=$ADMIN EDGE_ACK=$ack EDGE_DATA_DIR=$tmp/data EDGE_POSTGRES_SINK=$sink \
    EDGE_BIND=127.0.0.1 "$java" $JAVA_OPTS -Xlog:gc,gc+phases=info:file=$tmp/gc-$tag.log \
    -Xlog:safepoint=info:file=$tmp/safepoint-$tag.log -jar $jar serve > $tmp/edge-$tag.log 2>&1 &
  edge_pid=$!
  # a fresh database is migrated first; on a machine loaded several times over that takes more than 30 s
  for _ in $(seq $(( ${BENCH_READY_TIMEOUT:-120} * 5 ))); do
    curl -sf -o /dev/null "http://127.0.0.1:$ADMIN/readyz" && { [ "$sink" = true ] || warm_server $PORT; return 0; }
    kill -0 $edge_pid 2>/dev/null || break
    sleep 0.2
  done
  echo "bench: edge did not become ready; see $tmp/edge-$tag.log" >&2; tail -20 $tmp/edge-$tag.log >&2; exit 1
}
stop_edge() { kill -TERM $edge_pid; wait $edge_pid 2>/dev/null || true; edge_pid=""; }

# GC pauses from a GC log on stdin or in $1 ("-" for stdin): count, p99 and max in ms of the lines
# matching $2 (e.g. "Pause Young", or "Pause" for every stop-the-world phase of any collector)
gc_pauses() {
  { if [ "$1" = - ]; then grep -E "$2"; else grep -E "$2" "$1"; fi || true; } | grep -oE '[0-9.]+ms$' | tr -d ms | sort -g |
    awk '{a[NR]=$1} END{if(NR==0){print "0 null null"} else {i=int(NR*0.99+0.999); if(i>NR)i=NR; printf "%d %s %s\n", NR, a[i], a[NR]}}'
}

# Safepoints from a -Xlog:safepoint file on stdin: count, p99 and max in ms of "Total" (time to reach
# the safepoint plus time at it: what a request thread is stopped for), and their sum in ms
safepoints() {
  { grep -oE 'Total: [0-9]+ ns' || true; } | awk '{print $2/1e6}' | sort -g |
    awk '{a[NR]=$1; s+=$1} END{if(NR==0){print "0 null null 0"} else {i=int(NR*0.99+0.999); if(i>NR)i=NR; printf "%d %.3f %.3f %.1f\n", NR, a[i], a[NR], s}}'
}

# PostgreSQL's CPU (the caller sets PGH, PGP): needs the server local and /proc readable (root or
# the postgres user); else it reads 0.
pg_master=""
# pg_snap db: "pid ticks" of each PostgreSQL process counted; pg_cpu_s before after: CPU seconds
# between two snapshots, per process (a process that started in between counts whole, one that ended
# counts nothing), so backends coming and going cannot make the sum jump.
pg_snap() {
  if [ -z "$pg_master" ]; then
    local dir; dir=$(psql -h $PGH -p $PGP -U postgres -Atc "SHOW data_directory" postgres)
    pg_master=$(pgrep -u postgres -f -- "-D $dir( |\$)" | head -1 || true); pg_master=${pg_master:-none}
  fi
  [ "$pg_master" = none ] && return 0
  local p title
  for p in $pg_master $(pgrep -P $pg_master); do
    title=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null) || continue
    # the server's own processes, and the backends whose title names the bench database
    # ("postgres: 15/main: postgres <db> 127.0.0.1(5432) idle")
    if [ $p = $pg_master ] || [[ "$title" =~ (checkpointer|background\ writer|walwriter|autovacuum\ launcher) ]] \
       || [[ "$title" == *" $1 "* ]]; then
      echo "$p $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0)"
    fi
  done
}
pg_cpu_s() { awk -v k=$TCK 'NR==FNR{a[$1]=$2; next} {s+=$2-a[$1]} END{printf "%.2f", s/k}' "$1" "$2"; }
