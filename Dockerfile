# Build: docker build -t stageindex .
# Run:   docker run -p 8080:8080 -e DATABASE_URL=postgres://… -v idx:/data stageindex
#        (without DATABASE_URL: the embedded demo offers)
# The image runs as uid:gid 10001:10001; a bind-mounted data dir must be
# writable by it (chown 10001:10001 DIR).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# h3-go is cgo.
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/stageindex ./cmd/stageindex

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 stageindex \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home stageindex \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /out/stageindex /usr/local/bin/stageindex
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
ENV STAGEINDEX_ADDR=:8080 STAGEINDEX_DATA_DIR=/data/index
EXPOSE 8080
# Liveness: the process serves. `stageindex health --ready` checks that an
# index is loaded (what a load balancer should route on).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/stageindex", "health"]
ENTRYPOINT ["/usr/local/bin/stageindex"]
CMD ["serve"]
