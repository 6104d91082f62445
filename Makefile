SHELL := bash
.SHELLFLAGS := -o pipefail -c

# The test command CI runs (.ci/run) and the README gives.
RACE_PKGS := ./internal/... ./cmd/phonecheck/internal/... ./results/... ./taskapi/... ./apiserver/... ./watcher/... ./activities/... ./workflows/...

.PHONY: test fuzz bench build reference workflowcheck docs commands chaos test-cluster bench-cluster

build:
	go build -o bin/phonecheck ./cmd/phonecheck

# All tests (the pipeline's against a live embedded Temporal server), then the
# race detector on the packages with concurrency (-short there skips the live
# server, whose race build alone takes minutes), then workflowcheck.
test: workflowcheck
	go vet ./...
	go test ./...
	go test -race -short $(RACE_PKGS)

WORKFLOWCHECK := $(shell go env GOPATH)/bin/workflowcheck
workflowcheck:
	test -x $(WORKFLOWCHECK) || go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
	$(WORKFLOWCHECK) ./workflows/...

# The reliability and security suite (chaos/): real processes killed and
# restarted, API faults, bad inputs and secrets. CHAOS_KILLS worker kills
# (up kills and serve restarts are a quarter each); CHAOS_SEED replays a run;
# CHAOS_RACE=1 builds the binary under test with -race. The tests themselves
# always run with -race.
CHAOS_KILLS ?= 20
chaos:
	CHAOS_KILLS=$(CHAOS_KILLS) go test -tags chaos -race -count=1 -timeout 30m -parallel 8 -v ./chaos/...

# The compose layout run without Docker (cluster/): PostgreSQL from the
# distribution, Temporal's four services as processes, serve, two workers
# and watch with the compose file's commands, killed and restarted while
# files run; then once more with the store and outputs in MinIO. The tools
# are built once per version (tools/cluster/install.sh). CLUSTER_LINES is
# the size of the large files, CLUSTER_FILES the small files per batch.
# CLUSTER_MINIO=0 leaves MinIO out (not built, its run skipped).
CLUSTER_LINES ?= 1000000
CLUSTER_FILES ?= 20
CLUSTER_MINIO ?= 1
test-cluster:
	CLUSTER_LINES=$(CLUSTER_LINES) CLUSTER_FILES=$(CLUSTER_FILES) CLUSTER_MINIO=$(CLUSTER_MINIO) \
		go test -tags cluster -count=1 -timeout 45m -v -run '^TestCluster' ./cluster/

# 1,000 files of 100 lines through the compose layout (two workers) and
# through up, in one run: wall time, history events, database transactions.
bench-cluster:
	CLUSTER_MINIO=0 go test -tags cluster -count=1 -timeout 60m -v -run '^TestThroughput$$' ./cluster/ | tee cluster-bench.out

# Bounded fuzzing of the line handling, the zip reader, the writers and the
# API server's handlers. The
# bound is a number of inputs, not a duration: a duration ends with a
# "context deadline exceeded" failure when it expires inside a long batch.
FUZZN ?= 150000
# Each XLSX input writes and reads back a whole workbook: fewer of them.
FUZZXLSXN ?= 20000
# Each handler input goes through the HTTP stack and SQLite: fewer of them.
FUZZHTTPN ?= 50000
fuzz:
	go test ./phone -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZN)x
	go test ./phone -run '^$$' -fuzz '^FuzzCompiled$$' -fuzztime $(FUZZN)x
	go test ./taskapi/resultzip -run '^$$' -fuzz '^FuzzOpenZip$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzCSVField$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzRowReader$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzReadParallel$$' -fuzztime $(FUZZXLSXN)x
	go test ./results -run '^$$' -fuzz '^FuzzXLSXCell$$' -fuzztime $(FUZZXLSXN)x
	go test ./apiserver -run '^$$' -fuzz '^FuzzHandlers$$' -fuzztime $(FUZZHTTPN)x
	go test ./internal/xlsx -run '^$$' -fuzz '^FuzzSheet$$' -fuzztime $(FUZZXLSXN)x

# The figures of doc/performance.md, each beside its baseline in the same
# run: the in-process benchmarks, then whole processes (tools/bench-process.sh:
# start-up, package initialization and exit included), then the table.
BENCHOUT ?= bench.out
bench:
	go test ./phone -run '^$$' -bench '^Benchmark(Check|CheckCore|BaselineNyaruka|BaselineNyarukaCore)$$' -benchtime 300000x -benchmem -cpu 1 | tee $(BENCHOUT)
	go test ./phone -run '^$$' -bench '^BenchmarkFirstCheck$$' -benchmem | tee -a $(BENCHOUT)
	go test ./results -run '^$$' -bench 'XLSX1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./internal/xlsx -run '^$$' -bench 'Read1M' -benchtime 1x -benchmem | tee -a $(BENCHOUT)
	go test ./cmd/phonecheck/internal/cli -run '^$$' -bench 'Validate1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./apiserver -run '^$$' -bench 'Server1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./taskapi/resultzip -run '^$$' -bench 'ReadZip(1M|XLSX100k)' -benchtime 3x | tee -a $(BENCHOUT)
	go test ./workflows -run '^$$' -bench 'Pipeline' -benchtime 1x -timeout 30m | tee -a $(BENCHOUT)
	go test ./cmd/terraform-provider-phonecheck -run '^$$' -bench 'Plan1000Functions' -benchtime 5x | tee -a $(BENCHOUT)
	tools/bench-process.sh | tee -a $(BENCHOUT)
	@echo; go run ./tools/benchtable < $(BENCHOUT)

# Regenerate the reference corpus with google-libphonenumber (needs npm).
reference:
	cd tools/refcorpus && npm ci && node generate.js

# Regenerate the command reference (doc/commands.md) and the README's command
# table from the CLI's command and settings tables.
commands:
	go generate ./cmd/phonecheck/...

# Regenerate the Terraform provider's docs/ with tfplugindocs (offline), and
# the command reference.
docs: commands
	bash tools/gendocs.sh
