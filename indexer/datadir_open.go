package indexer

import (
	"fmt"

	"github.com/stageindex/stageindex/search"
)

// withDir returns cfg with its index stored under dir.
func withDir(cfg search.Config, dir string) search.Config {
	cfg.Dir = dir
	return cfg
}

// openIndex reopens the index stored under dir. Its error wraps
// search.ErrIncompatible when the index must be rebuilt.
func openIndex(cfg search.Config, dir string) (*search.Index, error) {
	ix, err := search.Open(withDir(cfg, dir))
	if err != nil {
		return nil, fmt.Errorf("indexer: open index: %w", err)
	}
	return ix, nil
}
