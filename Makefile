SHELL := bash
.SHELLFLAGS := -o pipefail -c

# The test command CI runs (.ci/run) and the README gives.
RACE_PKGS := ./internal/... ./results/... ./ekycpro/... ./apiserver/... ./watcher/... ./activities/... ./workflows/...

.PHONY: test fuzz bench build reference workflowcheck docs chaos

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
	go test ./results -run '^$$' -fuzz '^FuzzOpenZip$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzCSVField$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzRowReader$$' -fuzztime $(FUZZN)x
	go test ./results -run '^$$' -fuzz '^FuzzXLSXCell$$' -fuzztime $(FUZZXLSXN)x
	go test ./apiserver -run '^$$' -fuzz '^FuzzHandlers$$' -fuzztime $(FUZZHTTPN)x

# The figures in the README, each beside its baseline in the same run.
BENCHOUT ?= bench.out
bench:
	go test ./phone -run '^$$' -bench 'Check$$|CheckCore$$|BaselineNyaruka' -benchtime 300000x -benchmem -cpu 1 | tee $(BENCHOUT)
	go test ./results -run '^$$' -bench 'XLSX1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./internal/cli -run '^$$' -bench 'Validate1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./apiserver -run '^$$' -bench 'Server1M' -benchtime 1x | tee -a $(BENCHOUT)
	go test ./workflows -run '^$$' -bench 'Pipeline' -benchtime 1x -timeout 30m | tee -a $(BENCHOUT)
	@echo; go run ./tools/benchtable < $(BENCHOUT)

# Regenerate the reference corpus with google-libphonenumber (needs npm).
reference:
	cd tools/refcorpus && npm ci && node generate.js

# Regenerate the Terraform provider's docs/ with tfplugindocs (offline).
docs:
	bash tools/gendocs.sh
