package search

import (
	"context"
	"testing"
)

func TestPhoneticKey(t *testing.T) {
	tests := []struct {
		typed, word string
		same        bool
	}{
		{"informatik", "informatique", true},
		{"electronik", "electronique", true},
		{"militere", "militaire", true},
		{"flerist", "fleuriste", true},
		{"farmacie", "pharmacie", true},
		{"boucher", "bouchez", true},
		{"bouchere", "bouchaire", true},
		{"chimie", "kimie", false},      // ch is not k
		{"plonbier", "plombier", true},  // m before b sounds n
		{"contable", "comptable", true}, // the p of mpt is silent
		{"conte", "compte", true},
		{"ambulance", "anbulanse", true},
		{"temps", "tant", false},
		{"banque", "blanque", false},
		{"police", "polisse", true},
		{"garage", "garace", false},
		{"vente", "verte", false},
		{"coiffeur", "coiffure", false},
		{"resepsioniste", "receptionniste", true}, // tion sounds sion
		{"raillon", "rayon", true},                // aill sounds ay
		{"survayant", "surveillant", true},        // ay, eill
		{"epad", "ehpad", true},
		{"nation", "nasion", true},
		{"paille", "pale", false},
	}
	for _, tc := range tests {
		t.Run(tc.typed+"/"+tc.word, func(t *testing.T) {
			a, b := phoneticKey(tc.typed), phoneticKey(tc.word)
			if (a == b) != tc.same {
				t.Fatalf("phoneticKey(%q) = %q, phoneticKey(%q) = %q; same sound: %v", tc.typed, a, tc.word, b, tc.same)
			}
		})
	}
}

// TestCorrectByEar: words misspelt past two edits are corrected to the
// thesaurus word that sounds the same; known words and nonsense are left.
func TestCorrectByEar(t *testing.T) {
	ix, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	tests := []struct{ q, want string }{
		{"informatik", "informatique"},
		{"electronik", "electronique"},
		{"militere", "militaire"},
		{"stage informatik", "stage informatique"},
		{"veterinnere", "veterinaire"}, // two edits: typo tolerance already ("veterinere" itself is in the vocabulary)
		{"joalier", "joaillier"},       // two edits at a budget of one, and its key one edit from joaillier's
		{"resepsioniste", "receptionniste"},
		{"survayant", "surveillant"},
		{"epad", "ehpad"},  // four letters: only a word that sounds the same, one edit away
		{"epod", ""},       // four letters, nothing sounds the same
		{"ephad", "ehpad"}, // two letters swapped: one slip, two edits
		{"contable", "comptable"},
		{"sage fame", "sage femme"},                 // too short alone; the phrase says which word
		{"ede a domicile", "aide a domicile"},       // the same, three letters
		{"magazin de sport", "magasin de sport"},    // the phrase beats "magazine", which sounds the same
		{"ressource humène", "ressources humaines"}, // a plural of the lists, typed singular
		{"ede", ""},                              // alone, a three-letter word is left as typed
		{"informatique", ""},                     // known: nothing to correct
		{"travailler dehors", ""},                // "dehors" is a word of the intent, not "décors"
		{"aider les gens qui entendent mal", ""}, // the same, in a longer phrase of intent
		{"zzkrpt", ""},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got, _ := ix.correct(context.Background(), tc.q); got != tc.want {
				t.Fatalf("correct(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

// TestInPhrase: a short or unknown word is corrected to the word that
// makes a thesaurus phrase with its neighbour, never to a stop word that
// leaves the neighbour alone ("boulangerie très").
func TestInPhrase(t *testing.T) {
	ix, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, tc := range []struct {
		words []string
		i     int
		want  string
	}{
		{[]string{"sage", "fame"}, 1, "femme"},
		{[]string{"ede", "a", "domicile"}, 0, "aide"},
		{[]string{"magazin", "de", "sport"}, 0, "magasin"},
		{[]string{"boulangerie", "brest"}, 1, ""},
		{[]string{"fame"}, 0, ""},
	} {
		if got := ix.inPhrase(tc.words, tc.i); got != tc.want {
			t.Errorf("inPhrase(%q, %d) = %q, want %q", tc.words, tc.i, got, tc.want)
		}
	}
}
