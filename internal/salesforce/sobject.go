package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// saveResult is the body of a create or upsert.
type saveResult struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Created bool          `json:"created"`
	Errors  []RecordError `json:"errors"`
}

// validName reports an API name (object or field): letters, digits and
// underscores, starting with a letter. Checking it keeps caller mistakes
// from turning into other URLs.
func validName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i, ch := range s {
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z':
		case i > 0 && (ch >= '0' && ch <= '9' || ch == '_'):
		default:
			return false
		}
	}
	return true
}

// validID reports a 15- or 18-character Salesforce id.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for _, ch := range s {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9') {
			return false
		}
	}
	return true
}

func checkObject(object string) error {
	if !validName(object) {
		return fmt.Errorf("invalid sObject name %q", object)
	}
	return nil
}

func checkObjectID(object, id string) error {
	if err := checkObject(object); err != nil {
		return err
	}
	if !validID(id) {
		return fmt.Errorf("invalid record id %q", id)
	}
	return nil
}

// Create inserts a record and returns its id.
func (c *Client) Create(ctx context.Context, object string, fields map[string]any) (string, error) {
	if err := checkObject(object); err != nil {
		return "", fmt.Errorf("salesforce: create: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, c.dataPath("sobjects/"+object+"/"), nil, fields)
	if err != nil {
		return "", fmt.Errorf("salesforce: create %s: %w", object, err)
	}
	var res saveResult
	if err := decode(resp, &res); err != nil {
		return "", fmt.Errorf("salesforce: create %s: %w", object, err)
	}
	if !res.Success || res.ID == "" {
		return "", fmt.Errorf("salesforce: create %s: %w", object, firstRecordError(res.Errors))
	}
	return res.ID, nil
}

func firstRecordError(errs []RecordError) error {
	if len(errs) == 0 {
		return errors.New("unsuccessful without errors")
	}
	return &errs[0]
}

// Get reads a record; with no fields Salesforce returns all of them.
// A missing record gives an error satisfying errors.Is(err, ErrNotFound).
func (c *Client) Get(ctx context.Context, object, id string, fields ...string) (Record, error) {
	if err := checkObjectID(object, id); err != nil {
		return nil, fmt.Errorf("salesforce: get: %w", err)
	}
	var q url.Values
	if len(fields) > 0 {
		for _, f := range fields {
			if !validName(f) {
				return nil, fmt.Errorf("salesforce: get %s: invalid field name %q", object, f)
			}
		}
		q = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects/"+object+"/"+id), q, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: get %s %s: %w", object, id, err)
	}
	r, err := decodeRecord(resp.body)
	if err != nil {
		return nil, fmt.Errorf("salesforce: get %s %s: %w", object, id, err)
	}
	return r, nil
}

// Update changes the given fields of a record (a nil value clears a field).
func (c *Client) Update(ctx context.Context, object, id string, fields map[string]any) error {
	if err := checkObjectID(object, id); err != nil {
		return fmt.Errorf("salesforce: update: %w", err)
	}
	if len(fields) == 0 {
		return fmt.Errorf("salesforce: update %s %s: no fields", object, id)
	}
	if _, err := c.do(ctx, http.MethodPatch, c.dataPath("sobjects/"+object+"/"+id), nil, fields); err != nil {
		return fmt.Errorf("salesforce: update %s %s: %w", object, id, err)
	}
	return nil
}

// Delete deletes a record (to the recycle bin).
func (c *Client) Delete(ctx context.Context, object, id string) error {
	if err := checkObjectID(object, id); err != nil {
		return fmt.Errorf("salesforce: delete: %w", err)
	}
	if _, err := c.do(ctx, http.MethodDelete, c.dataPath("sobjects/"+object+"/"+id), nil, nil); err != nil {
		return fmt.Errorf("salesforce: delete %s %s: %w", object, id, err)
	}
	return nil
}

// Upsert creates or updates the record whose external-id field extField
// equals extValue, and reports its id and whether it was created. Several
// matching records give an *APIError with status 300.
func (c *Client) Upsert(ctx context.Context, object, extField, extValue string, fields map[string]any) (id string, created bool, err error) {
	if err := checkObject(object); err != nil {
		return "", false, fmt.Errorf("salesforce: upsert: %w", err)
	}
	if !validName(extField) {
		return "", false, fmt.Errorf("salesforce: upsert %s: invalid external id field %q", object, extField)
	}
	if extValue == "" {
		return "", false, fmt.Errorf("salesforce: upsert %s: empty external id value", object)
	}
	resp, err := c.do(ctx, http.MethodPatch, c.dataPath("sobjects/"+object+"/"+extField+"/"+url.PathEscape(extValue)), nil, fields)
	if err != nil {
		return "", false, fmt.Errorf("salesforce: upsert %s: %w", object, err)
	}
	switch resp.status {
	case http.StatusMultipleChoices:
		return "", false, fmt.Errorf("salesforce: upsert %s: %w", object, &APIError{
			StatusCode: resp.status,
			Message:    "external id matches several records: " + shorten(string(resp.body), 300),
		})
	case http.StatusNoContent:
		// API versions before 46.0 answer an update with 204 and no body.
		return "", false, nil
	}
	var res saveResult
	if err := decode(resp, &res); err != nil {
		return "", false, fmt.Errorf("salesforce: upsert %s: %w", object, err)
	}
	if !res.Success {
		return "", false, fmt.Errorf("salesforce: upsert %s: %w", object, firstRecordError(res.Errors))
	}
	return res.ID, res.Created || resp.status == http.StatusCreated, nil
}
