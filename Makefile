# meshslo: everything a fresh clone needs comes from the Go module proxy.
# The real promtool and Prometheus server (v3.15) are built from the tools
# module (tools/go.mod) into ./bin on first use; later builds hit the cache.

GO        ?= go
BIN       := $(CURDIR)/bin
PROMTOOL  := $(BIN)/promtool
PROMETHEUS := $(BIN)/prometheus
TOOLS_DEPS := tools/go.mod tools/go.sum
# Istio's control plane as a test fixture (generator/fidelity), from its
# own module so that istio.io/istio stays out of the CLI's graph.
ISTIO_FIXTURE := $(BIN)/istio-fixture
FIXTURE_DEPS := $(wildcard tools/istiofixture/*.go) tools/istiofixture/go.mod tools/istiofixture/go.sum

export PROMTOOL PROMETHEUS ISTIO_FIXTURE

.PHONY: all build generate test test-unit check-out lint-rules bench fuzz tools clean

all: build

build:
	$(GO) build -o $(BIN)/meshslo ./cmd/meshslo

tools: $(PROMTOOL) $(PROMETHEUS) $(ISTIO_FIXTURE)

$(PROMTOOL): $(TOOLS_DEPS)
	cd tools && $(GO) build -o $(PROMTOOL) github.com/prometheus/prometheus/cmd/promtool

$(PROMETHEUS): $(TOOLS_DEPS)
	cd tools && $(GO) build -o $(PROMETHEUS) github.com/prometheus/prometheus/cmd/prometheus

$(ISTIO_FIXTURE): $(FIXTURE_DEPS)
	cd tools/istiofixture && $(GO) build -o $(ISTIO_FIXTURE) .

# Regenerate the committed out/ for every built-in profile.
generate:
	$(GO) run ./cmd/meshslo generate --all --out out

# The whole suite: vet, unit/golden/scenario/real-Prometheus tests, the
# drift check on out/ and promtool's linter on every committed rule file.
test: tools
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory check-out lint-rules

check-out:
	$(GO) run ./cmd/meshslo generate --all --out out --check

lint-rules: $(PROMTOOL)
	$(PROMTOOL) check rules --lint=all --lint-fatal out/*/prometheus/*.yaml

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Each fuzz target for FUZZTIME (a minute by default); what a target finds
# is written to its testdata/fuzz/ and becomes a seed that make test runs.
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./generator/profile
	$(GO) test -run '^$$' -fuzz '^FuzzGenerate$$' -fuzztime $(FUZZTIME) ./generator/generate

clean:
	rm -rf $(BIN)
