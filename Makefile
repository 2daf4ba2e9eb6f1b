# meshslo: everything a fresh clone needs comes from the Go module proxy.
# The real promtool and Prometheus server (v3.15) are built from the tools
# module (tools/go.mod) into ./bin on first use; later builds hit the cache.

GO        ?= go
BIN       := $(CURDIR)/bin
PROMTOOL  := $(BIN)/promtool
PROMETHEUS := $(BIN)/prometheus
TOOLS_DEPS := tools/go.mod tools/go.sum
# kubeconform, helm and the prometheus-operator CRDs: tools/kube, a module
# of its own (its Kubernetes graph stays out of the CLI's and promtool's).
KUBE_DEPS  := tools/kube/go.mod tools/kube/go.sum
KUBECONFORM := $(BIN)/kubeconform
HELM       := $(BIN)/helm
# Strict JSON schemas made from the operator's CRDs (v0.93.1, pinned in
# tools/kube/go.mod), generated rather than committed: they follow the pin
# and weigh 4 MB.
CRD_SCHEMAS := $(BIN)/crd-schemas

# Istio's control plane as a test fixture (generator/fidelity), from its
# own module so that istio.io/istio stays out of the CLI's graph.
ISTIO_FIXTURE := $(BIN)/istio-fixture
FIXTURE_DEPS := $(wildcard tools/istiofixture/*.go) tools/istiofixture/go.mod tools/istiofixture/go.sum

# The real Alertmanager (v0.35.0, tools/alertmanager, a module of its
# own): amtool from the tool directive; the server from a copy of the
# module with stub web UI files, because its ui package embeds
# ui/app/dist, which the module (as published) does not contain.
AM_DEPS      := tools/alertmanager/go.mod tools/alertmanager/go.sum
AMTOOL       := $(BIN)/amtool
ALERTMANAGER := $(BIN)/alertmanager
AM_SRC       := $(CURDIR)/tools/alertmanager/.build/alertmanager

# Grafana's dashboard schema (grafana-foundation-sdk/go, Apache-2.0) as a
# checker, from its own module so the SDK stays out of the CLI's graph.
GRAFANA_SCHEMA_CHECK := $(BIN)/grafana-schema-check
GRAFANA_DEPS := tools/grafana/go.mod tools/grafana/go.sum tools/grafana/main.go

# The real peers for the cost benchmark (make bench): Sloth v0.16.0 and
# Pyrra v0.10.1 (tools/peers, a module of its own). Sloth from the tool
# directive; Pyrra from a copy of its module with an empty ui/build (its
# main package embeds ui/build, which the published module lacks), built
# with Pyrra's own go.mod and go.sum, the dependency set it was released
# with. Not part of make tools: they serve make bench only.
PEERS_DEPS := tools/peers/go.mod tools/peers/go.sum
SLOTH      := $(BIN)/sloth
PYRRA      := $(BIN)/pyrra
PYRRA_SRC  := $(CURDIR)/tools/peers/.build/pyrra

# pint v0.87.0 (Cloudflare's rule linter), tools/pint, a module of its own.
PINT_DEPS := tools/pint/go.mod tools/pint/go.sum
PINT      := $(BIN)/pint

# Scale-out rulers (spec.rulers): the real vmalert (VictoriaMetrics v1.151.0,
# tools/vmalert) and Thanos' own rule file check (v0.39.2, tools/thanos),
# each a module of its own.
VMALERT      := $(BIN)/vmalert
VMALERT_DEPS := tools/vmalert/go.mod tools/vmalert/go.sum
THANOS_RULES_CHECK := $(BIN)/thanos-rules-check
THANOS_DEPS  := tools/thanos/go.mod tools/thanos/go.sum tools/thanos/main.go

export PROMTOOL PROMETHEUS KUBECONFORM CRD_SCHEMAS HELM ISTIO_FIXTURE AMTOOL ALERTMANAGER GRAFANA_SCHEMA_CHECK SLOTH PYRRA VMALERT THANOS_RULES_CHECK PINT

.PHONY: all build generate test test-unit check-out lint-rules test-grafana test-amop test-rulers test-cortex bench peers fuzz tools clean check-labels helm-check

all: build

build:
	$(GO) build -o $(BIN)/meshslo ./cmd/meshslo

tools: $(PINT) $(PROMTOOL) $(PROMETHEUS) $(KUBECONFORM) $(CRD_SCHEMAS)/.stamp $(ISTIO_FIXTURE) $(AMTOOL) $(ALERTMANAGER) $(GRAFANA_SCHEMA_CHECK) $(VMALERT) $(THANOS_RULES_CHECK)

$(PROMTOOL): $(TOOLS_DEPS)
	cd tools && $(GO) build -o $(PROMTOOL) github.com/prometheus/prometheus/cmd/promtool

$(PROMETHEUS): $(TOOLS_DEPS)
	cd tools && $(GO) build -o $(PROMETHEUS) github.com/prometheus/prometheus/cmd/prometheus

$(VMALERT): $(VMALERT_DEPS)
	cd tools/vmalert && $(GO) build -o $(VMALERT) github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert

$(THANOS_RULES_CHECK): $(THANOS_DEPS)
	cd tools/thanos && $(GO) build -o $(THANOS_RULES_CHECK) .

$(PINT): $(PINT_DEPS)
	cd tools/pint && $(GO) build -o $(PINT) github.com/cloudflare/pint/cmd/pint

$(AMTOOL): $(AM_DEPS)
	cd tools/alertmanager && $(GO) build -o $(AMTOOL) github.com/prometheus/alertmanager/cmd/amtool

# The copy is made afresh from the module cache at the version
# tools/alertmanager/go.mod requires (go mod download verifies it against
# go.sum), made writable, given the two index.html files the ui package's
# //go:embed app/dist needs (ui/web.go: app/dist/elm, app/dist/mantine), and
# built with its own go.mod and go.sum, which pin the same dependencies the
# tools module resolves (it requires nothing else).
$(ALERTMANAGER): $(AM_DEPS)
	rm -rf $(AM_SRC)
	mkdir -p $(dir $(AM_SRC))
	cd tools/alertmanager && $(GO) mod download github.com/prometheus/alertmanager
	cp -R "$$(cd tools/alertmanager && $(GO) list -m -f '{{.Dir}}' github.com/prometheus/alertmanager)" $(AM_SRC)
	chmod -R u+w $(AM_SRC)
	mkdir -p $(AM_SRC)/ui/app/dist/elm $(AM_SRC)/ui/app/dist/mantine
	printf '<!doctype html><title>Alertmanager</title><p>web UI not built (meshslo test build)</p>\n' > $(AM_SRC)/ui/app/dist/elm/index.html
	cp $(AM_SRC)/ui/app/dist/elm/index.html $(AM_SRC)/ui/app/dist/mantine/index.html
	cd $(AM_SRC) && $(GO) build -mod=readonly -o $(ALERTMANAGER) ./cmd/alertmanager

peers: $(SLOTH) $(PYRRA)

$(SLOTH): $(PEERS_DEPS)
	cd tools/peers && $(GO) build -o $(SLOTH) github.com/slok/sloth/cmd/sloth

# As for Alertmanager: a fresh copy from the module cache at the version
# tools/peers/go.mod requires (go mod download checks it against go.sum),
# made writable, given the ui/build/index.html that main.go's
# //go:embed ui/build needs, and built with -mod=readonly.
$(PYRRA): $(PEERS_DEPS)
	rm -rf $(PYRRA_SRC)
	mkdir -p $(dir $(PYRRA_SRC))
	cd tools/peers && $(GO) mod download github.com/pyrra-dev/pyrra
	cp -R "$$(cd tools/peers && $(GO) list -m -f '{{.Dir}}' github.com/pyrra-dev/pyrra)" $(PYRRA_SRC)
	chmod -R u+w $(PYRRA_SRC)
	mkdir -p $(PYRRA_SRC)/ui/build
	printf '<!doctype html><title>Pyrra</title><p>web UI not built (meshslo benchmark build)</p>\n' > $(PYRRA_SRC)/ui/build/index.html
	cd $(PYRRA_SRC) && $(GO) build -mod=readonly -o $(PYRRA) .

$(KUBECONFORM): $(KUBE_DEPS)
	cd tools/kube && $(GO) build -o $(KUBECONFORM) github.com/yannh/kubeconform/cmd/kubeconform

$(CRD_SCHEMAS)/.stamp: $(KUBE_DEPS) tools/kube/crdschemas/main.go
	rm -rf $(CRD_SCHEMAS)
	cd tools/kube && $(GO) run ./crdschemas $(CRD_SCHEMAS)
	touch $@

# helm (v3.22.0) for the documented chart check (make helm-check); not part
# of make test.
$(HELM): $(KUBE_DEPS)
	cd tools/kube && $(GO) build -o $(HELM) helm.sh/helm/v3/cmd/helm

# The stored label sets (generator/catalogue/scrapelabels.json) against the
# real operator, discovery and relabelling code; not in make test (its first
# build is about 7.5 CPU-minutes). LABELS_FLAGS=-update rewrites the file.
check-labels:
	cd tools/scrapelabels && $(GO) test -count=1 -run TestStoredLabels . $(LABELS_FLAGS)

# The real chart, rendered with the generated values (needs the chart: see
# tools/kube/chart.sh; KPS_CHART=DIR/kube-prometheus-stack).
helm-check: $(HELM)
	cd tools/kube && HELM=$(HELM) KPS_CHART=$(KPS_CHART) $(GO) test -count=1 -run TestHelmTemplate -v .

$(ISTIO_FIXTURE): $(FIXTURE_DEPS)
	cd tools/istiofixture && $(GO) build -o $(ISTIO_FIXTURE) .

# generator/generate's TestDashboardsPassGrafanaSchema runs it on every
# dashboard; its own tests run in make test too (test-grafana).
$(GRAFANA_SCHEMA_CHECK): $(GRAFANA_DEPS)
	cd tools/grafana && $(GO) build -o $(GRAFANA_SCHEMA_CHECK) .

# Regenerate the committed out/ for every built-in profile.
generate:
	$(GO) run ./cmd/meshslo generate --all --out out

# The whole suite: vet, unit/golden/scenario/real-Prometheus tests, the
# drift check on out/ and promtool's linter on every committed rule file.
test: tools
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory check-out lint-rules test-grafana test-amop test-rulers test-cortex

# The schema checker's own tests (it is a module of its own, outside ./...).
test-grafana:
	cd tools/grafana && $(GO) vet . && $(GO) test -count=1 .

# The generated AlertmanagerConfig through prometheus-operator's own
# config generation (pkg/alertmanager ConfigBuilder, v0.93.1), the merged
# configuration checked with amtool (tools/amop, a module of its own: the
# operator's graph stays out of the CLI's). First build about 2.5 min on 2
# cores; warm 15-30 s (about 1,100 amtool runs, two at a time).
test-amop: $(AMTOOL)
	cd tools/amop && $(GO) vet . && $(GO) test -count=1 .

# The ruler outputs (thanos/, mimir/, vmalert/) through the real tools:
# vmalert -dryRun and MetricsQL (tools/vmalert), Thanos' rules-check
# validation (tools/thanos). Mimir is AGPL: not used; see test-cortex.
test-rulers: $(VMALERT) $(THANOS_RULES_CHECK)
	cd tools/vmalert && $(GO) vet . && $(GO) test -count=1 .
	cd tools/thanos && $(GO) vet . && $(GO) test -count=1 .

# Cortex's ruler validation over the mimir/ files (tools/cortex): strict
# decode as cortextool reads them, then the Cortex ruler API's own
# ValidateRuleGroup (cortexproject/cortex v1.19.0, Apache-2.0).
test-cortex:
	cd tools/cortex && $(GO) vet . && $(GO) test -count=1 .

check-out:
	$(GO) run ./cmd/meshslo generate --all --out out --check

# promtool's linter on every committed rule file, then pint offline over
# each profile's rule files on their own (the profiles record the same
# names), failing on any warning: every check on, none disabled.
lint-rules: $(PROMTOOL) $(PINT)
	$(PROMTOOL) check rules --lint=all --lint-fatal out/*/prometheus/*.yaml
	@set -e; for d in out/*/prometheus; do \
		echo "pint --offline lint $$d"; \
		$(PINT) --offline --no-color lint --fail-on warning $$d/*.yaml; \
	done

bench: peers
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Each fuzz target for FUZZTIME (a minute by default); what a target finds
# is written to its testdata/fuzz/ and becomes a seed that make test runs.
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./generator/profile
	$(GO) test -run '^$$' -fuzz '^FuzzGenerate$$' -fuzztime $(FUZZTIME) ./generator/generate

clean:
	rm -rf $(BIN)
