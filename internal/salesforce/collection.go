package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CollectionSize is the most records one sObject Collections call takes;
// the *Many methods split larger inputs into calls of this size.
const CollectionSize = 200

// retrieveSize is the most ids one Collections retrieve takes.
const retrieveSize = 2000

// Result is the outcome for one record of a Collections call.
type Result struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Created bool          `json:"created"` // upserts only
	Errors  []RecordError `json:"errors"`
}

// Err returns the first record error, or nil on success.
func (r Result) Err() error {
	if r.Success {
		return nil
	}
	return firstRecordError(r.Errors)
}

// CreateMany inserts records of one object type in calls of 200 and returns
// one Result per record, in input order. allOrNone rolls back a whole call
// when any record in it fails; atomicity never spans calls.
//
// When a call itself fails, the returned results cover the records of the
// calls that completed before it (a prefix of the input) and err says why,
// so the caller knows exactly which records were not sent.
func (c *Client) CreateMany(ctx context.Context, object string, records []map[string]any, allOrNone bool) ([]Result, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: create many: %w", err)
	}
	for i, rec := range records {
		if _, ok := lookupField(rec, "Id"); ok {
			return nil, fmt.Errorf("salesforce: create many %s: record %d has an Id", object, i)
		}
	}
	return c.collection(ctx, "create many "+object, http.MethodPost, c.dataPath("composite/sobjects"), object, "", records, allOrNone)
}

// UpdateMany updates records of one object type, each identified by its Id
// field, in calls of 200. Results and errors are as for CreateMany.
func (c *Client) UpdateMany(ctx context.Context, object string, records []map[string]any, allOrNone bool) ([]Result, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: update many: %w", err)
	}
	for i, rec := range records {
		v, _ := lookupField(rec, "Id")
		if id, _ := v.(string); !validID(id) {
			return nil, fmt.Errorf("salesforce: update many %s: record %d has no valid Id", object, i)
		}
	}
	return c.collection(ctx, "update many "+object, http.MethodPatch, c.dataPath("composite/sobjects"), object, "id", records, allOrNone)
}

// UpsertMany creates or updates records of one object type matched on the
// external-id field extField (which each record must carry), in calls of
// 200. Result.Created tells which were created.
func (c *Client) UpsertMany(ctx context.Context, object, extField string, records []map[string]any, allOrNone bool) ([]Result, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: upsert many: %w", err)
	}
	if !validName(extField) {
		return nil, fmt.Errorf("salesforce: upsert many %s: invalid external id field %q", object, extField)
	}
	for i, rec := range records {
		if v, ok := lookupField(rec, extField); !ok || v == nil || v == "" {
			return nil, fmt.Errorf("salesforce: upsert many %s: record %d has no %s", object, i, extField)
		}
	}
	return c.collection(ctx, "upsert many "+object, http.MethodPatch, c.dataPath("composite/sobjects/"+object+"/"+extField), object, "", records, allOrNone)
}

// collection sends records in chunks. Each record is copied with
// attributes.type set, so the caller's maps are never modified; with idKey
// set, the record's Id is sent under that key.
func (c *Client) collection(ctx context.Context, op, method, target, object, idKey string, records []map[string]any, allOrNone bool) ([]Result, error) {
	results := make([]Result, 0, len(records))
	for start := 0; start < len(records); start += CollectionSize {
		chunk := records[start:min(start+CollectionSize, len(records))]
		body := struct {
			AllOrNone bool             `json:"allOrNone"`
			Records   []map[string]any `json:"records"`
		}{AllOrNone: allOrNone, Records: make([]map[string]any, len(chunk))}
		for i, rec := range chunk {
			out := make(map[string]any, len(rec)+1)
			for k, v := range rec {
				if idKey != "" && strings.EqualFold(k, "Id") {
					k = idKey
				}
				out[k] = v
			}
			out["attributes"] = map[string]string{"type": object}
			body.Records[i] = out
		}
		resp, err := c.do(ctx, method, target, nil, body)
		if err != nil {
			return results, fmt.Errorf("salesforce: %s (records %d-%d): %w", op, start, start+len(chunk)-1, err)
		}
		var got []Result
		if err := decode(resp, &got); err != nil {
			return results, fmt.Errorf("salesforce: %s (records %d-%d): %w", op, start, start+len(chunk)-1, err)
		}
		if len(got) != len(chunk) {
			return results, fmt.Errorf("salesforce: %s (records %d-%d): %d results for %d records", op, start, start+len(chunk)-1, len(got), len(chunk))
		}
		results = append(results, got...)
	}
	return results, nil
}

// DeleteMany deletes records by id in calls of 200. Results and errors are
// as for CreateMany.
func (c *Client) DeleteMany(ctx context.Context, ids []string, allOrNone bool) ([]Result, error) {
	for _, id := range ids {
		if !validID(id) {
			return nil, fmt.Errorf("salesforce: delete many: invalid record id %q", id)
		}
	}
	results := make([]Result, 0, len(ids))
	for start := 0; start < len(ids); start += CollectionSize {
		chunk := ids[start:min(start+CollectionSize, len(ids))]
		q := url.Values{"ids": {strings.Join(chunk, ",")}, "allOrNone": {strconv.FormatBool(allOrNone)}}
		resp, err := c.do(ctx, http.MethodDelete, c.dataPath("composite/sobjects"), q, nil)
		if err != nil {
			return results, fmt.Errorf("salesforce: delete many (records %d-%d): %w", start, start+len(chunk)-1, err)
		}
		var got []Result
		if err := decode(resp, &got); err != nil {
			return results, fmt.Errorf("salesforce: delete many (records %d-%d): %w", start, start+len(chunk)-1, err)
		}
		if len(got) != len(chunk) {
			return results, fmt.Errorf("salesforce: delete many (records %d-%d): %d results for %d ids", start, start+len(chunk)-1, len(got), len(chunk))
		}
		results = append(results, got...)
	}
	return results, nil
}

// RetrieveMany reads the given fields of records of one object type by id,
// in calls of up to 2,000 ids. The result is in input order; a record that
// does not exist (or was deleted) is nil.
func (c *Client) RetrieveMany(ctx context.Context, object string, ids, fields []string) ([]Record, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: retrieve many: %w", err)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("salesforce: retrieve many %s: no fields", object)
	}
	for _, f := range fields {
		if !validName(f) {
			return nil, fmt.Errorf("salesforce: retrieve many %s: invalid field name %q", object, f)
		}
	}
	for _, id := range ids {
		if !validID(id) {
			return nil, fmt.Errorf("salesforce: retrieve many %s: invalid record id %q", object, id)
		}
	}
	out := make([]Record, 0, len(ids))
	for start := 0; start < len(ids); start += retrieveSize {
		chunk := ids[start:min(start+retrieveSize, len(ids))]
		body := map[string][]string{"ids": chunk, "fields": fields}
		resp, err := c.do(ctx, http.MethodPost, c.dataPath("composite/sobjects/"+object), nil, body)
		if err != nil {
			return out, fmt.Errorf("salesforce: retrieve many %s: %w", object, err)
		}
		var raws []json.RawMessage
		if err := decode(resp, &raws); err != nil {
			return out, fmt.Errorf("salesforce: retrieve many %s: %w", object, err)
		}
		if len(raws) != len(chunk) {
			return out, fmt.Errorf("salesforce: retrieve many %s: %d records for %d ids", object, len(raws), len(chunk))
		}
		for _, raw := range raws {
			if string(raw) == "null" {
				out = append(out, nil)
				continue
			}
			r, err := decodeRecord(raw)
			if err != nil {
				return out, fmt.Errorf("salesforce: retrieve many %s: %w", object, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}
