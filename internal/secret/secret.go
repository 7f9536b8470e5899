// Package secret encrypts credentials at rest with AES-256-GCM under the
// operator's key (FERRY_SECRET_KEY).
//
// A sealed value is version byte || 12-byte random nonce || ciphertext+tag.
// Callers pass additional data that names where the value lives (for example
// the connection id and credential kind), so a ciphertext copied into another
// row fails to open instead of silently decrypting as someone else's token.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version1 marks the layout of a sealed value so the format can change later
// without guessing.
const version1 byte = 1

// ErrNoKey reports that no key was configured. Outside demo mode ferry refuses
// to start without one.
var ErrNoKey = errors.New("secret: no key configured (set FERRY_SECRET_KEY to 32 random bytes, base64 or hex)")

// ErrDecrypt reports a sealed value that does not open: wrong key, wrong
// additional data, or corrupted bytes. It deliberately carries no detail.
var ErrDecrypt = errors.New("secret: cannot decrypt (wrong key or tampered value)")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: new gcm: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a key given as 64 hex digits or as base64 (standard or
// URL alphabet, padded or not) of exactly 32 bytes. An empty string gives
// ErrNoKey. The error never echoes the input, which is secret.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrNoKey
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("secret: key must be %d bytes encoded as base64 or hex (got %d characters)", KeySize, len(s))
}

// GenerateKey returns a new random key, for the demo and for tests.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret: generate key: %w", err)
	}
	return key, nil
}

// EncodeKey formats a key as standard base64, the form ParseKey reads and an
// operator can paste into FERRY_SECRET_KEY.
func EncodeKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// Seal encrypts plaintext bound to additionalData.
func (b *Box) Seal(plaintext, additionalData []byte) ([]byte, error) {
	nonceSize := b.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+nonceSize], plaintext, additionalData), nil
}

// Open decrypts a value made by Seal with the same additional data.
func (b *Box) Open(sealed, additionalData []byte) ([]byte, error) {
	nonceSize := b.aead.NonceSize()
	if len(sealed) < 1+nonceSize+b.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrDecrypt
	}
	plain, err := b.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], additionalData)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// String keeps the key material out of fmt output.
func (b *Box) String() string { return "secret.Box{REDACTED}" }

// GoString keeps the key material out of %#v output.
func (b *Box) GoString() string { return b.String() }

// LogValue keeps the key material out of slog output.
func (b *Box) LogValue() slog.Value { return slog.StringValue(b.String()) }
