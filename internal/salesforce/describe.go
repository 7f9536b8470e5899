package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
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
	cd, ok := c.describes[key]
	c.describeMu.Unlock()
	if ok {
		return cd.d, nil
	}
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects/"+object+"/describe"), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	d := new(SObjectDescribe)
	if err := decode(resp, d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	c.cacheDescribe(key, d)
	return d, nil
}

// cachedDescribe is a describe and when it was read.
type cachedDescribe struct {
	d  *SObjectDescribe
	at time.Time
}

func (c *Client) cacheDescribe(key string, d *SObjectDescribe) {
	c.describeMu.Lock()
	c.describes[key] = cachedDescribe{d: d, at: time.Now()}
	c.describeMu.Unlock()
}

// DescribeSubrequest is the Composite subrequest of object's describe;
// StoreDescribe caches its answer.
func (c *Client) DescribeSubrequest(ref, object string) (Subrequest, error) {
	if err := checkObject(object); err != nil {
		return Subrequest{}, fmt.Errorf("salesforce: describe: %w", err)
	}
	return Subrequest{Method: http.MethodGet, URL: c.dataPath("sobjects/" + object + "/describe"), ReferenceID: ref}, nil
}

// StoreDescribe caches the answer of object's DescribeSubrequest as read
// now, or returns the error Salesforce answered (ErrNotFound for an
// object the user cannot see).
func (c *Client) StoreDescribe(object string, r SubResponse) (*SObjectDescribe, error) {
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	d := new(SObjectDescribe)
	if err := json.Unmarshal(r.Body, d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: decode response: %w", object, err)
	}
	c.cacheDescribe(strings.ToLower(object), d)
	return d, nil
}

// DescribeFresh returns the describes of objects: those read within
// maxAge from the cache, the others read again, all in one Composite call
// (per 25 objects). Failures are per object in errs (ErrNotFound for an
// object the user cannot see); err is for the call itself.
func (c *Client) DescribeFresh(ctx context.Context, objects []string, maxAge time.Duration) (out map[string]*SObjectDescribe, errs map[string]error, err error) {
	out, errs = map[string]*SObjectDescribe{}, map[string]error{}
	var read []string
	c.describeMu.Lock()
	for _, obj := range objects {
		if cd, ok := c.describes[strings.ToLower(obj)]; ok && maxAge > 0 && time.Since(cd.at) <= maxAge {
			out[obj] = cd.d
		} else {
			read = append(read, obj)
		}
	}
	c.describeMu.Unlock()
	for start := 0; start < len(read); start += MaxSubrequests {
		chunk := read[start:min(start+MaxSubrequests, len(read))]
		subs := make([]Subrequest, len(chunk))
		for i, obj := range chunk {
			if subs[i], err = c.DescribeSubrequest(fmt.Sprintf("describe%d", i), obj); err != nil {
				return out, errs, err
			}
		}
		got, err := c.Composite(ctx, false, subs)
		if err != nil {
			return out, errs, fmt.Errorf("salesforce: describe: %w", err)
		}
		if len(got) != len(chunk) {
			return out, errs, fmt.Errorf("salesforce: describe: %d answers to %d subrequests", len(got), len(chunk))
		}
		for i, obj := range chunk {
			if d, err := c.StoreDescribe(obj, got[i]); err != nil {
				errs[obj] = err
			} else {
				out[obj] = d
			}
		}
	}
	return out, errs, nil
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
