package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// CredentialKind names which system a credential is for.
type CredentialKind string

// Credential kinds.
const (
	CredentialSalesforce CredentialKind = "salesforce"
	CredentialIntercom   CredentialKind = "intercom"
)

// Credential is a decrypted secret of one connection. Data is the plaintext
// (JSON: SalesforceToken or IntercomToken); it is encrypted before it reaches
// the database and never logged.
type Credential struct {
	ConnectionID int64
	Kind         CredentialKind
	Data         []byte
	UpdatedAt    time.Time
	// Version counts the credential's writes; SwapCredential replaces it
	// only if it is still the version the caller read.
	Version int64
}

// String keeps the secret out of fmt and log output.
func (c Credential) String() string {
	return fmt.Sprintf("Credential{connection %d, %s, %d bytes REDACTED}", c.ConnectionID, c.Kind, len(c.Data))
}

// GoString keeps the secret out of %#v output.
func (c Credential) GoString() string { return c.String() }

// LogValue keeps the secret out of slog output, whatever the handler.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// SalesforceToken is the Data of a salesforce credential.
type SalesforceToken struct {
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token,omitempty"`
	InstanceURL  string    `json:"instance_url"`
	IdentityURL  string    `json:"identity_url,omitempty"`
	IssuedAt     time.Time `json:"issued_at,omitzero"`
}

// String keeps the tokens out of fmt and log output.
func (t SalesforceToken) String() string {
	return fmt.Sprintf("SalesforceToken{instance %s, REDACTED}", t.InstanceURL)
}

// GoString keeps the tokens out of %#v output.
func (t SalesforceToken) GoString() string { return t.String() }

// LogValue keeps the tokens out of slog output (a JSON handler would
// otherwise marshal the fields).
func (t SalesforceToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// IntercomToken is the Data of an intercom credential.
type IntercomToken struct {
	AccessToken string `json:"access_token"`
}

// String keeps the token out of fmt and log output.
func (t IntercomToken) String() string { return "IntercomToken{REDACTED}" }

// GoString keeps the token out of %#v output.
func (t IntercomToken) GoString() string { return t.String() }

// LogValue keeps the token out of slog output.
func (t IntercomToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// SalesforceCredential builds the credential for a Salesforce token.
func SalesforceCredential(connID int64, tok SalesforceToken) (Credential, error) {
	data, err := json.Marshal(tok)
	if err != nil {
		return Credential{}, fmt.Errorf("store: encode salesforce token: %w", err)
	}
	return Credential{ConnectionID: connID, Kind: CredentialSalesforce, Data: data}, nil
}

// IntercomCredential builds the credential for an Intercom access token.
func IntercomCredential(connID int64, tok IntercomToken) (Credential, error) {
	data, err := json.Marshal(tok)
	if err != nil {
		return Credential{}, fmt.Errorf("store: encode intercom token: %w", err)
	}
	return Credential{ConnectionID: connID, Kind: CredentialIntercom, Data: data}, nil
}

// SalesforceToken decodes a salesforce credential's Data.
func (c Credential) SalesforceToken() (SalesforceToken, error) {
	var tok SalesforceToken
	if c.Kind != CredentialSalesforce {
		return tok, fmt.Errorf("store: credential is %s, not salesforce: %w", c.Kind, ErrInvalid)
	}
	if err := json.Unmarshal(c.Data, &tok); err != nil {
		return tok, fmt.Errorf("store: decode salesforce token: %w", err)
	}
	return tok, nil
}

// IntercomToken decodes an intercom credential's Data.
func (c Credential) IntercomToken() (IntercomToken, error) {
	var tok IntercomToken
	if c.Kind != CredentialIntercom {
		return tok, fmt.Errorf("store: credential is %s, not intercom: %w", c.Kind, ErrInvalid)
	}
	if err := json.Unmarshal(c.Data, &tok); err != nil {
		return tok, fmt.Errorf("store: decode intercom token: %w", err)
	}
	return tok, nil
}

// credentialAD binds a ciphertext to its row, so it cannot be replayed as
// another connection's or kind's secret.
func credentialAD(connID int64, kind CredentialKind) []byte {
	return []byte("ferry credential " + strconv.FormatInt(connID, 10) + " " + string(kind))
}

func validKind(kind CredentialKind) bool {
	return kind == CredentialSalesforce || kind == CredentialIntercom
}

// GetCredential returns a decrypted credential.
func (r *reader) GetCredential(ctx context.Context, connID int64, kind CredentialKind) (Credential, error) {
	if r.box == nil {
		return Credential{}, fmt.Errorf("store: get %s credential: %w", kind, ErrNoSecret)
	}
	c := Credential{ConnectionID: connID, Kind: kind}
	var sealed []byte
	err := r.q.queryRow(ctx, `SELECT sealed, updated_at, version FROM credentials WHERE connection_id = $1 AND kind = $2`,
		connID, string(kind)).Scan(&sealed, timeCol{&c.UpdatedAt}, &c.Version)
	if err != nil {
		return Credential{}, notFound(err, "store: get %s credential of connection %d", kind, connID)
	}
	c.Data, err = r.box.Open(sealed, credentialAD(connID, kind))
	if err != nil {
		return Credential{}, fmt.Errorf("store: get %s credential of connection %d: %w", kind, connID, err)
	}
	return c, nil
}

// seal checks a credential's kind and encrypts its data.
func (w *writer) seal(c Credential, op string) ([]byte, error) {
	if w.box == nil {
		return nil, fmt.Errorf("store: %s %s credential: %w", op, c.Kind, ErrNoSecret)
	}
	if !validKind(c.Kind) {
		return nil, fmt.Errorf("store: %s credential: unknown kind %q: %w", op, c.Kind, ErrInvalid)
	}
	sealed, err := w.box.Seal(c.Data, credentialAD(c.ConnectionID, c.Kind))
	if err != nil {
		return nil, fmt.Errorf("store: %s %s credential: %w", op, c.Kind, err)
	}
	return sealed, nil
}

// PutCredential encrypts and stores a credential, replacing any previous one.
func (w *writer) PutCredential(ctx context.Context, c Credential) error {
	sealed, err := w.seal(c, "put")
	if err != nil {
		return err
	}
	_, err = w.q.exec(ctx, `INSERT INTO credentials (connection_id, kind, sealed, updated_at, version) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (connection_id, kind) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at,
			version = credentials.version + 1`,
		c.ConnectionID, string(c.Kind), sealed, now())
	if err != nil {
		return fmt.Errorf("store: put %s credential of connection %d: %w", c.Kind, c.ConnectionID, err)
	}
	return nil
}

// SwapCredential stores c only if the stored credential is still at
// c.Version (as read by GetCredential) and reports whether it did. A token
// refresh calls the token endpoint outside any transaction and then swaps:
// the loser of two concurrent refreshes finds the version moved and uses
// the winner's token, and no transaction waits on the network.
func (w *writer) SwapCredential(ctx context.Context, c Credential) (bool, error) {
	sealed, err := w.seal(c, "swap")
	if err != nil {
		return false, err
	}
	n, err := w.q.exec(ctx, `UPDATE credentials SET sealed = $3, updated_at = $4, version = version + 1
		WHERE connection_id = $1 AND kind = $2 AND version = $5`,
		c.ConnectionID, string(c.Kind), sealed, now(), c.Version)
	if err != nil {
		return false, fmt.Errorf("store: swap %s credential of connection %d: %w", c.Kind, c.ConnectionID, err)
	}
	return n == 1, nil
}

// DeleteCredential forgets a credential (after revoking it, F1.5).
func (w *writer) DeleteCredential(ctx context.Context, connID int64, kind CredentialKind) error {
	n, err := w.q.exec(ctx, `DELETE FROM credentials WHERE connection_id = $1 AND kind = $2`, connID, string(kind))
	if err != nil {
		return fmt.Errorf("store: delete %s credential of connection %d: %w", kind, connID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete %s credential of connection %d: %w", kind, connID, ErrNotFound)
	}
	return nil
}
