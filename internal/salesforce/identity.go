package salesforce

import (
	"context"
	"fmt"
	"net/http"
)

// Identity is the connected user as the identity URL describes them.
type Identity struct {
	UserID      string `json:"user_id"`
	OrgID       string `json:"organization_id"`
	Username    string `json:"username"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Active      bool   `json:"active"`
}

// UserInfo reads the identity URL of the current token (Token.ID), which
// names the user and org the connection belongs to.
func (c *Client) UserInfo(ctx context.Context) (*Identity, error) {
	tok, err := c.src.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("salesforce: user info: %w", err)
	}
	if tok.ID == "" {
		return nil, fmt.Errorf("salesforce: user info: token has no identity URL")
	}
	resp, err := c.do(ctx, http.MethodGet, tok.ID, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: user info: %w", err)
	}
	var id Identity
	if err := decode(resp, &id); err != nil {
		return nil, fmt.Errorf("salesforce: user info: %w", err)
	}
	return &id, nil
}
