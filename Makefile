# The test command CI runs (.ci/run) and the README gives.
RACE_PKGS := ./internal/... ./results/...

.PHONY: test fuzz bench build reference

build:
	go build -o bin/phonecheck ./cmd/phonecheck

# All tests, then the race detector on the packages with concurrency.
test:
	go vet ./...
	go test ./...
	go test -race $(RACE_PKGS)

# Bounded fuzzing of the line handling and the writers (FUZZTIME=30s default).
FUZZTIME ?= 30s
fuzz:
	go test ./phone -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZTIME)
	go test ./results -run '^$$' -fuzz '^FuzzCSVField$$' -fuzztime 10s
	go test ./results -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime 10s

# The figures in the README: engine per line and validate on 1M lines, each
# beside the plain nyaruka baseline in the same run.
bench:
	go test ./phone -run '^$$' -bench 'Check$$|BaselineNyaruka' -benchtime 300000x -benchmem
	go test ./internal/cli -run '^$$' -bench 'Validate1M' -benchtime 1x

# Regenerate the reference corpus with google-libphonenumber (needs npm).
reference:
	cd tools/refcorpus && npm ci && node generate.js
