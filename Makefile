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
# JVM flags for the server: a fixed heap avoids resizing pauses; the server allocates little.
JAVA_OPTS ?= -Xms512m -Xmx512m -XX:+UseParallelGC -XX:+AlwaysPreTouch -XX:MetaspaceSize=128m

.PHONY: build run test faults fault-table bench bench-jmh clean

build:
	$(MVN) -DskipTests package

$(JAR):
	$(MVN) -DskipTests package

# Starts the edge with working defaults: development profile, data in ./data, a development
# signing key made on first start. Ctrl-C (SIGINT) or SIGTERM drains and stops it.
run: build
	EDGE_PROFILE=$${EDGE_PROFILE:-development} java $(JAVA_OPTS) -jar $(JAR) serve

# Every test of every module: unit, real-socket, journal and kill tests.
test:
	$(MVN) verify

# The fault suite (kills, stops, outages) against the real jar, then the results table in
# docs/fault-results.md. `make test` runs the same tests; `make fault-table` only re-renders.
FAULT_TESTS ?= JournalKillIT,AckModeKillIT,GracefulStopIT,KillRestartPostgresIT,PostgresOutageIT,PostgresOutageEdgeIT,PostgresChaosIT,JournalCapIT,RedisDownIT,PostHog*IT,EdgeToPostHogIT
faults:
	$(MVN) verify -Dit.test='$(FAULT_TESTS)' -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
	$(MAKE) fault-table

fault-table:
	java -cp benchmarks/target/benchmarks.jar io.trackedge.bench.FaultTable .

# Ours vs nginx (wrk throughput, constant-rate latency, CPU per request, memory, GC), sink vs
# psql \copy, end to end into PostgreSQL: benchmarks/bench. QUICK=1 for a run of a few minutes.
bench: build
	benchmarks/bench $(if $(QUICK),--quick,)

# JMH benchmarks with allocation per operation. QUICK=1 for a short run.
bench-jmh: build
	benchmarks/run-jmh $(if $(QUICK),--quick,)

clean:
	$(MVN) clean
