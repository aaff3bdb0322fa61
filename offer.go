// Package stageindex holds the domain types shared by the indexer, the search
// core and the HTTP API: offers, search requests and results, places and
// error codes. It imports nothing of ours so that every layer can depend on it.
package stageindex

import "time"

// Track is a school track a pupil of troisième follows.
type Track string

// The three tracks of the interchange format.
const (
	TrackGenerale     Track = "generale"
	TrackSEGPA        Track = "segpa"
	TrackPrepaMetiers Track = "prepa_metiers"
)

// Tracks lists every valid track, in the order facets show them.
var Tracks = []Track{TrackGenerale, TrackSEGPA, TrackPrepaMetiers}

// ValidTrack reports whether t is one of Tracks.
func ValidTrack(t Track) bool {
	return t == TrackGenerale || t == TrackSEGPA || t == TrackPrepaMetiers
}

// Offer is one internship offer as exchanged in JSON lines and stored in
// PostgreSQL. Latitude and Longitude are nil only for remote offers without
// an address.
type Offer struct {
	ID                  string     `json:"id"`
	Title               string     `json:"title"`
	Description         string     `json:"description"`
	EmployerName        string     `json:"employer_name"`
	EmployerDescription string     `json:"employer_description,omitempty"`
	Sector              string     `json:"sector,omitempty"`
	Tracks              []Track    `json:"tracks"`
	IsPublic            bool       `json:"is_public"`
	Remote              bool       `json:"remote"`
	HandicapAccessible  bool       `json:"handicap_accessible"`
	Street              string     `json:"street,omitempty"`
	Zipcode             string     `json:"zipcode,omitempty"`
	City                string     `json:"city,omitempty"`
	Department          string     `json:"department,omitempty"`
	Latitude            *float64   `json:"latitude,omitempty"`
	Longitude           *float64   `json:"longitude,omitempty"`
	Weeks               []string   `json:"weeks,omitempty"`
	MaxCandidates       int        `json:"max_candidates"`
	URL                 string     `json:"url,omitempty"`
	PublishedAt         *time.Time `json:"published_at"`
}

// HasLocation reports whether the offer carries coordinates.
func (o *Offer) HasLocation() bool { return o.Latitude != nil && o.Longitude != nil }

// Searchable reports whether the offer may appear in search results at now:
// published (not in the future) and with at least one week not yet over.
// An offer without weeks is open all year.
func (o *Offer) Searchable(now time.Time) bool {
	if o.PublishedAt == nil || o.PublishedAt.After(now) {
		return false
	}
	if len(o.Weeks) == 0 {
		return true
	}
	for _, w := range o.Weeks {
		if !WeekPast(w, now) {
			return true
		}
	}
	return false
}

// Indexable reports whether the offer belongs in a search index at now:
// searchable now or later (published, even with a future date, and with a
// week not yet over). The search core hides it until its publication time,
// so a scheduled offer appears on time without another write.
func (o *Offer) Indexable(now time.Time) bool {
	if o.PublishedAt == nil {
		return false
	}
	later := *o
	if o.PublishedAt.After(now) {
		t := now
		later.PublishedAt = &t
	}
	return later.Searchable(now)
}

// Sectors is monstagedetroisieme.fr's list of sector names, the only values
// accepted in Offer.Sector (matched ignoring case and accents on import).
var Sectors = []string{
	"Administration publique",
	"Agriculture",
	"Architecture, urbanisme et paysage",
	"Armée - Défense",
	"Art et design",
	"Artisanat d'art",
	"Arts du spectacle",
	"Audiovisuel",
	"Automobile",
	"Banque et assurance",
	"Bâtiment et travaux publics (BTP)",
	"Bien-être",
	"Commerce et distribution",
	"Communication",
	"Comptabilité, gestion, ressources humaines",
	"Conseil et audit",
	"Construction aéronautique, ferroviaire et navale",
	"Culture et patrimoine",
	"Droit et justice",
	"Édition, librairie, bibliothèque",
	"Électronique",
	"Énergie",
	"Enseignement",
	"Environnement",
	"Filiere bois",
	"Hôtellerie, restauration",
	"Immobilier, transactions immobilières",
	"Industrie alimentaire",
	"Industrie chimique",
	"Industrie, ingénierie industrielle",
	"Informatique et réseaux",
	"Jeu vidéo",
	"Journalisme",
	"Logistique et transport",
	"Maintenance",
	"Marketing, publicité",
	"Médical",
	"Mode",
	"Paramédical",
	"Recherche",
	"Sécurité",
	"Services postaux",
	"Social",
	"Sport",
	"Tourisme",
	"Traduction, interprétation",
	"Verre, béton, céramique",
}

// CanonicalSector returns the canonical spelling of a sector name typed with
// any case or accents, and false when it is not one of Sectors.
func CanonicalSector(s string) (string, bool) {
	// Most rows name the sector exactly: folding all of Sectors for each
	// was most of Validate's time on a 10,000-row sync.
	for _, c := range Sectors {
		if c == s {
			return c, true
		}
	}
	k := Fold(s)
	for _, c := range Sectors {
		if Fold(c) == k {
			return c, true
		}
	}
	return "", false
}
