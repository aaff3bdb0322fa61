package web

import (
	"encoding/json"
	"fmt"
)

// rect is a box of the map, in its viewBox units.
type rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// franceMap is france.json: one SVG path per département, drawn by
// tools/webassets/build.js from Natural Earth's boundaries (public domain).
type franceMap struct {
	ViewBox     string `json:"viewBox"`
	Insets      []rect `json:"insets"`
	Departments []struct {
		Code string `json:"code"`
		Name string `json:"name"`
		D    string `json:"d"`
	} `json:"departments"`
	// Paris draws 75, 92, 93 and 94 again, larger, in Box.
	Paris struct {
		Box         rect `json:"box"`
		Departments []struct {
			Code string `json:"code"`
			D    string `json:"d"`
		} `json:"departments"`
	} `json:"paris"`
	names map[string]string
}

func loadFrance() (franceMap, error) {
	var m franceMap
	b, err := files.ReadFile("france.json")
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("france.json: %w", err)
	}
	m.names = map[string]string{}
	for _, d := range m.Departments {
		m.names[d.Code] = d.Name
	}
	return m, nil
}

func (m franceMap) has(code string) bool { _, ok := m.names[code]; return ok }

// name is a département's name, "" for an unknown code.
func (m franceMap) name(code string) string { return m.names[code] }
