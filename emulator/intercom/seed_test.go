package intercom_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/intercom"
)

func TestDemoSeed(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *intercom.Options) { o.Seed = "demo" })

	contacts := f.must(200, "GET", "/contacts?per_page=150", nil)["data"].([]any)
	roles := map[string]int{}
	var located, withUTM, withCompany, withCustom int
	for _, d := range contacts {
		c := d.(map[string]any)
		roles[str(c["role"])]++
		if c["location"].(map[string]any)["country"] != nil {
			located++
		}
		if c["utm_source"] != nil {
			withUTM++
		}
		if c["companies"].(map[string]any)["total_count"].(float64) > 0 {
			withCompany++
		}
		if len(c["custom_attributes"].(map[string]any)) > 0 {
			withCustom++
		}
	}
	if roles["user"] < 10 || roles["lead"] < 5 || located != len(contacts) || withUTM == 0 || withCompany == 0 || withCustom == 0 {
		t.Errorf("demo contacts: roles %v, located %d/%d, utm %d, companies %d, custom %d", roles, located, len(contacts), withUTM, withCompany, withCustom)
	}

	companies := f.must(200, "GET", "/companies?per_page=50", nil)["data"].([]any)
	populated := 0
	for _, d := range companies {
		if d.(map[string]any)["user_count"].(float64) > 0 {
			populated++
		}
	}
	if len(companies) < 4 || populated != len(companies) {
		t.Errorf("demo companies: %d, %d with contacts", len(companies), populated)
	}

	custom := 0
	for _, d := range f.must(200, "GET", "/data_attributes", nil)["data"].([]any) {
		if d.(map[string]any)["custom"] == true {
			custom++
		}
	}
	if custom < 5 {
		t.Errorf("demo has %d custom data attributes", custom)
	}

	states := map[string]int{}
	partTypes := map[string]int{}
	var images, emojis int
	for _, d := range f.must(200, "GET", "/conversations", nil)["conversations"].([]any) {
		conv := f.must(200, "GET", "/conversations/"+str(d.(map[string]any)["id"]), nil)
		states[str(conv["state"])]++
		bodies := []string{str(conv["source"].(map[string]any)["body"])}
		for _, p := range conv["conversation_parts"].(map[string]any)["conversation_parts"].([]any) {
			part := p.(map[string]any)
			partTypes[str(part["part_type"])]++
			bodies = append(bodies, str(part["body"]))
		}
		for _, b := range bodies {
			if strings.Contains(b, "<img src=") {
				images++
			}
			if strings.ContainsAny(b, "😕🎉👍👋😱") {
				emojis++
			}
		}
	}
	if states["open"] == 0 || states["closed"] == 0 || partTypes["comment"] == 0 || partTypes["note"] == 0 || partTypes["close"] == 0 || images == 0 || emojis == 0 {
		t.Errorf("demo conversations: states %v, parts %v, images %d, emojis %d", states, partTypes, images, emojis)
	}
}

func TestCloseWaitsForDeliveryInFlight(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			close(started)
			<-release
		})
	}))
	defer recv.Close()
	srv := intercom.New(intercom.Options{Webhooks: []string{recv.URL}})
	srv.Ping()
	<-started
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a delivery was in flight")
	case <-time.After(50 * time.Millisecond): // a grace period to catch an early return, not a timing assertion
	}
	close(release)
	<-closed
	if u := srv.Usage(); u.WebhooksSent != 1 {
		t.Errorf("usage after Close: %+v", u)
	}
}
