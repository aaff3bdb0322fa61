package stageindex

import "time"

// RemoteMode says whether remote offers ("stage à distance") are searched.
type RemoteMode string

// Remote modes of the remote parameter.
const (
	RemoteExclude RemoteMode = "exclude"
	RemoteInclude RemoteMode = "include"
	RemoteOnly    RemoteMode = "only"
)

// SortOrder is the order of search hits.
type SortOrder string

// Sort orders of the sort parameter.
const (
	SortRelevance SortOrder = "relevance"
	SortDistance  SortOrder = "distance"
	SortDate      SortOrder = "date"
)

// Search limits from the API contract.
const (
	MaxQueryLen    = 200
	MaxRadiusKm    = 60
	DefaultRadius  = 10
	MaxPerPage     = 100
	DefaultPerPage = 20
	MaxResultDepth = 10000
)

// LatLng is a WGS84 point.
type LatLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// SearchRequest is a validated search. Center is nil when no place was given;
// Communes, when set with RadiusKm 0, restricts hits to that commune (its
// INSEE code, plus its arrondissements for Paris, Lyon and Marseille)
// instead of a zero-width circle. Scope, when not nil, restricts hits to
// offers whose department is one of its codes (a département or région
// searched as an area: no Center, no radius); the whole country is a nil
// Scope and no Center.
type SearchRequest struct {
	Query       string
	Center      *LatLng
	RadiusKm    float64
	Communes    []string
	Scope       []string
	Tracks      []Track
	Sectors     []string
	Weeks       []string
	Departments []string
	// ROME filters by ROME codes: a fiche (D1102), a domaine (D11) or a
	// grand domaine (D); an offer matches when its fiche is within one.
	ROME       []string
	IsPublic   *bool
	Accessible *bool
	Remote     RemoteMode
	Sort       SortOrder
	Page       int
	PerPage    int
	// Now decides which offers are past; zero means time.Now().
	Now time.Time
	// Allowed lists the département codes the caller may see, from its
	// partner key; nil means no restriction, a non-nil empty slice nothing.
	// Unlike Departments it is no facet, and no relaxation widens it.
	Allowed []string
}

// Segment is a piece of highlighted text: Match marks the words that matched
// the query. Segments are plain text, never HTML.
type Segment struct {
	Text  string `json:"text"`
	Match bool   `json:"match"`
}

// Hit is one offer in search results. Excerpt is the start of the
// description, given when the search had no keywords; with keywords,
// highlights.description is the excerpt, cut around the first match, and
// sending both would double the text of every response.
type Hit struct {
	ID                 string      `json:"id"`
	Title              string      `json:"title"`
	Excerpt            string      `json:"excerpt,omitempty"`
	EmployerName       string      `json:"employer_name"`
	Sector             string      `json:"sector,omitempty"`
	Tracks             []Track     `json:"tracks"`
	City               string      `json:"city,omitempty"`
	Zipcode            string      `json:"zipcode,omitempty"`
	Department         string      `json:"department,omitempty"`
	Location           *LatLng     `json:"location,omitempty"`
	DistanceKm         *float64    `json:"distance_km,omitempty"`
	Weeks              []string    `json:"weeks"`
	Remote             bool        `json:"remote"`
	IsPublic           bool        `json:"is_public"`
	HandicapAccessible bool        `json:"handicap_accessible"`
	MaxCandidates      int         `json:"max_candidates"`
	URL                string      `json:"url,omitempty"`
	PublishedAt        *time.Time  `json:"published_at,omitempty"`
	Score              float64     `json:"score,omitempty"`
	Highlights         *Highlights `json:"highlights,omitempty"`
	// ROME is the fiche métier of France Travail's ROME the offer's words
	// name best; null when none fits.
	ROME *ROMERef `json:"rome"`
}

// ROMERef names a ROME fiche: its code (D1102) and label.
type ROMERef struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Highlights cuts a hit's title and the excerpt of its description around
// the first match into segments, marking the words the query matched. It is
// there when the search had keywords.
type Highlights struct {
	Description []Segment `json:"description"`
	Title       []Segment `json:"title"`
}

// Facets counts hits per value; each facet ignores its own filter.
type Facets struct {
	Tracks      map[string]int `json:"tracks"`
	Sectors     map[string]int `json:"sectors"`
	Weeks       map[string]int `json:"weeks"`
	Departments map[string]int `json:"departments"`
	// ROMEs counts hits by the ROME fiche code of their offer.
	ROMEs map[string]int `json:"romes"`
}

// Relaxed reports how a search with no hits was widened and what it found.
type Relaxed struct {
	Widened  []string `json:"widened"`
	RadiusKm float64  `json:"radius_km,omitempty"`
	Total    int      `json:"total"`
	Hits     []Hit    `json:"hits"`
}

// SearchResult is the answer to a SearchRequest.
type SearchResult struct {
	Total   int      `json:"total"`
	Page    int      `json:"page"`
	PerPage int      `json:"per_page"`
	TookMs  float64  `json:"took_ms"`
	Place   *Place   `json:"place,omitempty"`
	QUsed   string   `json:"q_used,omitempty"`
	Hits    []Hit    `json:"hits"`
	Facets  Facets   `json:"facets"`
	Relaxed *Relaxed `json:"relaxed,omitempty"`
}

// PlaceKind says what a Place is.
type PlaceKind string

// Kinds of place.
const (
	PlaceCommune    PlaceKind = "commune" // a commune or a municipal arrondissement
	PlaceDepartment PlaceKind = "department"
	PlaceRegion     PlaceKind = "region"
	PlaceCountry    PlaceKind = "country"
)

// Place is a French commune (or arrondissement), département, région or
// the whole country, resolved from a postcode, a code or a name. Code is
// the commune's INSEE code, the département's or région's code, or "FR".
// Label is the name as a list shows it and as `where` takes it back
// ("Saint-Denis (93)", "Saint-Denis (La Réunion)", "Finistère (29)").
// An area (département, région, country) has no point: Lat and Lng are
// zero, and Departments lists the départements it covers (none for the
// country). Approximate marks a commune's coordinates that come from a
// fallback rather than a gazetteer entry of the commune itself. FromQuery
// marks a place read from the keywords (q) rather than from `where`.
type Place struct {
	Name        string    `json:"name"`
	Kind        PlaceKind `json:"kind"`
	Code        string    `json:"code"`
	Label       string    `json:"label"`
	INSEE       string    `json:"insee,omitempty"`
	Postcode    string    `json:"postcode,omitempty"`
	Postcodes   []string  `json:"postcodes,omitempty"`
	Department  string    `json:"department,omitempty"`
	Region      string    `json:"region,omitempty"`
	Departments []string  `json:"departments,omitempty"`
	Lat         float64   `json:"lat,omitempty"`
	Lng         float64   `json:"lng,omitempty"`
	Population  int       `json:"population,omitempty"`
	Approximate bool      `json:"approximate"`
	FromQuery   bool      `json:"from_query,omitempty"`
	Others      []Place   `json:"others,omitempty"`
}

// IsArea reports whether p is a département, a région or the country,
// searched by département rather than around a point.
func (p *Place) IsArea() bool { return p.Kind != PlaceCommune && p.Kind != "" }

// Suggestion is one completion of what a pupil is typing: a job, a field or
// a word found in offers.
type Suggestion struct {
	Text  string `json:"text"`
	Kind  string `json:"kind"` // job, field, word
	Field string `json:"field,omitempty"`
	Count int    `json:"count,omitempty"`
}

// CacheStat is the use of one of the search core's caches, for /metrics.
type CacheStat struct {
	Entries   int
	Bytes     int64 // estimated
	Budget    int64
	Hits      int64
	Misses    int64
	Evictions int64
}

// Stats are the public counts of searchable offers.
type Stats struct {
	Offers      int            `json:"offers"`
	Remote      int            `json:"remote"`
	Departments map[string]int `json:"departments"`
	Tracks      map[string]int `json:"tracks"`
	Sectors     map[string]int `json:"sectors"`
}
