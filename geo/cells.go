package geo

import (
	"fmt"
	"math"

	"github.com/stageindex/stageindex/internal/lru"
	"github.com/uber/h3-go/v4"
)

// Two H3 resolutions keep a disk lookup near 100–500 cells for any radius
// from 0 to 60 km: fine cells for town-sized searches, coarse ones for wide.
const (
	fineRes       = 7 // mean edge 1.41 km
	coarseRes     = 5 // mean edge 9.85 km
	fineEdgeKm    = 1.406
	coarseEdgeKm  = 9.854
	coarseAboveKm = 20
	// edgeSafety shrinks the mean edge so that cells smaller than average
	// (H3 cells vary in size across the globe) are still fully covered.
	edgeSafety = 0.75
)

// CellIndex maps H3 cells to the ids of the points inside them. It answers
// "which ids may lie within r km of p" with a superset that callers filter
// with HaversineKm. It is not safe for concurrent mutation; callers lock.
//
// Near remembers the non-empty cells of recent disks: visitors search from
// the same towns over and over, and looking up a few hundred cells in a map
// cost more than filtering their points.
type CellIndex struct {
	fine    map[h3.Cell][]int32
	coarse  map[h3.Cell][]int32
	version uint64 // bumped by every Add and Remove: disks cached before are stale
	disks   *diskCache
}

// diskBudget bounds the disk cache, in bytes (diskSize): a disk holds at
// most a few hundred slice headers (24 bytes each), so that 8 MB keep
// two to three thousand disks. It used to be 1,024 disks of 600 bytes,
// 0.6 MB, which held a sixth of the benchmark mix's 841 disks (3.5 MB):
// replayed in turn, an LRU that much smaller than the round hit almost
// never, and every search looked its disk's cells up again (up to 721
// map lookups at 20 km).
const diskBudget = 8 << 20

type diskKey struct {
	origin h3.Cell
	k      int
}

// diskCache is keyed by the index version too: a write makes every disk
// cached before stale, and they age out of the LRU.
type diskCache = lru.Cache[diskVersionKey, disk]

// disk is the non-empty cells of a grid disk: their ids, and the unit
// vector of each cell's centre, by which Near skips the cells no point of
// which can be within the radius.
type disk struct {
	lists   [][]int32
	centres [][3]float64 // unit vectors (UnitVector)
}

// circumFactor bounds a cell's circumradius (centre to farthest vertex)
// as a multiple of its resolution's mean edge. The disk of rings covers
// far more than the radius (a 60 km search reads res-5 cells up to ~120
// km away): 1.6 to 3.3 times as many points as lie within it, in the
// benchmark corpus, each of them read and tested by the search. A cell
// whose centre is farther than the radius plus its circumradius holds no
// point within it. Measured over every res-5 and res-7 cell of France
// (TestCircumFactorBoundsFrance): at most 1.08 mean edges.
const circumFactor = 1.25

type diskVersionKey struct {
	diskKey
	version uint64
}

func diskSize(_ diskVersionKey, d disk) int { return 64 + 48*len(d.lists) }

// NewCellIndex returns an empty index.
func NewCellIndex() *CellIndex {
	return &CellIndex{fine: map[h3.Cell][]int32{}, coarse: map[h3.Cell][]int32{}, disks: lru.New(diskBudget, diskSize)}
}

// Cells returns the fine and coarse cells holding a point.
func Cells(lat, lng float64) (fine, coarse h3.Cell, err error) {
	ll := h3.NewLatLng(lat, lng)
	if fine, err = h3.LatLngToCell(ll, fineRes); err != nil {
		return 0, 0, fmt.Errorf("geo: cell of %v,%v: %w", lat, lng, err)
	}
	return fine, parentCell(fine, coarseRes), nil
}

// CellsOfFine returns what Cells returns for a point whose fine cell
// (as Cells gave it) is fine, without a cgo call: a reopen reads it from
// the offer's stored copy rather than placing the point again (a sixth of
// a 1M reopen's CPU). ok is false when fine is not a cell of the fine
// resolution (none was stored, or another version chose another
// resolution): the caller then calls Cells.
func CellsOfFine(fine h3.Cell) (f, coarse h3.Cell, ok bool) {
	// H3's index layout: mode (bits 59–62, 1 for a cell) and resolution
	// (bits 52–55).
	if v := uint64(fine); v>>59&0xf != 1 || int(v>>52&0xf) != fineRes {
		return 0, 0, false
	}
	return fine, parentCell(fine, coarseRes), true
}

// parentCell is c.Parent(res) for a valid cell c of a finer resolution,
// computed in Go: the parent of an H3 index is the same index with the
// resolution field set to res and the digits below res set to 7 (H3's
// cellToParent). A cgo call for that was a third of a reopen's cell work,
// two calls an offer; TestParentCellIsH3s checks it against H3.
func parentCell(c h3.Cell, res int) h3.Cell {
	const resShift, resMask = 52, 0xf
	v := uint64(c)&^(resMask<<resShift) | uint64(res)<<resShift
	return h3.Cell(v | (1<<(3*(15-res)) - 1))
}

// Add records id at the point.
func (x *CellIndex) Add(id int32, lat, lng float64) error {
	f, c, err := Cells(lat, lng)
	if err != nil {
		return err
	}
	x.AddCells(id, f, c)
	return nil
}

// AddCells records id in the cells Cells gave for its point, computed
// beforehand (a reopened index computes them on every core, outside its
// lock).
func (x *CellIndex) AddCells(id int32, fine, coarse h3.Cell) {
	x.fine[fine] = append(x.fine[fine], id)
	x.coarse[coarse] = append(x.coarse[coarse], id)
	x.version++
}

// Remove forgets id, which must have been added at the same point.
func (x *CellIndex) Remove(id int32, lat, lng float64) {
	f, c, err := Cells(lat, lng)
	if err != nil {
		return
	}
	x.version++
	x.fine[f] = removeID(x.fine[f], id)
	if len(x.fine[f]) == 0 {
		delete(x.fine, f)
	}
	x.coarse[c] = removeID(x.coarse[c], id)
	if len(x.coarse[c]) == 0 {
		delete(x.coarse, c)
	}
}

func removeID(ids []int32, id int32) []int32 {
	for i, v := range ids {
		if v == id {
			ids[i] = ids[len(ids)-1]
			return ids[:len(ids)-1]
		}
	}
	return ids
}

// Near calls fn with every id whose cell may hold points within radiusKm of
// (lat, lng). Each id is given once.
func (x *CellIndex) Near(lat, lng, radiusKm float64, fn func(id int32)) error {
	res, edge, cells := fineRes, fineEdgeKm, x.fine
	if radiusKm > coarseAboveKm {
		res, edge, cells = coarseRes, coarseEdgeKm, x.coarse
	}
	origin, err := h3.LatLngToCell(h3.NewLatLng(lat, lng), res)
	if err != nil {
		return fmt.Errorf("geo: cell of %v,%v: %w", lat, lng, err)
	}
	// A cell k rings away has its centre at least 1.5·k·edge from the origin
	// cell's centre; the point and the target may each sit one edge off-centre.
	k := int(math.Ceil((radiusKm + 2*edge) / (1.5 * edge * edgeSafety)))
	key := diskKey{origin, k}
	d, ok := x.disks.Get(diskVersionKey{key, x.version})
	if !ok {
		cs, err := origin.GridDisk(k)
		if err != nil {
			return fmt.Errorf("geo: disk: %w", err)
		}
		for _, c := range cs {
			if ids := cells[c]; len(ids) > 0 {
				ll, err := c.LatLng()
				if err != nil {
					return fmt.Errorf("geo: centre of %v: %w", c, err)
				}
				d.lists = append(d.lists, ids)
				x, y, z := UnitVector(ll.Lat, ll.Lng)
				d.centres = append(d.centres, [3]float64{x, y, z})
			}
		}
		x.disks.Put(diskVersionKey{key, x.version}, d)
	}
	// The squared chord of the radius plus a cell's circumradius: a cell
	// whose centre is farther holds no point within the radius.
	px, py, pz := UnitVector(lat, lng)
	reach2 := Chord2ForKm(radiusKm + circumFactor*edge)
	for i, ids := range d.lists {
		if c := &d.centres[i]; Chord2(px, py, pz, c[0], c[1], c[2]) > reach2 {
			continue
		}
		for _, id := range ids {
			fn(id)
		}
	}
	return nil
}
