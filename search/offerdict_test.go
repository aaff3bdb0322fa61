package search

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/s2"

	"github.com/stageindex/stageindex"
)

var updateDict = flag.Bool("update-dict", false, "train offers.dict again from its texts and write it")

// offerDictTexts are what offerDict is trained on: the hand-written offer
// texts of the ROME evaluation, never the benchmark corpus, on which the
// compression is measured (BenchmarkEncodeDoc).
const offerDictTexts = "../eval/rome/texts.jsonl"

// trainOfferDict trains a dictionary on the bodies of offerDictTexts.
func trainOfferDict(t *testing.T) []byte {
	b, err := dict.BuildS2Dict(trainSamples(t), dict.Options{MaxDictSize: 64 << 10, HashBytes: 6})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trainSamples are the bodies of offerDictTexts.
func trainSamples(t *testing.T) [][]byte {
	f, err := os.Open(offerDictTexts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var samples [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var o stageindex.Offer
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, appendBody(nil, &o))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return samples
}

// TestOfferDict: the embedded dictionary loads, is the one the codec
// names, and makes the demo offers' bodies at least 1.3 times smaller (they
// are not what it was trained on). With -update-dict (go generate), it
// is trained again and written first (a different dictionary each time:
// the trainer is not deterministic).
func TestOfferDict(t *testing.T) {
	if *updateDict {
		b := trainOfferDict(t)
		if err := os.WriteFile("offers.dict", b, 0o644); err != nil {
			t.Fatal(err)
		}
		offerDict = b
	}
	sum := sha256.Sum256(offerDict)
	if got := hex.EncodeToString(sum[:])[:len(offerDictSum)]; *updateDict {
		// Training is not deterministic (the trainer walks maps).
		t.Logf("wrote offers.dict: set offerDictSum to %q", hex.EncodeToString(sum[:])[:16])
	} else if got != offerDictSum {
		t.Fatalf("offers.dict is %s, the codec names %s: set offerDictSum (directories record it)", got, offerDictSum)
	}
	if s2.NewDict(offerDict) == nil {
		t.Fatal("offers.dict does not load")
	}
	plain, packed := 0, 0
	offers := demoOffers(t)
	for _, o := range offers {
		body := appendBody(nil, &o)
		plain += len(body)
		packed += len(theBodyCodec().dict.Encode(nil, body))
	}
	if ratio := float64(plain) / float64(packed); ratio < 1.3 {
		t.Fatalf("bodies compress %.2fx with offers.dict (%d -> %d bytes), want 1.3x or more", ratio, plain, packed)
	} else {
		t.Logf("bodies compress %.2fx (%d -> %d bytes)", ratio, plain, packed)
	}
}
