package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/config"
)

// adminClient calls a running ferry's admin API, as the CLI tools do: they
// work against any instance (local or remote) and share its validation.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

func newAdminClient(env *cliEnv) (*adminClient, error) {
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		return nil, err
	}
	if cfg.AdminToken == "" {
		return nil, usageError{"FERRY_ADMIN_TOKEN is not set: the CLI needs it to call ferry's admin API at FERRY_PUBLIC_URL"}
	}
	return &adminClient{base: cfg.PublicURL, token: cfg.AdminToken, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// do sends a request and returns the body of a 2xx answer. Other answers
// become errors carrying the API's own message (and problems, if any).
func (c *adminClient) do(ctx context.Context, method, path string, body []byte, header http.Header) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("call ferry at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read ferry's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, nil, apiError(resp.StatusCode, data)
	}
	return data, resp.Header, nil
}

// apiError renders the admin API's error body for a terminal.
func apiError(status int, data []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Problems []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
		return fmt.Errorf("ferry answered %d: %s", status, strings.TrimSpace(string(data)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, HTTP %d)", e.Error.Message, e.Error.Code, status)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Path, p.Message)
	}
	return fmt.Errorf("%s", b.String())
}
