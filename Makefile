# knative-preview: see README.md.
GO      ?= go
TESTBIN ?= .testbin
# The API server version the tests run against is the one tools/kube-apiserver pins.
KUBE_VERSION := $(shell awk '{ for (i = 1; i < NF; i++) if ($$i == "k8s.io/kubernetes" && $$(i+1) ~ /^v/) { print $$(i+1); exit } }' tools/kube-apiserver/go.mod)
KUBE_MINOR   := $(word 2,$(subst ., ,$(KUBE_VERSION)))
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
                -X k8s.io/component-base/version.gitMajor=1 \
                -X k8s.io/component-base/version.gitMinor=$(KUBE_MINOR)
VERSION ?= dev
# Arguments for `make run`, e.g. ARGS='--image ghcr.io/org/app:v1' (kind, needs Docker)
# or ARGS='--cluster kubeconfig --image ghcr.io/org/app:v1' (the current kubeconfig)
ARGS    ?=
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 20s
# Iterations of `make bench-install`, each on two fresh API servers.
BENCH_ROUNDS ?= 3
# Lint tools: actionlint from the Go module proxy, into the git-ignored
# $(TESTBIN)/bin under a versioned name (a new version is a new file);
# shellcheck from Debian's packages when the machine lacks it.
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TESTBIN)/bin/actionlint-$(ACTIONLINT_VERSION)
SHELL_SCRIPTS := $(wildcard hack/*.sh) .ci/run

.PHONY: build test testbin run fuzz lint lint-go lint-actions lint-shell shellcheck-installed clean bench-install bench-coldstart

## build: the knative-preview binary, in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath \
		-ldflags "-X github.com/knative-preview/action/internal/buildinfo.Version=$(VERSION)" \
		-o bin/knative-preview ./cmd/action

## run: the main job, `up` with the flags in ARGS (default target: kind)
run:
	$(GO) run ./cmd/action up $(ARGS)

## test: every test, the integration tests against a real API server in a private network namespace
test: lint testbin
	$(GO) mod download
	hack/netns.sh env GOPROXY=off GOFLAGS=-mod=readonly $(GO) test -count=1 ./...

## fuzz: each fuzz target (func FuzzX in a _test.go file) for FUZZTIME, one at a time; `make test` runs their seeds
# New inputs that fail are written to the package's testdata/fuzz/FuzzX/:
# commit them as seeds once fixed.
fuzz:
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal | sort); do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "== $$target ($$(dirname $$file), $(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$file); \
		done; \
	done

## testbin: kube-apiserver and etcd for the tests, built from Go modules once and kept in $(TESTBIN)
testbin: $(TESTBIN)/kube-apiserver $(TESTBIN)/etcd

$(TESTBIN)/kube-apiserver: tools/kube-apiserver/go.mod tools/kube-apiserver/go.sum
	@mkdir -p $(TESTBIN)
	@echo "building kube-apiserver $(KUBE_VERSION) (several minutes the first time)"
	cd tools/kube-apiserver && $(GO) build -o $(abspath $@).tmp -ldflags "$(KUBE_LDFLAGS)" k8s.io/kubernetes/cmd/kube-apiserver
	mv $@.tmp $@

$(TESTBIN)/etcd: tools/etcd/go.mod tools/etcd/go.sum tools/etcd/cmd/etcd/main.go
	@mkdir -p $(TESTBIN)
	@echo "building etcd"
	cd tools/etcd && $(GO) build -o $(abspath $@).tmp ./cmd/etcd
	mv $@.tmp $@

## lint: gofmt and go vet; actionlint on the workflows and the README's examples; shellcheck on the shell scripts
lint: lint-go lint-actions lint-shell

lint-go:
	@unformatted="$$(gofmt -l cmd internal)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# actionlint also runs shellcheck on every run: script. The README's YAML
# examples that use the action are written out as workflows that use this
# checkout (uses: ./), so their inputs and outputs are checked against
# action.yml; .github/actionlint.yaml holds the settings.
lint-actions: $(ACTIONLINT) shellcheck-installed
	hack/readme-workflows.sh README.md $(TESTBIN)/readme-workflows
	$(ACTIONLINT) -shellcheck="$$(command -v shellcheck)" .github/workflows/*.yml $(TESTBIN)/readme-workflows/*.yml

lint-shell: shellcheck-installed
	shellcheck $(SHELL_SCRIPTS)

shellcheck-installed:
	@command -v shellcheck >/dev/null 2>&1 || hack/apt-install.sh shellcheck

$(ACTIONLINT):
	@mkdir -p $(TESTBIN)/bin
	GOBIN=$(CURDIR)/$(TESTBIN)/bin.tmp $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TESTBIN)/bin.tmp/actionlint $@
	rmdir $(TESTBIN)/bin.tmp

## clean: remove build outputs and the test binaries
clean:
	rm -rf bin $(TESTBIN)

## bench-install: our apply engine against kubectl apply on the same manifests and API servers
bench-install: testbin
	$(GO) mod download
	hack/netns.sh env GOPROXY=off GOFLAGS=-mod=readonly \
		$(GO) test -count=1 -run '^$$' -bench '^BenchmarkInstallVsKubectl$$' -benchtime $(BENCH_ROUNDS)x -timeout 30m ./internal/apply/ > $(TESTBIN)/bench-install.log 2>&1 || { cat $(TESTBIN)/bench-install.log; exit 1; }
	@grep -E '^BenchmarkInstallVsKubectl' $(TESTBIN)/bench-install.log
	@awk '/^BenchmarkInstallVsKubectl/ { for (i = 1; i < NF; i++) m[$$(i+1)] = $$i } \
		END { if (!("speedup-first-x" in m)) exit 1; \
		printf "install speedup vs kubectl: first=%.1fx reapply=%.1fx\n", m["speedup-first-x"], m["speedup-reapply-x"] }' $(TESTBIN)/bench-install.log

## bench-coldstart: how far our time to first byte is above a local server's known delay
bench-coldstart:
	@mkdir -p $(TESTBIN)
	$(GO) test -run '^$$' -bench '^BenchmarkTTFBError$$' -benchtime 500x -count 5 ./internal/measure/ | tee $(TESTBIN)/bench-coldstart.log
	@awk '/median-error-ms/ { for (i = 1; i < NF; i++) if ($$(i+1) == "median-error-ms") v[n++] = $$i } \
		END { if (n == 0) exit 1; for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t } \
		printf "ttfb error median=%.2fms\n", v[int(n / 2)] }' $(TESTBIN)/bench-coldstart.log
