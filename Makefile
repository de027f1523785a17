# The two commands: `make run` and `make test`. Everything finds a JDK 21+ by itself.
SHELL := /bin/bash
JDK := $(shell packaging/find-jdk)
ifeq ($(JDK),)
$(error no JDK 21+ found; see packaging/find-jdk)
endif
export JAVA_HOME := $(JDK)
export PATH := $(JDK)/bin:$(PATH)
MVN ?= mvn -B -ntp
JAR := edge-server/target/edge.jar
# What the jar is built from: a change to any of these (and only then) rebuilds it.
JAR_SOURCES := $(shell find . \( -name target -o -name .git -o -name data -o -name benchmarks -o -name dist -o -name node_modules \) -prune -o \
  -type f \( -path '*/src/main/*' -o -name pom.xml -o -path './sql/*' \) -print)

.PHONY: signers-test build run test faults fault-table publish-results hostile fuzz bench bench-readme bench-jmh clean dist

# `make`: the jar, rebuilt only when a source changed; bin/trackedge runs it.
$(JAR): $(JAR_SOURCES)
	$(MVN) -q -DskipTests package -pl edge-server -am
	@touch $@

# Every module, benchmarks included.
build:
	$(MVN) -DskipTests package

# Starts the edge with working defaults (bin/trackedge in a checkout: development profile, data in
# ./data, a development signing key made on first start), building the jar first only when a
# source changed. Ctrl-C (SIGINT) or SIGTERM drains and stops it; the server exits 0, though make
# itself reports an interrupt (run bin/trackedge serve directly to see the server's own status).
run: $(JAR)
	bin/trackedge serve

# The Debian package and a .tar.gz of the same tree, with their own trimmed runtime: dist/.
# VERSION=0.1.1 to set the package version; AOT=0 to leave out the AOT cache (see the README).
dist: $(JAR)
	packaging/build-dist $(if $(VERSION),--version $(VERSION),) $(if $(filter 0,$(AOT)),--no-aot,)

# Every test of every module: unit, real-socket, journal and kill tests. The fault and hostile
# tests write their results under each module's target/results/; `make test` changes no tracked file.
test:
	$(MVN) verify

# The Node and Python signers against docs/tracking-token-vectors.json (the JVM toolkit's run in make test).
signers-test:
	signers/test-all

# The fault suite (kills, stops, outages) against the real jar, then the results table in
# docs/fault-results.md. `make test` runs the same tests; `make fault-table` publishes the results
# the last test run left under target/results/ and re-renders the tables.
FAULT_TESTS ?= JournalKillIT,SlowJournalDiskIT,StuckSinksStopIT,AckModeKillIT,GracefulStopIT,KillRestartPostgresIT,PostgresOutageIT,PostgresOutageEdgeIT,PostgresChaosIT,JournalCapIT,CorruptSegmentIT,RedisDownIT,PostHog*IT,EdgeToPostHogIT
faults:
	$(MVN) verify -Dit.test='$(FAULT_TESTS)' -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
	$(if $(filter 0,$(PUBLISH)),,$(MAKE) fault-table)

fault-table: benchmarks/target/benchmarks.jar
	@$(MAKE) --no-print-directory publish-results
	java -cp benchmarks/target/benchmarks.jar io.trackedge.bench.FaultTable .

# Copies the result files the tests wrote (<module>/target/results/{faults,hostile}/*.json) to the
# tracked bench-results/{faults,hostile}/, one file per scenario or hostile class, replacing the
# published file of each scenario that ran; scenarios that did not run keep their published result.
publish-results:
	@shopt -s nullglob; for kind in faults hostile; do \
	  files=(*/target/results/$$kind/*.json); \
	  if [ $${#files[@]} -gt 0 ]; then \
	    mkdir -p bench-results/$$kind && cp "$${files[@]}" bench-results/$$kind/ && \
	    echo "published $${#files[@]} $$kind result(s) to bench-results/$$kind/"; \
	  fi; \
	done

benchmarks/target/benchmarks.jar: benchmarks/src/main/java/io/trackedge/bench/FaultTable.java
	$(MVN) -q -DskipTests package -pl benchmarks -am

# The hostile-input suites (raw-socket HTTP, slow clients, tokens and redirects) and the fuzz
# targets over their seed corpus, then the hostile table in docs/fault-results.md.
# `make test` runs the same tests.
HOSTILE_TESTS ?= Hostile*Test,*FuzzTest
hostile:
	$(MVN) test -pl edge-server -am -Dtest='$(HOSTILE_TESTS)' -Dsurefire.failIfNoSpecifiedTests=false
	$(if $(filter 0,$(PUBLISH)),,$(MAKE) fault-table)

# PUBLISH=0 leaves the tracked result files and tables alone (faults, hostile, fuzz); CI runs make fuzz so.

# Coverage-guided fuzzing with Jazzer: each target for FUZZ_SECONDS (one JVM each: Jazzer fuzzes
# one target per run). A finding fails the run and leaves its input under the target's
# src/test/resources/<package>/<Class>Inputs/<method>/, where `make test` replays it from then on.
# Without JAZZER_FUZZ, the same tests only replay the committed corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= TokenVerifierFuzzTest\#verify IngestBodyFuzzTest\#parse UrlPolicyFuzzTest\#check BatchClassifierFuzzTest\#classify
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  JAZZER_FUZZ=1 JAZZER_MAX_DURATION=$(FUZZ_SECONDS)s $(MVN) test -pl edge-server -am -Dtest="$$t" \
	    -Dsurefire.failIfNoSpecifiedTests=false; \
	done
	$(if $(filter 0,$(PUBLISH)),,$(MAKE) fault-table)

# Everything of issue 6 in one go: ours vs nginx (wrk throughput, constant-rate latency, CPU per
# request, memory, GC), sink vs psql \copy, end to end into PostgreSQL, the jobs' day, then JMH (benchmarks/bench --jmh);
# its .md opens with issue 15's cost table (make bench-readme copies it into the README).
# QUICK=1 for a run of about 25 minutes; the full run takes about 90 minutes.
bench: build
	benchmarks/bench --jmh $(if $(QUICK),--quick,)

# The README's cost table (issue 15) from a bench run's .md: RUN=bench-results/bench-<UTC>-full.md,
# default the newest full run. Only this (or benchmarks/bench --readme) rewrites that table.
bench-readme:
	benchmarks/readme-cost-table $(RUN)

# JMH benchmarks with allocation per operation. QUICK=1 for a short run.
bench-jmh: build
	benchmarks/run-jmh $(if $(QUICK),--quick,)

clean:
	$(MVN) clean
	rm -rf dist
