package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// SObjectDescribe is the metadata of one object type (the subset ferry
// uses).
type SObjectDescribe struct {
	Name       string  `json:"name"`
	Label      string  `json:"label"`
	KeyPrefix  string  `json:"keyPrefix"`
	Custom     bool    `json:"custom"`
	Createable bool    `json:"createable"`
	Updateable bool    `json:"updateable"`
	Deletable  bool    `json:"deletable"`
	Queryable  bool    `json:"queryable"`
	Fields     []Field `json:"fields"`
}

// Field returns the field named name (case-insensitive), or nil. Fields
// hidden from the user by field-level security are absent from describe.
func (d *SObjectDescribe) Field(name string) *Field {
	for i := range d.Fields {
		if strings.EqualFold(d.Fields[i].Name, name) {
			return &d.Fields[i]
		}
	}
	return nil
}

// Field is one field of a describe.
type Field struct {
	Name               string          `json:"name"`
	Label              string          `json:"label"`
	Type               string          `json:"type"` // id, string, email, picklist, reference, boolean, datetime, …
	SoapType           string          `json:"soapType"`
	Length             int             `json:"length"`
	Precision          int             `json:"precision"`
	Scale              int             `json:"scale"`
	Createable         bool            `json:"createable"`
	Updateable         bool            `json:"updateable"`
	Nillable           bool            `json:"nillable"`
	DefaultedOnCreate  bool            `json:"defaultedOnCreate"`
	Unique             bool            `json:"unique"`
	ExternalID         bool            `json:"externalId"`
	IDLookup           bool            `json:"idLookup"`
	Custom             bool            `json:"custom"`
	Calculated         bool            `json:"calculated"`
	Filterable         bool            `json:"filterable"`
	NameField          bool            `json:"nameField"`
	RestrictedPicklist bool            `json:"restrictedPicklist"`
	PicklistValues     []PicklistValue `json:"picklistValues"`
	ReferenceTo        []string        `json:"referenceTo"`
	RelationshipName   string          `json:"relationshipName"`
}

// Required reports a field that must be given on create.
func (f *Field) Required() bool {
	return f.Createable && !f.Nillable && !f.DefaultedOnCreate
}

// PicklistValue is one option of a picklist field.
type PicklistValue struct {
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
	Label        string `json:"label"`
	Value        string `json:"value"`
}

// Describe returns the object's metadata, cached per client after the first
// call: describes are large and change only when an admin edits the object.
// The result is shared; do not modify it. Use InvalidateDescribe after a
// schema change (e.g. when a setup check fails).
func (c *Client) Describe(ctx context.Context, object string) (*SObjectDescribe, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: describe: %w", err)
	}
	key := strings.ToLower(object)
	c.describeMu.Lock()
	d, ok := c.describes[key]
	c.describeMu.Unlock()
	if ok {
		return d, nil
	}
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects/"+object+"/describe"), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	d = new(SObjectDescribe)
	if err := decode(resp, d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	c.describeMu.Lock()
	c.describes[key] = d
	c.describeMu.Unlock()
	return d, nil
}

// InvalidateDescribe drops the cached describe of object, or of all objects
// when object is "".
func (c *Client) InvalidateDescribe(object string) {
	c.describeMu.Lock()
	defer c.describeMu.Unlock()
	if object == "" {
		clear(c.describes)
		return
	}
	delete(c.describes, strings.ToLower(object))
}

// GlobalSObject is one entry of DescribeGlobal.
type GlobalSObject struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	KeyPrefix  string `json:"keyPrefix"`
	Custom     bool   `json:"custom"`
	Createable bool   `json:"createable"`
	Updateable bool   `json:"updateable"`
	Queryable  bool   `json:"queryable"`
}

// DescribeGlobal lists the org's object types.
func (c *Client) DescribeGlobal(ctx context.Context) ([]GlobalSObject, error) {
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects"), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: describe global: %w", err)
	}
	var out struct {
		SObjects []GlobalSObject `json:"sobjects"`
	}
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("salesforce: describe global: %w", err)
	}
	return out.SObjects, nil
}
