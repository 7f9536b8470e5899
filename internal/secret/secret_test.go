package secret_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/secret"
)

func newBox(t *testing.T) *secret.Box {
	t.Helper()
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestSealOpen(t *testing.T) {
	t.Parallel()

	box := newBox(t)
	plain := []byte("00Dxx0000001gPL!AQ4AQ.refresh-token")
	ad := []byte("1:salesforce")

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		sealed, err := box.Seal(plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, plain) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := box.Open(sealed, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	})

	t.Run("FreshNonce", func(t *testing.T) {
		t.Parallel()
		a, _ := box.Seal(plain, ad)
		b, _ := box.Seal(plain, ad)
		if bytes.Equal(a, b) {
			t.Fatal("two seals of the same plaintext are identical")
		}
	})

	sealed, err := box.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	wrongVersion := bytes.Clone(sealed)
	wrongVersion[0] = 9

	tests := []struct {
		name   string
		box    *secret.Box
		sealed []byte
		ad     []byte
	}{
		{"WrongAdditionalData", box, sealed, []byte("2:salesforce")},
		{"WrongKey", newBox(t), sealed, ad},
		{"Tampered", box, tampered, ad},
		{"WrongVersion", box, wrongVersion, ad},
		{"Short", box, sealed[:5], ad},
		{"Empty", box, nil, ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.box.Open(tt.sealed, tt.ad); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("Open error = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()

	key := bytes.Repeat([]byte{0xab}, secret.KeySize)
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"Hex", hex.EncodeToString(key), key, nil},
		{"HexUpper", strings.ToUpper(hex.EncodeToString(key)), key, nil},
		{"Base64", base64.StdEncoding.EncodeToString(key), key, nil},
		{"Base64Raw", base64.RawStdEncoding.EncodeToString(key), key, nil},
		{"Base64URL", base64.URLEncoding.EncodeToString(key), key, nil},
		{"Whitespace", " " + secret.EncodeKey(key) + "\n", key, nil},
		{"Empty", "", nil, secret.ErrNoKey},
		{"Spaces", "   ", nil, secret.ErrNoKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secret.ParseKey(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseKey error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("ParseKey = %x, want %x", got, tt.want)
			}
		})
	}

	bad := []struct{ name, in string }{
		{"TooShort", base64.StdEncoding.EncodeToString(key[:16])},
		{"TooLong", hex.EncodeToString(append(key, 1))},
		{"Garbage", "not a key at all, definitely not"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := secret.ParseKey(tt.in)
			if err == nil {
				t.Fatal("ParseKey accepted a bad key")
			}
			if strings.Contains(err.Error(), tt.in) {
				t.Fatalf("error %q echoes the key", err)
			}
		})
	}
}

func TestNewBoxKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := secret.NewBox(make([]byte, n)); err == nil {
			t.Errorf("NewBox accepted a %d-byte key", n)
		}
	}
}

func TestBoxDoesNotPrintKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x41}, secret.KeySize) // "AAAA…" would show up in %v
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(box), fmt.Sprintf("%v %+v %#v", box, box, box), box.LogValue().String()} {
		if strings.Contains(s, "AAAA") || !strings.Contains(s, "REDACTED") {
			t.Fatalf("formatted box %q", s)
		}
	}
}

func BenchmarkSealOpen(b *testing.B) {
	key, _ := secret.GenerateKey()
	box, _ := secret.NewBox(key)
	plain := bytes.Repeat([]byte("t"), 512) // a Salesforce token JSON
	ad := []byte("ferry credential 1 salesforce")
	for b.Loop() {
		sealed, err := box.Seal(plain, ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := box.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
