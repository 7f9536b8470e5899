package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strings"
)

// queryPage is one batch of a query result.
type queryPage[T any] struct {
	TotalSize      int    `json:"totalSize"`
	Done           bool   `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl"`
	Records        []T    `json:"records"`
}

// Query runs a SOQL query and yields its records, following
// nextRecordsUrl until done. Each page (up to 2,000 records) is one API
// call, made only when the consumer reaches it. On an error it yields
// (nil, err) once and stops. Build literals with QuoteSOQL, InList and
// SOQLDateTime.
func (c *Client) Query(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return queryEach[Record](ctx, c, "query", soql, true)
}

// QueryAll is Query including deleted and archived records (IsDeleted).
func (c *Client) QueryAll(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return queryEach[Record](ctx, c, "queryAll", soql, true)
}

// QueryAs runs a SOQL query like Client.Query and decodes each record into
// T with encoding/json (field names as JSON keys; parent relationships
// decode into nested structs).
func QueryAs[T any](ctx context.Context, c *Client, soql string) iter.Seq2[T, error] {
	return queryEach[T](ctx, c, "query", soql, false)
}

// Count runs a query such as SELECT COUNT() FROM Lead WHERE … and returns
// totalSize without paging through records.
func (c *Client) Count(ctx context.Context, soql string) (int, error) {
	resp, err := c.do(ctx, "GET", c.dataPath("query"), url.Values{"q": {soql}}, nil)
	if err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	var page queryPage[json.RawMessage]
	if err := decode(resp, &page); err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	return page.TotalSize, nil
}

// QuerySubrequest is the Composite subrequest of Client.Query: its answer
// is the query's first page; QueryResult yields its records and follows
// the next pages.
func (c *Client) QuerySubrequest(ref, soql string) Subrequest {
	return Subrequest{Method: "GET", URL: c.dataPath("query") + "?" + url.Values{"q": {soql}}.Encode(), ReferenceID: ref}
}

// QueryResult yields the records of a QuerySubrequest's answer, then those
// of the next pages, each one more API call made only when the consumer
// reaches it. On an error it yields (nil, err) once and stops.
func (c *Client) QueryResult(ctx context.Context, r SubResponse) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		if err := r.Err(); err != nil {
			yield(nil, fmt.Errorf("salesforce: query: %w", err))
			return
		}
		pages[Record](ctx, c, "query", "", nil, r.Body, true)(yield)
	}
}

// queryEach yields the records of every page, decoding each page once.
// useNumber keeps numbers as json.Number (for Record).
func queryEach[T any](ctx context.Context, c *Client, resource, soql string, useNumber bool) iter.Seq2[T, error] {
	return pages[T](ctx, c, resource, c.dataPath(resource), url.Values{"q": {soql}}, nil, useNumber)
}

// pages yields the records of first (a page already read; nil to read
// target with query first) and of the pages after it.
func pages[T any](ctx context.Context, c *Client, resource, target string, query url.Values, first []byte, useNumber bool) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for {
			body := first
			first = nil
			if body == nil {
				resp, err := c.do(ctx, "GET", target, query, nil)
				if err != nil {
					yield(zero, fmt.Errorf("salesforce: %s: %w", resource, err))
					return
				}
				body = resp.body
			}
			var page queryPage[T]
			dec := json.NewDecoder(bytes.NewReader(body))
			if useNumber {
				dec.UseNumber()
			}
			if err := dec.Decode(&page); err != nil {
				yield(zero, fmt.Errorf("salesforce: %s: decode response: %w", resource, err))
				return
			}
			for _, rec := range page.Records {
				if !yield(rec, nil) {
					return
				}
			}
			if page.Done || page.NextRecordsURL == "" {
				return
			}
			// nextRecordsUrl is a path on the instance; refuse anything else
			// so that a malformed answer cannot send the token elsewhere.
			if !strings.HasPrefix(page.NextRecordsURL, "/services/data/") {
				yield(zero, fmt.Errorf("salesforce: %s: unexpected nextRecordsUrl %q", resource, page.NextRecordsURL))
				return
			}
			target, query = page.NextRecordsURL, nil
		}
	}
}
