package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stageindex/stageindex"
)

// errLine builds a parse error that names the line.
func errLine(n int, format string, a ...any) error {
	return fmt.Errorf("line %d: %s", n, fmt.Sprintf(format, a...))
}

// parseHead splits "word [w=0.6]" into the keyword and its attributes.
func parseHead(n int, head string) (string, map[string]string, error) {
	kw, attrs, ok := strings.Cut(head, "[")
	kw = strings.TrimSpace(kw)
	out := map[string]string{}
	if !ok {
		return kw, out, nil
	}
	body, rest, ok := strings.Cut(attrs, "]")
	if !ok || strings.TrimSpace(rest) != "" {
		return "", nil, errLine(n, "unclosed or misplaced [ ] in %q", head)
	}
	for _, kv := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", nil, errLine(n, "attribute %q is not key=value", strings.TrimSpace(kv))
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return kw, out, nil
}

func weightAttr(n int, attrs map[string]string, def float64) (float64, error) {
	v, ok := attrs["w"]
	if !ok {
		return def, nil
	}
	w, err := strconv.ParseFloat(v, 64)
	if err != nil || !(w > 0 && w <= 1) {
		return 0, errLine(n, "weight %q must be a number in (0,1]", v)
	}
	return w, nil
}

func popAttr(n int, attrs map[string]string, def int) (int, error) {
	v, ok := attrs["pop"]
	if !ok {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 9 {
		return 0, errLine(n, "popularity %q must be an integer 0–9", v)
	}
	return p, nil
}

// items splits a comma-separated list, refusing empty items.
func items(n int, body string) ([]string, error) {
	parts := strings.Split(body, ",")
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(p), " ")
		if parts[i] == "" {
			return nil, errLine(n, "empty entry in list %q", strings.TrimSpace(body))
		}
	}
	return parts, nil
}

// canonicalSectors resolves "A; B" against stageindex.Sectors.
func canonicalSectors(n int, s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		c, ok := stageindex.CanonicalSector(p)
		if !ok {
			return nil, errLine(n, "unknown sector %q", p)
		}
		if slices.Contains(out, c) {
			return nil, errLine(n, "sector %q listed twice", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// parse reads the file line by line; see docs/thesaurus.md for the format.
func (t *Thesaurus) parse(data string) error {
	type pending struct {
		line int
		f    *field
		l    link
	}
	var links []pending
	type claimed struct {
		line  int
		kind  entryKind
		field int
	}
	explicit := map[string]claimed{}
	// claim registers an explicit key. Variants on one line that analyze
	// alike (boulanger, boulangère) are one key; a word may point to several
	// fields, but anything else defined twice is a reviewing mistake.
	claim := func(n int, text string, e entry) error {
		k := t.key(text)
		if k == "" {
			return errLine(n, "%q is only stop words", text)
		}
		if prev, ok := explicit[k]; ok {
			switch {
			case prev.line == n:
				return nil
			case prev.kind == entryWord && e.kind == entryWord && prev.field != e.field:
			default:
				return errLine(n, "%q duplicates an entry of line %d", text, prev.line)
			}
		}
		explicit[k] = claimed{n, e.kind, e.field}
		t.keys[k] = append(t.keys[k], e)
		t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
		return nil
	}
	var cur *field
	for i, raw := range strings.Split(data, "\n") {
		n := i + 1
		line, _, _ := strings.Cut(raw, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		head, body, ok := strings.Cut(line, ":")
		if !ok {
			return errLine(n, "expected \"keyword: entries\", got %q", line)
		}
		kw, attrs, err := parseHead(n, head)
		if err != nil {
			return err
		}
		if kw != "field" && cur == nil {
			return errLine(n, "%q before any field line", kw)
		}
		fi := len(t.fields) - 1
		switch kw {
		case "field":
			name, secs, ok := strings.Cut(body, "|")
			name = strings.Join(strings.Fields(name), " ")
			if !ok || name == "" || strings.Contains(name, ",") {
				return errLine(n, "field line must be \"field: name | Sector; Sector\"")
			}
			sectors, err := canonicalSectors(n, secs)
			if err != nil {
				return err
			}
			pop, err := popAttr(n, attrs, 3)
			if err != nil {
				return err
			}
			cur = &field{name: name, sectors: sectors, pop: pop}
			t.fields = append(t.fields, cur)
			t.byName[t.key(name)] = len(t.fields) - 1
			if err := claim(n, name, entry{kind: entryField, field: len(t.fields) - 1}); err != nil {
				return err
			}
			t.terms = append(t.terms, Term{Text: name, Kind: KindField, Field: name, Popularity: pop})
		case "offers":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			for _, o := range list {
				k := t.key(o)
				if k == "" {
					return errLine(n, "%q is only stop words", o)
				}
				if k == t.key(cur.name) || slices.ContainsFunc(cur.offers, func(p string) bool { return t.key(p) == k }) {
					return errLine(n, "%q listed twice in field %q", o, cur.name)
				}
				cur.offers = append(cur.offers, o)
				t.offers[k] = append(t.offers[k], entry{kind: entryOffer, field: fi})
				t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
			}
		case "job":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			pop, err := popAttr(n, attrs, 2)
			if err != nil {
				return err
			}
			cur.jobs = append(cur.jobs, list)
			for _, j := range list {
				if err := claim(n, j, entry{kind: entryJob, field: fi, group: len(cur.jobs) - 1}); err != nil {
					return err
				}
				t.terms = append(t.terms, Term{Text: j, Kind: KindJob, Field: cur.name, Popularity: pop})
			}
		case "word", "ignore":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			w, err := weightAttr(n, attrs, 1)
			if err != nil {
				return err
			}
			e := entry{kind: entryWord, field: fi, weight: w}
			if kw == "ignore" {
				e.kind = entryIgnore
			}
			for _, x := range list {
				if err := claim(n, x, e); err != nil {
					return err
				}
				if kw == "word" {
					t.terms = append(t.terms, Term{Text: x, Kind: KindWord, Field: cur.name, Popularity: 1})
				}
			}
		case "see":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			w, err := weightAttr(n, attrs, 0.7)
			if err != nil {
				return err
			}
			for _, x := range list {
				links = append(links, pending{n, cur, link{target: x, weight: w}})
			}
		default:
			return errLine(n, "unknown keyword %q (want field, offers, job, word, see or ignore)", kw)
		}
	}
	if len(t.fields) == 0 {
		return fmt.Errorf("no field defined")
	}
	for _, p := range links {
		k := t.key(p.l.target)
		gi, ok := t.byName[k]
		if !ok {
			return errLine(p.line, "see: unknown field %q", p.l.target)
		}
		if t.fields[gi] == p.f {
			return errLine(p.line, "field %q sees itself", p.f.name)
		}
		p.l.target = k
		p.f.see = append(p.f.see, p.l)
	}
	t.keyOf = map[string]string{}
	for _, f := range t.fields {
		for _, x := range append(append([]string{f.name}, f.offers...), slices.Concat(f.jobs...)...) {
			t.keyOf[x] = t.key(x)
		}
	}
	listed := map[string]bool{}
	for _, x := range t.terms {
		listed[t.key(x.Text)] = true
	}
	for _, f := range t.fields {
		if len(f.offers) == 0 {
			return fmt.Errorf("field %q has no offers line", f.name)
		}
		for _, o := range f.offers {
			if k := t.key(o); !listed[k] {
				listed[k] = true
				t.terms = append(t.terms, Term{Text: o, Kind: KindWord, Field: f.name})
			}
		}
	}
	return nil
}
