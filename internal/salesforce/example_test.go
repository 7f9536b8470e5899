package salesforce_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

func ExampleQuoteSOQL() {
	email := "o'brien@example.com"
	fmt.Println("SELECT Id FROM Lead WHERE Email = " + salesforce.QuoteSOQL(email))
	// Output: SELECT Id FROM Lead WHERE Email = 'o\'brien@example.com'
}

func ExampleInList() {
	list, err := salesforce.InList([]string{"a@example.com", "b@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("SELECT Id FROM Contact WHERE Email IN " + list)
	// Output: SELECT Id FROM Contact WHERE Email IN ('a@example.com','b@example.com')
}

// Example connects with the web-server flow, persists refreshed tokens
// through the hook, and reads records with the query iterator.
func Example() {
	ctx := context.Background()
	emu := sfemu.New(sfemu.Options{Seed: "empty", AutoApprove: true})
	srv := httptest.NewServer(emu)
	defer srv.Close()

	cfg := &salesforce.Config{
		LoginURL:     srv.URL,
		ClientID:     sfemu.DefaultClientID,
		ClientSecret: sfemu.DefaultClientSecret,
		RedirectURL:  "https://ferry.example/oauth/callback",
	}
	// Send the browser to AuthCodeURL; keep state and verifier server-side.
	state, verifier := "random-state", salesforce.GenerateVerifier()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(cfg.AuthCodeURL(state, verifier))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))
	// On the callback: check state, then exchange the code.
	if callback.Query().Get("state") != state {
		log.Fatal("state mismatch")
	}
	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"), verifier)
	if err != nil {
		log.Fatal(err)
	}

	src := salesforce.NewRefreshingSource(cfg, tok, func(ctx context.Context, tok *salesforce.Token) error {
		return nil // store tok encrypted
	})
	client := salesforce.NewClient(src, salesforce.ClientOptions{})
	if _, err := client.Create(ctx, "Lead", map[string]any{"LastName": "O'Brien", "Company": "Acme"}); err != nil {
		log.Fatal(err)
	}
	for rec, err := range client.Query(ctx, "SELECT Id, LastName FROM Lead WHERE LastName = "+salesforce.QuoteSOQL("O'Brien")) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Type(), rec.String("LastName"))
	}
	// Output: Lead O'Brien
}
