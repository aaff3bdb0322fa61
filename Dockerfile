# Build: docker build -t stageindex .
# Run:   docker run -p 8080:8080 -e DATABASE_URL=postgres://… -v idx:/data stageindex
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# h3-go is cgo.
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/stageindex ./cmd/stageindex

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data stageindex \
    && mkdir -p /data && chown stageindex /data
COPY --from=build /out/stageindex /usr/local/bin/stageindex
USER stageindex
ENV STAGEINDEX_ADDR=:8080 STAGEINDEX_DATA_DIR=/data/index
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/stageindex"]
CMD ["serve"]
