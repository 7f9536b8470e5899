package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Limit is one entry of the org's limits.
type Limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// UnmarshalJSON accepts numbers and, as in old API versions, numeric
// strings.
func (l *Limit) UnmarshalJSON(data []byte) error {
	var raw struct {
		Max       json.RawMessage `json:"Max"`
		Remaining json.RawMessage `json:"Remaining"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var err error
	if l.Max, err = flexInt(raw.Max); err != nil {
		return fmt.Errorf("limit field Max: %w", err)
	}
	if l.Remaining, err = flexInt(raw.Remaining); err != nil {
		return fmt.Errorf("limit field Remaining: %w", err)
	}
	return nil
}

func flexInt(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

// LimitDailyAPIRequests names the org limit ferry's API budget reads.
const LimitDailyAPIRequests = "DailyApiRequests"

// LimitDailyDeliveredEvents names the org's daily event delivery
// allocation, which change events delivered to subscribers count against.
const LimitDailyDeliveredEvents = "DailyDeliveredPlatformEvents"

// Limits returns the org's limits by name, e.g. Limits[LimitDailyAPIRequests].
func (c *Client) Limits(ctx context.Context) (map[string]Limit, error) {
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("limits"), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: limits: %w", err)
	}
	var out map[string]Limit
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("salesforce: limits: %w", err)
	}
	return out, nil
}

// Version is one REST API version the instance supports.
type Version struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// Versions lists the API versions of the instance (not counted against the
// API limit).
func (c *Client) Versions(ctx context.Context) ([]Version, error) {
	resp, err := c.do(ctx, http.MethodGet, "/services/data/", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: versions: %w", err)
	}
	var out []Version
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("salesforce: versions: %w", err)
	}
	return out, nil
}
