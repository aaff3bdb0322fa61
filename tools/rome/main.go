// Command rome generates search/rome/data/rome.tsv.gz, the ROME tree the
// rome package embeds, from France Travail's ROME_Arbo CSV (make romedata;
// docs/rome.md).
//
// Usage:
//
//	go run ./tools/rome [-csv ../shared/rome/ROME_Arbo_20231127.csv] [-out search/rome/data/rome.tsv.gz] [-list]
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	csvPath := flag.String("csv", "../shared/rome/ROME_Arbo_20231127.csv", "ROME_Arbo CSV of France Travail (semicolon-separated, UTF-8)")
	out := flag.String("out", "search/rome/data/rome.tsv.gz", "generated file")
	list := flag.Bool("list", false, "print every job title with its split (kind, title, masculine, feminine) on stdout")
	flag.Parse()
	if err := run(*csvPath, *out, *list); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(csvPath, out string, list bool) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return fmt.Errorf("rome: %w (pass -csv, or ROME_CSV=… to make romedata)", err)
	}
	defer f.Close()
	tree, err := parseCSV(f)
	if err != nil {
		return err
	}
	text, stats := tree.encode()
	if list {
		for _, a := range tree.appellations {
			fmt.Printf("%s\t%s\t%s\t%s\n", a.kind, a.title, a.masc, a.fem)
		}
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("rome: %w", err)
	}
	// No name or time in the gzip header: the file depends on the CSV only.
	if _, err := zw.Write(text); err != nil {
		return fmt.Errorf("rome: compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("rome: compress: %w", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("rome: %w", err)
	}
	fmt.Fprintf(os.Stderr, "rome: %s: %d grands domaines, %d domaines, %d fiches, %d appellations (%d bytes, %d gzipped)\n",
		out, len(tree.grands), len(tree.domaines), len(tree.fiches), len(tree.appellations), len(text), buf.Len())
	kinds := make([]string, 0, len(stats))
	for k := range stats {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(os.Stderr, "rome: titles %-8s %5d\n", k, stats[k])
	}
	fmt.Fprintf(os.Stderr, "rome: titles not split confidently: %d\n", stats[splitLiteral])
	return nil
}

// node is a grand domaine, domaine or fiche: its code and label.
type node struct{ code, label string }

// appellation is a job title of a fiche and its split.
type appellation struct {
	ogr                    int
	fiche                  string
	title, masc, fem, kind string
}

// tree is the ROME tree in the CSV's order.
type tree struct {
	grands, domaines, fiches []node
	appellations             []appellation
}

// parseCSV reads the ROME_Arbo CSV: craft_field;craft;detailed_craft;name;Code OGR,
// a blank (" ") column meaning "not at this level". It checks that every
// row sits under the rows of the levels above it.
func parseCSV(r io.Reader) (*tree, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = 5
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("rome: read header: %w", err)
	}
	if got := strings.Join(header, ";"); got != "craft_field;craft;detailed_craft;name;Code OGR" {
		return nil, fmt.Errorf("rome: unexpected header %q", got)
	}
	t := &tree{}
	seenCode := map[string]bool{}
	seenOGR := map[int]bool{}
	var grand, domaine, fiche string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("rome: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		gd, dom, fi, name, ogr := rec[0], rec[1], rec[2], clean(rec[3]), rec[4]
		if name == "" {
			return nil, fmt.Errorf("rome: line %d: empty name", line)
		}
		var code string
		switch {
		case gd != "" && dom == "" && fi == "" && ogr == "":
			if len(gd) != 1 || gd[0] < 'A' || gd[0] > 'Z' {
				return nil, fmt.Errorf("rome: line %d: grand domaine %q is not one letter", line, gd)
			}
			code, grand, domaine, fiche = gd, gd, "", ""
			t.grands = append(t.grands, node{code, name})
		case gd != "" && dom != "" && fi == "" && ogr == "":
			if gd != grand || !digits(dom, 2) {
				return nil, fmt.Errorf("rome: line %d: domaine %s;%s out of place", line, gd, dom)
			}
			code = gd + dom
			domaine, fiche = code, ""
			t.domaines = append(t.domaines, node{code, name})
		case gd != "" && dom != "" && fi != "" && ogr == "":
			n, err := strconv.Atoi(fi)
			if gd+dom != domaine || err != nil || n < 1 || n > 99 || !digits(fi, len(fi)) {
				return nil, fmt.Errorf("rome: line %d: fiche %s;%s;%s out of place", line, gd, dom, fi)
			}
			code = fmt.Sprintf("%s%02d", domaine, n)
			fiche = code
			t.fiches = append(t.fiches, node{code, name})
		case gd != "" && dom != "" && fi != "" && ogr != "":
			n, err := strconv.Atoi(ogr)
			fn, ferr := strconv.Atoi(fi)
			if err != nil || n <= 0 || ferr != nil || fmt.Sprintf("%s%s%02d", gd, dom, fn) != fiche {
				return nil, fmt.Errorf("rome: line %d: appellation %q out of place or bad OGR code %q", line, name, ogr)
			}
			if seenOGR[n] {
				return nil, fmt.Errorf("rome: line %d: OGR code %d twice", line, n)
			}
			seenOGR[n] = true
			m, f, kind := splitTitle(name)
			t.appellations = append(t.appellations, appellation{ogr: n, fiche: fiche, title: name, masc: m, fem: f, kind: kind})
			continue
		default:
			return nil, fmt.Errorf("rome: line %d: unexpected columns %q", line, rec)
		}
		if seenCode[code] {
			return nil, fmt.Errorf("rome: line %d: code %s twice", line, code)
		}
		seenCode[code] = true
	}
	if len(t.grands) == 0 || len(t.fiches) == 0 || len(t.appellations) == 0 {
		return nil, fmt.Errorf("rome: empty tree")
	}
	return t, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// encode writes the tree in the format the rome package reads
// (docs/rome.md), in the CSV's order, and counts the titles by split kind:
//
//	G	code	label          grand domaine
//	D	code	label          domaine
//	F	code	label          fiche
//	A	ogr	masculine	feminine   appellation of the fiche above; feminine empty when equal
func (t *tree) encode() ([]byte, map[string]int) {
	var b bytes.Buffer
	b.WriteString("# ROME (Répertoire Opérationnel des Métiers et des Emplois), extract of 2023-11-27.\n")
	b.WriteString("# Source : France Travail — ROME. Licence Ouverte / Open Licence 2.0 (Etalab).\n")
	b.WriteString("# Generated by tools/rome (make romedata); see docs/rome.md.\n")
	stats := map[string]int{}
	byFiche := map[string][]appellation{}
	for _, a := range t.appellations {
		byFiche[a.fiche] = append(byFiche[a.fiche], a)
		stats[a.kind]++
	}
	fi := 0
	di := 0
	for _, g := range t.grands {
		fmt.Fprintf(&b, "G\t%s\t%s\n", g.code, g.label)
		for ; di < len(t.domaines) && t.domaines[di].code[:1] == g.code; di++ {
			d := t.domaines[di]
			fmt.Fprintf(&b, "D\t%s\t%s\n", d.code, d.label)
			for ; fi < len(t.fiches) && t.fiches[fi].code[:3] == d.code; fi++ {
				f := t.fiches[fi]
				fmt.Fprintf(&b, "F\t%s\t%s\n", f.code, f.label)
				for _, a := range byFiche[f.code] {
					fem := a.fem
					if fem == a.masc {
						fem = ""
					}
					fmt.Fprintf(&b, "A\t%d\t%s\t%s\n", a.ogr, a.masc, fem)
				}
			}
		}
	}
	return b.Bytes(), stats
}
