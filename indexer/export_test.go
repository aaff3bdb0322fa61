package indexer

// BuildChunked is Build with chunk offers per Apply instead of buildChunk.
var BuildChunked = build
