package api

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// Scalar encoders of encode.go, each a copy of what encoding/json does for
// the type (see encode.go for why the search result is encoded by hand).

// errUnsupportedFloat mirrors json.Marshal's refusal of NaN and ±Inf.
var errUnsupportedFloat = errors.New("api: encode: unsupported float value (NaN or Inf)")

// appendTime follows time.Time.MarshalJSON: strict RFC 3339 with
// nanoseconds, which Time.AppendText produces and checks the same way.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, errors.Join(errors.New("api: encode time"), err)
	}
	return append(b, '"'), nil
}

// appendFloat formats f like encoding/json's float64 encoder, itself the
// ES6 number-to-string rule: decimal notation between 1e-6 and 1e21,
// exponent notation outside, without zero padding of the exponent.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errUnsupportedFloat
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes json.Marshal copies as they are: it
// escapes controls, '"', '\\' and, by default, HTML's <, > and &. It is
// filled once and only read.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString quotes s like encoding/json with HTML escaping: invalid
// UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped for JSONP.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are all plain ASCII: titles,
		// URLs and ids are mostly that (appendString was a third of the
		// encoder's time).
		if i+8 <= len(s) {
			m := unsafe8(uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56)
			if m == 0 {
				i += 8
				continue
			}
			// Straight to the first byte that is not plain.
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = appendEscapedASCII(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		// French text is mostly two-byte runes (é, à, ç): a lead byte in
		// C2–DF and a continuation byte always make a valid one.
		if c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// unsafe8 returns, in the high bit of each byte, whether the byte of x
// is one jsonSafe refuses: at or above 0x80, below 0x20, '"', '\\', '<',
// '>' or '&'. Only its lowest set bit is exact (the classic
// has-a-zero-byte bit tricks, whose borrows may flag a byte above the
// first one flagged): all the caller reads.
//
// Written out, without a helper or a loop, so that the compiler inlines it.
func unsafe8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, bs, lt, gt, amp := x^('"'*lo), x^('\\'*lo), x^('<'*lo), x^('>'*lo), x^('&'*lo)
	return (x | (x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs | (lt-lo)&^lt | (gt-lo)&^gt | (amp-lo)&^amp) & hi
}

// appendEscapedASCII writes the escape of an ASCII byte jsonSafe rejects.
func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
