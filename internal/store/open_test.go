package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

func TestParseDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		wantEngine store.Engine
		wantTarget string
		wantErr    string
	}{
		{"", store.EngineSQLite, "./ferry.db", ""},
		{"sqlite:///var/lib/ferry/ferry.db", store.EngineSQLite, "/var/lib/ferry/ferry.db", ""},
		{"sqlite://ferry.db", store.EngineSQLite, "ferry.db", ""},
		{"sqlite:data/ferry.db", store.EngineSQLite, "data/ferry.db", ""},
		{"file:/tmp/x.db", store.EngineSQLite, "/tmp/x.db", ""},
		{"/srv/ferry.db", store.EngineSQLite, "/srv/ferry.db", ""},
		{"postgres://u:pw@db:5432/ferry?sslmode=disable", store.EnginePostgres, "postgres://u:pw@db:5432/ferry?sslmode=disable", ""},
		{"postgresql://db/ferry", store.EnginePostgres, "postgresql://db/ferry", ""},
		{"mysql://u:hunter2@db/ferry", "", "", "unsupported"},
		{"sqlite://ferry.db?_pragma=foo", "", "", "query parameters"},
		{":memory:", "", "", "file path"},
		{"sqlite://", "", "", "file path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			engine, target, err := store.ParseDatabaseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil || engine != tt.wantEngine || target != tt.wantTarget {
				t.Fatalf("= %q, %q, %v; want %q, %q", engine, target, err, tt.wantEngine, tt.wantTarget)
			}
		})
	}
}

func TestOpenPostgresBadURLHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "postgres://ferry:hunter2@127.0.0.1:notaport/x", store.Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error = %v", err)
	}
}

func TestNoSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.SQLiteURL(t)
	s, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := newConnection(t, s)
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.PutCredential(ctx, store.Credential{ConnectionID: c.ID, Kind: store.CredentialIntercom, Data: []byte(`{}`)})
	})
	if !errors.Is(err, store.ErrNoSecret) {
		t.Fatalf("PutCredential without a key: %v", err)
	}
	if _, err := s.GetCredential(ctx, c.ID, store.CredentialIntercom); !errors.Is(err, store.ErrNoSecret) {
		t.Fatalf("GetCredential without a key: %v", err)
	}
}

// TestCredentialsEncryptedAtRest writes tokens and then looks for their bytes
// in everything the database keeps: the SQLite files (main, WAL, shared
// memory) or PostgreSQL's stored column.
func TestCredentialsEncryptedAtRest(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := e.URL(t)
			box := storetest.NewBox(t)
			s := storetest.Open(t, url, store.Options{Secret: box})
			c := newConnection(t, s)
			refresh := "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrefreshTOKEN"
			access := "00D5g000004ABCD!AQ4AQaccessTOKEN"
			intercom := "dG9rOmIxMzY1YWQ0X2E2YzdfNDIzMl9iNTlkintercomTOKEN"
			sf, _ := store.SalesforceCredential(c.ID, store.SalesforceToken{RefreshToken: refresh, AccessToken: access, InstanceURL: "https://acme.my.salesforce.com"})
			ic, _ := store.IntercomCredential(c.ID, store.IntercomToken{AccessToken: intercom})
			err := s.InTx(ctx, func(tx store.Tx) error { return errors.Join(tx.PutCredential(ctx, sf), tx.PutCredential(ctx, ic)) })
			if err != nil {
				t.Fatal(err)
			}
			secrets := []string{refresh, access, intercom}

			var stored []byte
			switch e.Engine {
			case store.EngineSQLite:
				// Everything on disk, while the store is open (WAL not yet
				// checkpointed).
				dir := filepath.Dir(strings.TrimPrefix(url, "sqlite://"))
				entries, _ := os.ReadDir(dir)
				for _, ent := range entries {
					b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
					if err != nil {
						t.Fatal(err)
					}
					stored = append(stored, b...)
				}
				// The scan sees plaintext columns, so it would see a token.
				if !bytes.Contains(stored, []byte(t.Name())) {
					t.Fatal("connection name not found on disk: the scan reads the wrong files")
				}
			case store.EnginePostgres:
				var all string
				rawDB{t, e.Engine, url}.queryRow(`SELECT string_agg(encode(sealed, 'escape'), '|') FROM credentials`, nil, &all)
				stored = []byte(all)
			}
			for _, sec := range secrets {
				if bytes.Contains(stored, []byte(sec)) {
					t.Errorf("token %q… stored in plaintext", sec[:8])
				}
			}

			// A store with another key cannot read them.
			other := storetest.Open(t, url, store.Options{Secret: storetest.NewBox(t)})
			if _, err := other.GetCredential(ctx, c.ID, store.CredentialSalesforce); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("read with the wrong key: %v", err)
			}
			got, err := s.GetCredential(ctx, c.ID, store.CredentialSalesforce)
			if err != nil {
				t.Fatal(err)
			}
			if tok, _ := got.SalesforceToken(); tok.RefreshToken != refresh {
				t.Fatalf("refresh token = %q", tok.RefreshToken)
			}
		})
	}
}

// TestMigrateConcurrently starts several stores on one database at once, as
// instances starting together do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := e.URL(t)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			stores := make(chan store.Store, 4)
			for range 4 {
				wg.Go(func() {
					s, err := store.Open(ctx, url, store.Options{Secret: storetest.NewBox(t)})
					if err != nil {
						errs <- err
						return
					}
					stores <- s
					errs <- s.Migrate(ctx)
				})
			}
			wg.Wait()
			close(errs)
			close(stores)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			for s := range stores {
				newConnection(t, s) // the schema works from every instance
				s.Close()
			}
		})
	}
}

func TestSQLiteUsesWAL(t *testing.T) {
	t.Parallel()
	url := storetest.SQLiteURL(t)
	storetest.Open(t, url, store.Options{})
	var mode string
	rawDB{t, store.EngineSQLite, url}.queryRow(`PRAGMA journal_mode`, nil, &mode)
	if mode != "wal" {
		t.Fatalf("journal_mode = %q, want wal", mode)
	}
}
