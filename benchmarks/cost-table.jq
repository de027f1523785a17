# The "Cost per event (issue 15)" rows, computed from one bench run's result lines (jq -s over
# results.jsonl, or .results of a bench .json). Arguments: --arg skip "a,b" (the run's --skip),
# --arg acks "memory journal fsync" (the run's --acks), --argjson fixed_rate N (row 6's rate).
# Each row: row, name, ours, reference (nginx or the other side), ratio, goal, met (true, false, or
# null when not measured), and the numbers behind them; a row whose step did not run says why.

def med: map(select(. != null)) | sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r($n): if . == null then null else (. * pow(10; $n) | round) / pow(10; $n) end;
def commas: if length <= 3 then . else (.[:-3] | commas) + "," + .[-3:] end;
# 12345.6 -> "12,346"
def int_text: if . == null then "-" else round | tostring | commas end;
# 9537.84 -> "9,537.8" (with $n = 1): $n decimals, always written
def dec($n): if . == null then "-" else (. * pow(10; $n) | round | tostring) as $d
  | ($d | if length <= $n then ("0" * ($n - length + 1)) + . else . end) as $d
  | ($d[:-$n] | commas) + "." + $d[-$n:] end;
def skipped($step): ($skip | split(",") | index($step)) != null;
def acked($a): ($acks | split(" ") | index($a)) != null;
# why a row has no figure: the first of its steps that was skipped, an ack mode not run, or no result
def absent($steps; $ack):
  ([$steps[] | select(skipped(.))] | first) as $s
  | if $s != null then "not measured (skipped: \($s))"
    elif $ack != null and (acked($ack) | not) then "not measured (ack=\($ack) not in --acks)"
    else "not measured (no result in this run)" end;
def row($n; $name; $goal): {row: $n, name: $name, goal: $goal};
def missing($why): . + {ours: $why, reference: "-", ratio: null, met: null};

. as $all
| ($all | map(select(.kind == "e2e" and .classify == null))) as $e2e
# The search's steps that decided: a step run again (rerun, after jobs held it back) decides, not the run before it
| ($e2e | map(select(.fixed_rate != true)) | . as $s
   | [range(0; length) | select(($s[. + 1].rerun // false) != true) | $s[.]]) as $search
# Rows 2 and 6: the constant-rate steps, one of each side a round (a run from before rounds existed has one)
| ($e2e | map(select(.fixed_rate == true))) as $fixed_ours
| ($all | map(select(.kind == "fixed_rate" and .server == "nginx"))) as $fixed_nginx
| ($all | map(select(.kind == "wrk" and .server == "nginx" and .route == "pixel"))
   | group_by([.ack, .threads, .connections]) | map(map(.rps) | med) | max) as $nginx_max
| ($all | map(select(.kind == "sink")) | first) as $sink
# " (median of 3 rounds: 2.5, 3.0, 40.0)" when there are rounds: $lead, then each value of the list
| def rounds($values; $lead; fmt): if ($values | length) > 1 then " (\($lead)\($values | map(fmt) | join(", ")))" else "" end;
# Rows 4 and 5: the medians of the latency rounds' p99s (the rounds ran in counterbalanced order; a
# run from before rounds existed has one of each, its own median)
def latency($ack): ($all | map(select(.kind == "latency" and .ack == $ack and .pct_of_max == 50))) as $l
    | ($l | map(select(.server == "ours"))) as $o | ($l | map(select(.server == "nginx"))) as $g
    | row(if $ack == "journal" then 4 else 5 end;
          "pixel p99 at 50 % of nginx's maximum, ack=\($ack), sink off"; "<= nginx's p99")
    | if ($o | length) == 0 or ($g | length) == 0 then missing(absent(["latency", "throughput"]; $ack))
      else ($o | map(.p99_us) | med) as $op | ($g | map(.p99_us) | med) as $gp
        | rounds($o | map(.p99_us); "median of \($o | length) rounds: "; . / 1000 | dec(1)) as $ours_rounds
        | rounds($g | map(.p99_us); ""; . / 1000 | dec(1)) as $nginx_rounds
        | . + {ours: "\($op / 1000 | dec(1)) ms\($ours_rounds)", reference: "\($gp / 1000 | dec(1)) ms\($nginx_rounds) at \($o[0].rate | int_text)/s",
        ratio: ($op / $gp | r(2)), met: ($op <= $gp), ours_value: $op, reference_value: $gp,
        unit: "µs", rate: $o[0].rate, rounds: ($o | length)} end;
[
  # 1. the end-to-end rate search's best rate that kept up against nginx's best pixel median
  ( row(1; "highest rate with sink lag p99 < 1 s (ack=journal, sink on)"; ">= 0.5x nginx empty_gif max req/s")
    | ($e2e | map(select(.keeps_up)) | map(.rate) | max) as $best
    | if ($e2e | length) == 0 then missing(absent(["e2e"]; "journal"))
      elif $nginx_max == null then . + {ours: (if $best == null then "none kept up" else "\($best | int_text)/s" end),
        reference: absent(["throughput"]; null), ratio: null, met: null, ours_value: $best}
      elif $best == null then . + {ours: "none kept up (lowest tried \($e2e | map(.rate) | min | int_text)/s)",
        reference: "\($nginx_max | int_text) req/s", ratio: 0, met: false, ours_value: 0, reference_value: $nginx_max, unit: "events/s"}
      else . + {ours: (if ($search | map(select(.keeps_up != true)) | length) == 0
          then "at least \($best | int_text)/s (every rate the search tried kept up)" else "\($best | int_text)/s" end), reference: "\($nginx_max | int_text) req/s", ratio: ($best / $nginx_max | r(2)),
        met: ($best / $nginx_max >= 0.5), ours_value: $best, reference_value: $nginx_max, unit: "events/s"} end ),
  # 2. edge + PostgreSQL CPU per event against nginx's CPU per request, both at the fixed rate
  ( row(2; "server CPU per event, edge + PostgreSQL, at \($fixed_rate | int_text)/s"; "<= 2x nginx's CPU per request")
    | ($fixed_ours | map(select(.cpu_us_per_event != null))) as $fo
    | if ($fo | length) == 0 or ($fixed_nginx | length) == 0 then missing(absent(["e2e"]; "journal"))
      else ($fo | map(.cpu_us_per_event.edge + .cpu_us_per_event.postgres)) as $sums
        | ($sums | med) as $o | ($fixed_nginx | map(.cpu_us_per_request) | med) as $g
        | (if ($fo | length) > 1 then "median of \($fo | length) rounds: \($sums | map(dec(1)) | join(", ")); edge \($fo | map(.cpu_us_per_event.edge) | med | dec(1)) and PostgreSQL \($fo | map(.cpu_us_per_event.postgres) | med | dec(1)), each its own median"
            else "edge \($fo[0].cpu_us_per_event.edge | dec(1)), PostgreSQL \($fo[0].cpu_us_per_event.postgres | dec(1))" end) as $split
        | . + {ours: "\($o | dec(1)) µs (\($split))",
          reference: "\($g | dec(1)) µs\(rounds($fixed_nginx | map(.cpu_us_per_request); ""; dec(1)))", ratio: ($o / $g | r(2)),
          met: ($o <= 2 * $g), ours_value: ($o | r(1)), reference_value: $g, unit: "µs", rounds: ($fo | length)} end ),
  # 3. disk per million events, from the end-to-end step that landed the most rows (its fixed overhead the smallest share)
  ( row(3; "PostgreSQL bytes per million events, all tables"; "<= 150 MB")
    | ($e2e | map(select(.rows_landed > 0)) | max_by(.rows_landed)) as $big
    | if $big == null then missing(absent(["e2e"]; "journal"))
      else ($big.postgres_bytes_per_million / 1e6) as $mb
        | (if $big.postgres_bytes_per_million_at_rest == null then "" else
            ", \($big.postgres_bytes_per_million_at_rest / 1e6 | dec(1)) MB at rest after compact_events" end) as $rest
        | . + {ours: "\($mb | dec(1)) MB (\($big.rows_landed | int_text) rows at \($big.rate | int_text)/s\($rest))", reference: "150 MB (the goal)",
          ratio: ($mb / 150 | r(2)), met: ($mb <= 150), ours_value: ($mb | r(1)), reference_value: 150, unit: "MB"} end ),
  latency("journal"),
  latency("memory"),
  # 6. pixel p99 at the fixed rate with the sink on, against nginx at the same rate
  ( row(6; "pixel p99 at a constant \($fixed_rate | int_text)/s, ack=journal, sink on"; "<= nginx's p99 at the same rate")
    | if ($fixed_ours | length) == 0 or ($fixed_nginx | length) == 0 then missing(absent(["e2e"]; "journal"))
      else ($fixed_ours | map(.load.p99_us)) as $op | ($fixed_nginx | map(.p99_us)) as $gp
        | . + {ours: "\($op | med / 1000 | dec(1)) ms\(rounds($op; "median of \($op | length) rounds: "; . / 1000 | dec(1)))",
          reference: "\($gp | med / 1000 | dec(1)) ms\(rounds($gp; ""; . / 1000 | dec(1)))",
          ratio: (($op | med) / ($gp | med) | r(2)), met: (($op | med) <= ($gp | med)),
          ours_value: ($op | med), reference_value: ($gp | med), unit: "µs", rounds: ($op | length)} end ),
  # 7. CPU per pixel request under wrk (s per million = µs per request), medians over every pixel run, ack=journal
  ( row(7; "pixel CPU per request (wrk, ack=journal) vs nginx with its access log"; "<= 1.0x")
    | ($all | map(select(.kind == "wrk" and .route == "pixel" and .ack == "journal"))) as $w
    | ($w | map(select(.server == "ours")) | map(.cpu_s_per_million) | med) as $o
    | ($w | map(select(.server == "nginx")) | map(.cpu_s_per_million) | med) as $g
    | if $o == null or $g == null then missing(absent(["throughput"]; "journal"))
      else . + {ours: "\($o | dec(2)) µs", reference: "\($g | dec(2)) µs", ratio: ($o / $g | r(2)), met: ($o <= $g),
        ours_value: $o, reference_value: $g, unit: "µs"} end ),
  # 8 and 9. SinkVsPsqlCopy: (a) sink, (b) psql \copy into email_events, (c) psql \copy into a primary-key-only table
  ( row(8; "sink vs psql \\copy into the same table"; ">= 1.0")
    | if $sink == null then missing(absent(["sink"]; null))
      else . + {ours: "\($sink.sink_median | int_text) rows/s", reference: "\($sink.psql_median | int_text) rows/s",
        ratio: ($sink.sink_median / $sink.psql_median | r(2)), met: ($sink.sink_median >= $sink.psql_median),
        ours_value: $sink.sink_median, reference_value: $sink.psql_median, unit: "rows/s"} end ),
  ( row(9; "psql \\copy into email_events vs into a table with only its primary key"; "both measured in the same run")
    | if $sink == null then missing(absent(["sink"]; null))
      elif $sink.pk_only_median == null then missing("not measured (this run's SinkVsPsqlCopy has no primary-key-only figure)")
      else . + {ours: "\($sink.psql_median | int_text) rows/s", reference: "\($sink.pk_only_median | int_text) rows/s",
        ratio: ($sink.psql_median / $sink.pk_only_median | r(2)), met: true,
        ours_value: $sink.psql_median, reference_value: $sink.pk_only_median, unit: "rows/s"} end ),
  # 10. not one of issue 15's rows: what the scheduled jobs then cost PostgreSQL per event, against what
  # the sink's statements cost it to write the event (row 2's PostgreSQL part)
  ( row(10; "PostgreSQL CPU per event of the default job schedule over a day (JobScheduleCost)"; "none (not in issue 15's table)")
    | ($all | map(select(.kind == "jobs")) | first) as $jobs
    | ($fixed_ours | map(.cpu_us_per_event.postgres?) | med) as $sink_pg
    | if $jobs == null then missing(absent(["jobs"]; null))
      else ($jobs.jobs | sort_by(-.us_per_event) | .[:3] | map("\(.job) \(.us_per_event | dec(1))") | join(", ")) as $top
        | . + {ours: "\($jobs.us_per_event | dec(1)) µs (\($jobs.events | int_text) events; most: \($top))",
          reference: (if $sink_pg == null then "the sink's: \(absent(["e2e"]; "journal"))"
            else "\($sink_pg | dec(1)) µs, the sink's writes (row 2's PostgreSQL part)" end),
          ratio: (if $sink_pg == null then null else $jobs.us_per_event / $sink_pg | r(2) end), met: null,
          ours_value: $jobs.us_per_event, reference_value: $sink_pg, unit: "µs"} end )
]
