package search

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// sameTokens reports how got differs from bleve's unicode tokenizer on
// input, or "".
func sameTokens(input string) string {
	want := unicode.NewUnicodeTokenizer().Tokenize([]byte(input))
	got := wordTokenizer{fallback: unicode.NewUnicodeTokenizer()}.Tokenize([]byte(input))
	show := func(ts analysis.TokenStream) string {
		var b strings.Builder
		for _, t := range ts {
			b.WriteString(t.String())
			b.WriteByte(' ')
		}
		return b.String()
	}
	if len(got) != len(want) {
		return "got " + show(got) + "\nwant " + show(want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if string(g.Term) != string(w.Term) || g.Start != w.Start || g.End != w.End || g.Position != w.Position || g.Type != w.Type {
			return "got " + show(got) + "\nwant " + show(want)
		}
	}
	return ""
}

// TestWordTokenizerMatchesUnicode checks that the fast path splits text
// exactly as bleve's unicode tokenizer: the rules' corner cases, real
// offer texts, and random strings of the fast path's alphabet.
func TestWordTokenizerMatchesUnicode(t *testing.T) {
	cases := []string{
		"", " ", "3e", "3ème", "l'hôpital", "l’hôpital", "salarié·e·s", "a.b", "1,5", "_", "a_b", "__",
		"_1", "1_", "U.S.A.", "co-working", "3.5km", "12h30", "a:b", "1:2", "ª", "µm", "x×y", "x÷y",
		"a'", "'a", "a''b", "1.a", "a.1", "1'2", "a1,2", "1,a", "«a»", "a\u00a0b", "é", "A1b2",
		"a--b", "1,,2", "a..b", "n°1", "e’", "œuvre", "Œuvre", "cœur", "1.2.3", "1,2,3", "a.b.c",
		"a:1", "1;2", "a;b", "a·", "·a", "1·2", "a’b’c", "10 000 €", "9h–17h", "« Stage »",
		"C’est…", "“bonjour”", "• item", "x.", ".x", "a_.b", "a._b", "1_a", "a\tb\nc\r\nd",
		"Boulangerie-pâtisserie : fabrication du pain, des viennoiseries (croissants) & gâteaux !",
		"ÀÉÎÕÜàéîõüÿçÇñÑøØåÅæÆß", "ça", "naïve", "Ô", "mañana",
		// Outside the fast path: the general tokenizer answers.
		"Ĳssel", "日本語のテキスト", "emoji 👩‍🍳 chef", "e\u0301cole", "soft\u00adhyphen", "Ελληνικά", "a\uFE52b",
		"a\u2024b", "x\xffy",
	}
	for _, c := range cases {
		if d := sameTokens(c); d != "" {
			t.Errorf("%q:\n%s", c, d)
		}
	}

	offers := demoOffers(t)
	texts := 0
	check := func(s string) {
		texts++
		if d := sameTokens(s); d != "" {
			t.Errorf("%q:\n%s", s, d)
		}
	}
	for _, o := range offers {
		check(o.Title)
		check(o.Description)
		check(o.EmployerName)
		check(o.EmployerDescription)
	}
	f, err := os.Open("../eval/rome/texts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var x struct{ Title, Description, EmployerName string }
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		check(x.Title)
		check(x.Description)
		check(x.EmployerName)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	alphabet := []string{"a", "Z", "é", "Ê", "ÿ", "œ", "ª", "µ", "0", "7", "_", ":", "·", ".", "'", "’", "‘",
		",", ";", " ", "-", "\u00a0", "«", "°", "…", "€", "×", "!", "\n", "/", "(", "\u00ad", "ĳ"}
	rng := rand.New(rand.NewPCG(3, 12))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		check(b.String())
	}
	if texts < 20000+1000 {
		t.Errorf("checked %d texts, want the demo offers, the ROME texts and 20,000 random strings", texts)
	}
}

// FuzzWordTokenizer compares the fast path with bleve's unicode tokenizer
// on any input (go test -fuzz FuzzWordTokenizer ./search).
func FuzzWordTokenizer(f *testing.F) {
	for _, s := range []string{"l’hôpital", "3.5km", "a_b", "salarié·e·s", "1,2;3", "U.S.A."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := sameTokens(s); d != "" {
			t.Errorf("%q:\n%s", s, d)
		}
	})
}

func BenchmarkTokenize(b *testing.B) {
	offers := demoOffers(b)
	for _, tc := range []struct {
		name string
		tok  analysis.Tokenizer
	}{
		{"unicode", unicode.NewUnicodeTokenizer()},
		{"words", wordTokenizer{fallback: unicode.NewUnicodeTokenizer()}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tc.tok.Tokenize([]byte(offers[i%len(offers)].Description))
				i++
			}
		})
	}
}
