package intercom

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// DataAttribute describes a contact, company or conversation attribute.
// Built-in attributes have no ID and Custom false.
type DataAttribute struct {
	Type              string     `json:"type,omitempty"`
	ID                FlexString `json:"id,omitempty"`
	Model             string     `json:"model,omitempty"`
	Name              string     `json:"name"`
	FullName          string     `json:"full_name,omitempty"`
	Label             string     `json:"label,omitempty"`
	Description       string     `json:"description,omitempty"`
	DataType          string     `json:"data_type,omitempty"`
	Options           []string   `json:"options,omitempty"`
	APIWritable       bool       `json:"api_writable,omitempty"`
	UIWritable        bool       `json:"ui_writable,omitempty"`
	MessengerWritable bool       `json:"messenger_writable,omitempty"`
	Custom            bool       `json:"custom,omitempty"`
	Archived          bool       `json:"archived,omitempty"`
	AdminID           FlexString `json:"admin_id,omitempty"`
	CreatedAt         Timestamp  `json:"created_at,omitempty"`
	UpdatedAt         Timestamp  `json:"updated_at,omitempty"`
}

// optionList decodes options given either as strings (responses) or as
// {"value":…} objects (what 2.11 documents for requests).
type optionList []string

// UnmarshalJSON implements json.Unmarshaler.
func (o *optionList) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			out = append(out, s)
			continue
		}
		var v struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(r, &v); err != nil {
			return err
		}
		out = append(out, v.Value)
	}
	*o = out
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, accepting both shapes of
// options.
func (d *DataAttribute) UnmarshalJSON(b []byte) error {
	type plain DataAttribute
	var v struct {
		plain
		Options optionList `json:"options"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = DataAttribute(v.plain)
	d.Options = v.Options
	return nil
}

// DataAttributeInput creates a data attribute (Name, Model, DataType
// required) or updates one (Archived, Description, Options,
// MessengerWritable).
type DataAttributeInput struct {
	Name              string   `json:"name,omitempty"`
	Model             string   `json:"model,omitempty"`
	DataType          string   `json:"data_type,omitempty"`
	Description       *string  `json:"description,omitempty"`
	Options           []string `json:"-"`
	MessengerWritable *bool    `json:"messenger_writable,omitempty"`
	Archived          *bool    `json:"archived,omitempty"`
}

// MarshalJSON sends options as [{"value":…}], the 2.11 request shape.
func (in DataAttributeInput) MarshalJSON() ([]byte, error) {
	type plain DataAttributeInput
	type opt struct {
		Value string `json:"value"`
	}
	v := struct {
		plain
		Options []opt `json:"options,omitempty"`
	}{plain: plain(in)}
	for _, o := range in.Options {
		v.Options = append(v.Options, opt{o})
	}
	return json.Marshal(v)
}

// ListDataAttributes lists the attributes of model ("contact", "company" or
// "conversation"; "" for all).
func (c *Client) ListDataAttributes(ctx context.Context, model string, includeArchived bool) ([]DataAttribute, error) {
	q := url.Values{"include_archived": {strconv.FormatBool(includeArchived)}}
	if model != "" {
		q.Set("model", model)
	}
	var out list[DataAttribute]
	if err := c.call(ctx, request{method: http.MethodGet, route: "/data_attributes", path: "/data_attributes", query: q, auth: true}, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// CreateDataAttribute creates a custom attribute. Intercom refuses
// duplicates and bad names with 400 parameter_invalid.
func (c *Client) CreateDataAttribute(ctx context.Context, in DataAttributeInput) (*DataAttribute, error) {
	return callFor[DataAttribute](ctx, c, request{method: http.MethodPost, route: "/data_attributes", path: "/data_attributes", body: in, auth: true})
}

// UpdateDataAttribute updates a custom attribute; its type cannot change.
func (c *Client) UpdateDataAttribute(ctx context.Context, id string, in DataAttributeInput) (*DataAttribute, error) {
	// Name, model and type are fixed after creation; sending them would
	// be an error on some versions.
	in.Name, in.Model, in.DataType = "", "", ""
	return callFor[DataAttribute](ctx, c, request{method: http.MethodPut, route: "/data_attributes/{id}", path: "/data_attributes/" + pathEscape(id), body: in, auth: true})
}
