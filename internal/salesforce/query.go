package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strings"
)

// queryPage is one batch of a query result.
type queryPage struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// Query runs a SOQL query and yields its records, following
// nextRecordsUrl until done. On an error it yields (nil, err) once and
// stops. Build literals with QuoteSOQL, InList and SOQLDateTime.
func (c *Client) Query(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return recordsOf(c.queryRaw(ctx, "query", soql))
}

// QueryAll is Query including deleted and archived records (IsDeleted).
func (c *Client) QueryAll(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return recordsOf(c.queryRaw(ctx, "queryAll", soql))
}

// QueryAs runs a SOQL query and decodes each record into T with
// encoding/json (use struct tags matching the field names; parent
// relationships decode into nested structs).
func QueryAs[T any](ctx context.Context, c *Client, soql string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for raw, err := range c.queryRaw(ctx, "query", soql) {
			var v T
			if err == nil {
				if derr := json.Unmarshal(raw, &v); derr != nil {
					err = fmt.Errorf("salesforce: query: decode record: %w", derr)
				}
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// Count runs a query such as SELECT COUNT() FROM Lead WHERE … and returns
// totalSize without paging through records.
func (c *Client) Count(ctx context.Context, soql string) (int, error) {
	resp, err := c.do(ctx, "GET", c.dataPath("query"), url.Values{"q": {soql}}, nil)
	if err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	var page queryPage
	if err := decode(resp, &page); err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	return page.TotalSize, nil
}

func recordsOf(raws iter.Seq2[json.RawMessage, error]) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for raw, err := range raws {
			var r Record
			if err == nil {
				r, err = decodeRecord(raw)
				if err != nil {
					err = fmt.Errorf("salesforce: query: %w", err)
				}
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// queryRaw yields the raw records of every page. Each page is one API call,
// made only when the consumer reaches it.
func (c *Client) queryRaw(ctx context.Context, resource, soql string) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		target, query := c.dataPath(resource), url.Values{"q": {soql}}
		for {
			resp, err := c.do(ctx, "GET", target, query, nil)
			if err != nil {
				yield(nil, fmt.Errorf("salesforce: %s: %w", resource, err))
				return
			}
			var page queryPage
			if err := decode(resp, &page); err != nil {
				yield(nil, fmt.Errorf("salesforce: %s: %w", resource, err))
				return
			}
			for _, raw := range page.Records {
				if !yield(raw, nil) {
					return
				}
			}
			if page.Done || page.NextRecordsURL == "" {
				return
			}
			// nextRecordsUrl is a path on the instance; refuse anything else
			// so that a malformed answer cannot send the token elsewhere.
			if !strings.HasPrefix(page.NextRecordsURL, "/services/data/") {
				yield(nil, fmt.Errorf("salesforce: %s: unexpected nextRecordsUrl %q", resource, page.NextRecordsURL))
				return
			}
			target, query = page.NextRecordsURL, nil
		}
	}
}
