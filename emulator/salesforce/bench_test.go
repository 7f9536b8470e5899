package salesforce_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

const benchLeads = 200_000

func benchRecords(n int) []map[string]any {
	recs := make([]map[string]any, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = map[string]any{
			"FirstName": "Lead", "LastName": fmt.Sprintf("N%06d", i), "Company": fmt.Sprintf("Company %d", i%5000),
			"Email": fmt.Sprintf("lead%06d@example.com", i), "Intercom_Id__c": fmt.Sprintf("ic-%06d", i),
			"SystemModstamp": base.Add(time.Duration(i) * time.Second),
		}
	}
	return recs
}

func benchServer(b *testing.B) (*salesforce.Server, []string) {
	b.Helper()
	sf := salesforce.New(salesforce.Options{APIDailyLimit: 1 << 30})
	if err := sf.AddField(salesforce.FieldSpec{Object: "Lead", Name: "Intercom_Id__c", Type: "string", ExternalID: true, Unique: true}); err != nil {
		b.Fatal(err)
	}
	ids, err := sf.LoadRecords("Lead", benchRecords(benchLeads))
	if err != nil {
		b.Fatal(err)
	}
	return sf, ids
}

// BenchmarkLoadRecords measures loading 200,000 Leads.
func BenchmarkLoadRecords(b *testing.B) {
	recs := benchRecords(benchLeads)
	b.ResetTimer()
	for b.Loop() {
		sf := salesforce.New(salesforce.Options{APIDailyLimit: 1 << 30})
		if err := sf.AddField(salesforce.FieldSpec{Object: "Lead", Name: "Intercom_Id__c", Type: "string", ExternalID: true, Unique: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := sf.LoadRecords("Lead", recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchLeads)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkQueryEquality measures /query throughput for equality lookups on
// 200,000 Leads, in-process (no TCP) and over loopback HTTP.
func BenchmarkQueryEquality(b *testing.B) {
	sf, ids := benchServer(b)
	token := passwordTokenFor(b, sf)
	queries := map[string]func(i int) string{
		"Email": func(i int) string {
			return fmt.Sprintf("SELECT Id, Email, SystemModstamp FROM Lead WHERE Email = 'lead%06d@example.com' AND IsConverted = false", i%benchLeads)
		},
		"Id": func(i int) string { return "SELECT Id, Email FROM Lead WHERE Id = '" + ids[i%benchLeads] + "'" },
		"ExternalId": func(i int) string {
			return fmt.Sprintf("SELECT Id FROM Lead WHERE Intercom_Id__c = 'ic-%06d'", i%benchLeads)
		},
		"EmailIn10": func(i int) string {
			q := "SELECT Id, Email FROM Lead WHERE Email IN ("
			for j := 0; j < 10; j++ {
				if j > 0 {
					q += ","
				}
				q += fmt.Sprintf("'lead%06d@example.com'", (i*10+j)%benchLeads)
			}
			return q + ")"
		},
	}
	for _, name := range []string{"Email", "Id", "ExternalId", "EmailIn10"} {
		mk := queries[name]
		b.Run(name+"/inprocess", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					req := httptest.NewRequest("GET", "/services/data/v62.0/query?q="+url.QueryEscape(mk(i)), nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					sf.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					i += 7919
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
	srv := httptest.NewServer(sf)
	defer srv.Close()
	b.Run("Email/http", func(b *testing.B) {
		client := srv.Client()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				req, _ := http.NewRequest("GET", srv.URL+"/services/data/v62.0/query?q="+url.QueryEscape(queries["Email"](i)), nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
				i += 7919
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	})
}

// BenchmarkQueryModstampPage measures a 2,000-record page of the poll query
// (SystemModstamp range, ordered) over 200,000 Leads.
func BenchmarkQueryModstampPage(b *testing.B) {
	sf, _ := benchServer(b)
	token := passwordTokenFor(b, sf)
	q := url.QueryEscape("SELECT Id, Email, SystemModstamp FROM Lead WHERE SystemModstamp > 2026-01-02T00:00:00Z AND IsConverted = false ORDER BY SystemModstamp, Id LIMIT 2000")
	for b.Loop() {
		req := httptest.NewRequest("GET", "/services/data/v62.0/query?q="+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func passwordTokenFor(b *testing.B, sf *salesforce.Server) string {
	b.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {salesforce.DefaultClientID}, "client_secret": {salesforce.DefaultClientSecret},
		"username": {salesforce.DefaultUsername}, "password": {salesforce.DefaultPassword}}
	req := httptest.NewRequest("POST", "/services/oauth2/token", nil)
	req.PostForm = form
	req.Form = form
	rec := httptest.NewRecorder()
	sf.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		b.Fatal(err)
	}
	return m.AccessToken
}
