// Package eval measures search relevance on the benchmark corpus: labelled
// pupil queries (queries.tsv) are run around several places and without a
// place, against stageindex and the monstage-style PostgreSQL baseline, and
// scored with the corpus's x_metier ground truth (precision of the first ten
// hits, recall, share of zero-hit searches). `make eval` runs it; see
// docs/relevance.md for the method and the latest figures.
package eval
