package salesforce

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// parseSOQLLiteral is a minimal tokenizer for one single-quoted SOQL string
// literal at the start of s, following the escapes Salesforce documents. It
// returns the literal's value and the rest of s after the closing quote.
func parseSOQLLiteral(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		return "", "", errors.New("no opening quote")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			return b.String(), s[i+1:], nil
		case c == '\n' || c == '\r':
			return "", "", errors.New("raw line break inside literal")
		case c < 0x20 || c == 0x7f:
			return "", "", errors.New("raw control character inside literal")
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", "", errors.New("dangling backslash")
		}
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case 'r', 'R':
			b.WriteByte('\r')
		case 't', 'T':
			b.WriteByte('\t')
		case 'b', 'B':
			b.WriteByte('\b')
		case 'f', 'F':
			b.WriteByte('\f')
		case '"', '\'', '\\':
			b.WriteByte(s[i])
		case 'u':
			if i+4 >= len(s) {
				return "", "", errors.New("short \\u escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", "", errors.New("bad \\u escape")
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", "", errors.New("unknown escape \\" + string(s[i]))
		}
	}
	return "", "", errors.New("unterminated literal")
}

func TestEscapeSOQL(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want string
	}{
		{"Plain", "bob@example.com", "bob@example.com"},
		{"Empty", "", ""},
		{"SingleQuote", "Bob's BBQ", `Bob\'s BBQ`},
		{"DoubleQuote", `say "hi"`, `say \"hi\"`},
		{"Backslash", `C:\dir`, `C:\\dir`},
		{"BackslashQuote", `\'`, `\\\'`},
		{"InjectionAttempt", "x' OR Id != null OR Email = '", `x\' OR Id != null OR Email = \'`},
		{"Newline", "a\nb", `a\nb`},
		{"CarriageReturn", "a\r\nb", `a\r\nb`},
		{"Tab", "a\tb", `a\tb`},
		{"BackspaceFormFeed", "a\b\fb", `a\b\fb`},
		{"NUL", "a\x00b", `a\u0000b`},
		{"Escape", "\x1b[31m", `\u001B[31m`},
		{"DEL", "\x7f", `\u007F`},
		{"LineSeparator", "a\u2028b\u2029c\u0085", `a\u2028b\u2029c\u0085`},
		{"Unicode", "Zoë 日本 🙂", "Zoë 日本 🙂"},
		{"PercentUnderscoreKept", "100%_x", "100%_x"},
		{"InvalidUTF8", "a\xffb", "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := EscapeSOQL(tt.in)
			if got != tt.want {
				t.Fatalf("EscapeSOQL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			value, rest, err := parseSOQLLiteral(QuoteSOQL(tt.in))
			if err != nil || rest != "" || value != tt.in {
				t.Fatalf("QuoteSOQL(%q) parses to %q rest %q err %v", tt.in, value, rest, err)
			}
		})
	}
}

func TestEscapeSOQLLike(t *testing.T) {
	t.Parallel()

	tests := []struct{ in, want string }{
		{"100%", `100\%`},
		{"a_b", `a\_b`},
		{"it's 50%_", `it\'s 50\%\_`},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := EscapeSOQLLike(tt.in); got != tt.want {
				t.Fatalf("EscapeSOQLLike(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestInList(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		in      []string
		want    string
		wantErr error
	}{
		{"Empty", nil, "", ErrEmptyInList},
		{"One", []string{"a@b.c"}, "('a@b.c')", nil},
		{"Several", []string{"a", "b'c", `d\`}, `('a','b\'c','d\\')`, nil},
		{"Duplicates", []string{"a", "b", "a"}, "('a','b')", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := InList(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("InList(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestSplitInLists: IN lists hold at most maxValues values and maxSize
// bytes each, duplicates dropped across lists; a value that fits no list is
// handed back, never put in one.
func TestSplitInLists(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		in        []string
		maxValues int
		maxSize   int
		want      []string
		tooBig    []string
	}{
		{"Empty", nil, 2, 100, nil, nil},
		{"ByCount", []string{"a", "b", "c"}, 2, 100, []string{"('a','b')", "('c')"}, nil},
		{"ByLength", []string{"aaaa", "bbbb", "cccc"}, 10, 15, []string{"('aaaa','bbbb')", "('cccc')"}, nil},
		{"OversizedValueHandedBack", []string{"a", "this one is long", "b"}, 10, 8, []string{"('a')", "('b')"}, []string{"this one is long"}},
		{"DuplicatesAcrossLists", []string{"a", "b", "a", "c", "b"}, 2, 100, []string{"('a','b')", "('c')"}, nil},
		{"Escaped", []string{"o'b"}, 10, 100, []string{`('o\'b')`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			groups, tooBig := splitInLists(tt.in, tt.maxValues, tt.maxSize, func(s string) int { return len(s) })
			var got []string
			for _, g := range groups {
				list, err := InList(g)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) > tt.maxSize {
					t.Errorf("list %q over %d bytes", list, tt.maxSize)
				}
				got = append(got, list)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || strings.Join(tooBig, "|") != strings.Join(tt.tooBig, "|") {
				t.Fatalf("splitInLists = %q, %q; want %q, %q", got, tooBig, tt.want, tt.tooBig)
			}
		})
	}
}

func TestSOQLDateTime(t *testing.T) {
	t.Parallel()

	loc := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC", time.Date(2026, 5, 1, 12, 30, 45, 0, time.UTC), "2026-05-01T12:30:45Z"},
		{"OtherZone", time.Date(2026, 5, 1, 1, 0, 0, 0, loc), "2026-04-30T23:00:00Z"},
		{"TruncatesMillis", time.Date(2026, 5, 1, 0, 0, 0, 999_000_000, time.UTC), "2026-05-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SOQLDateTime(tt.in); got != tt.want {
				t.Fatalf("SOQLDateTime = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzQuoteSOQL checks that for any input, the quoted literal placed in a
// query tokenizes back into exactly the input, with nothing after it.
func FuzzQuoteSOQL(f *testing.F) {
	for _, s := range []string{"", "plain", "O'Brien", `\`, `\'`, "a\nb", "\x00", "日本", "\u2028", "\xff", `'; DELETE`, `\u0027`} {
		f.Add(s)
	}
	const prefix = "SELECT Id FROM Lead WHERE Email = "
	f.Fuzz(func(t *testing.T, s string) {
		q := prefix + QuoteSOQL(s)
		value, rest, err := parseSOQLLiteral(strings.TrimPrefix(q, prefix))
		if err != nil {
			t.Fatalf("QuoteSOQL(%q) = %q does not tokenize: %v", s, q, err)
		}
		if rest != "" {
			t.Fatalf("QuoteSOQL(%q) leaves %q after the literal", s, rest)
		}
		if value != s {
			t.Fatalf("QuoteSOQL(%q) tokenizes to %q", s, value)
		}
		if utf8.ValidString(s) && !utf8.ValidString(q) {
			t.Fatalf("QuoteSOQL(%q) produced invalid UTF-8", s)
		}
		if strings.ContainsAny(EscapeSOQL(s), "\n\r") {
			t.Fatalf("EscapeSOQL(%q) contains a raw line break", s)
		}
	})
}
