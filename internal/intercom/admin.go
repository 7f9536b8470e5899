package intercom

import (
	"context"
	"net/http"
)

// Admin is an Intercom teammate.
type Admin struct {
	Type             string       `json:"type,omitempty"`
	ID               string       `json:"id"`
	Name             string       `json:"name,omitempty"`
	Email            string       `json:"email,omitempty"`
	EmailVerified    bool         `json:"email_verified,omitempty"`
	JobTitle         string       `json:"job_title,omitempty"`
	AwayModeEnabled  bool         `json:"away_mode_enabled,omitempty"`
	AwayModeReassign bool         `json:"away_mode_reassign,omitempty"`
	HasInboxSeat     bool         `json:"has_inbox_seat,omitempty"`
	TeamIDs          []FlexString `json:"team_ids,omitempty"`
	// App is set only in the answer to Me.
	App *App `json:"app,omitempty"`
}

// App is the workspace an access token belongs to.
type App struct {
	Type      string    `json:"type,omitempty"`
	IDCode    string    `json:"id_code"`
	Name      string    `json:"name,omitempty"`
	Region    string    `json:"region,omitempty"`
	Timezone  string    `json:"timezone,omitempty"`
	CreatedAt Timestamp `json:"created_at,omitempty"`
}

// Team is an Intercom team.
type Team struct {
	Type     string       `json:"type,omitempty"`
	ID       string       `json:"id"`
	Name     string       `json:"name,omitempty"`
	AdminIDs []FlexString `json:"admin_ids,omitempty"`
}

// Me returns the admin the token acts as, with the workspace ("app"). It is
// the cheapest way to check that a token works.
func (c *Client) Me(ctx context.Context) (*Admin, error) {
	return callFor[Admin](ctx, c, request{method: http.MethodGet, route: "/me", path: "/me", auth: true})
}

// ListAdmins returns all admins of the workspace.
func (c *Client) ListAdmins(ctx context.Context) ([]Admin, error) {
	var out struct {
		Admins []Admin `json:"admins"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, route: "/admins", path: "/admins", auth: true}, &out); err != nil {
		return nil, err
	}
	return out.Admins, nil
}

// GetAdmin fetches one admin.
func (c *Client) GetAdmin(ctx context.Context, id string) (*Admin, error) {
	return callFor[Admin](ctx, c, request{method: http.MethodGet, route: "/admins/{id}", path: "/admins/" + pathEscape(id), auth: true})
}

// ListTeams returns all teams of the workspace.
func (c *Client) ListTeams(ctx context.Context) ([]Team, error) {
	var out struct {
		Teams []Team `json:"teams"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, route: "/teams", path: "/teams", auth: true}, &out); err != nil {
		return nil, err
	}
	return out.Teams, nil
}
