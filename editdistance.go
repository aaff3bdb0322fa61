package stageindex

// EditDistance returns the Levenshtein distance between a and b, counted in
// bytes (callers compare Fold-ed, hence mostly ASCII, keys), or limit+1 as
// soon as it is known to exceed limit: typo tolerance only asks whether two
// words are close, and the early exit keeps a scan over thousands of words
// cheap.
func EditDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Words fit the stack buffers; longer strings get the heap.
	var bufP, bufC [48]int
	prev, cur := bufP[:0], bufC[:0]
	if len(b)+1 > len(bufP) {
		prev, cur = make([]int, 0, len(b)+1), make([]int, 0, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit+1)
}
