package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/ferrysync/ferry/internal/settings"
)

func cmdSettings(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("settings", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	conn := fs.String("connection", "", "connection id (default: the default connection)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: ferry settings [--connection ID] get
       ferry settings [--connection ID] set FILE   (FILE "-" reads standard input)

Reads or replaces the settings document through the admin API of the ferry
at FERRY_PUBLIC_URL, authorized by FERRY_ADMIN_TOKEN. "set" validates the
document against the live Salesforce describe and Intercom data attributes;
an invalid document is rejected whole, with every problem listed.`)
		inactive := settings.InactiveSections()
		if len(inactive) > 0 {
			fmt.Fprintln(env.Stderr, "\nAccepted and kept, but they do nothing yet:")
			for _, in := range inactive {
				fmt.Fprintf(env.Stderr, "  %s: %s\n", in.Section, in.Message)
			}
		}
		fs.PrintDefaults()
	}
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fs.Usage()
		return usageError{"want get or set"}
	}
	c, err := newAdminClient(env)
	if err != nil {
		return err
	}
	path := "/api/v1/settings"
	if *conn != "" {
		path += "?connection=" + url.QueryEscape(*conn)
	}
	switch rest[0] {
	case "get":
		if len(rest) != 1 {
			return usageError{"settings get takes no arguments"}
		}
		data, _, err := c.do(ctx, "GET", path, nil, nil)
		if err != nil {
			return err
		}
		var view struct {
			Settings json.RawMessage     `json:"settings"`
			Inactive []settings.Inactive `json:"inactive"`
		}
		if err := json.Unmarshal(data, &view); err != nil || view.Settings == nil {
			return fmt.Errorf("unexpected answer from ferry: %s", data)
		}
		// Only the document on standard output, so that get | edit | set
		// round-trips; the notes go to standard error.
		printInactive(env.Stderr, view.Inactive)
		return writeIndented(env.Stdout, view.Settings)
	case "set":
		if len(rest) != 2 {
			return usageError{"settings set needs a FILE"}
		}
		var doc []byte
		if rest[1] == "-" {
			doc, err = io.ReadAll(os.Stdin)
		} else {
			doc, err = os.ReadFile(rest[1])
		}
		if err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		data, _, err := c.do(ctx, "PUT", path, doc, nil)
		if err != nil {
			return err
		}
		var view struct {
			Version       int64               `json:"version"`
			SkippedChecks []string            `json:"skipped_checks"`
			Inactive      []settings.Inactive `json:"inactive"`
		}
		_ = json.Unmarshal(data, &view)
		fmt.Fprintf(env.Stdout, "settings saved (version %d)\n", view.Version)
		for _, s := range view.SkippedChecks {
			fmt.Fprintf(env.Stderr, "warning: not checked: %s\n", s)
		}
		printInactive(env.Stderr, view.Inactive)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown settings action %q: want get or set", rest[0])}
	}
}

// printInactive notes the settings sections that do nothing yet.
func printInactive(w io.Writer, inactive []settings.Inactive) {
	for _, in := range inactive {
		fmt.Fprintf(w, "note: %s: %s\n", in.Section, in.Message)
	}
}

func writeIndented(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if json.Indent(&buf, data, "", "  ") != nil {
		_, err := w.Write(data)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
