package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ferrysync/ferry/internal/config"
)

// cmdHealthcheck asks the ferry this environment describes whether it is
// up: GET /healthz on FERRY_LISTEN (a wildcard host is reached on the
// loopback). Container images have no curl; their HEALTHCHECK runs this.
func cmdHealthcheck(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	target := fs.String("url", "", "base URL to check instead of the one FERRY_LISTEN gives, e.g. http://127.0.0.1:8080")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry healthcheck [--url URL] [--timeout 5s]\n\nExits 0 when ferry answers GET /healthz with 200, 1 otherwise.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	base := *target
	if base == "" {
		cfg, err := config.Load(env.Getenv)
		if err != nil {
			return err
		}
		host, port, _ := net.SplitHostPort(cfg.Listen)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return usageError{fmt.Sprintf("--url %q: %v", base, err)}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ferry at %s is not answering: %w", base, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("ferry at %s answered /healthz with %s", base, res.Status)
	}
	fmt.Fprintf(env.Stdout, "ferry at %s is up\n", base)
	return nil
}
