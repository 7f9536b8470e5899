package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// parseEmulatorFlags parses an emulator's flags, refusing positional
// arguments and a --seed other than demo or empty.
func parseEmulatorFlags(fs *flag.FlagSet, args []string, seed *string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments: %v", fs.Args())}
	}
	if *seed != "demo" && *seed != "empty" {
		return usageError{fmt.Sprintf("--seed must be demo or empty, not %q", *seed)}
	}
	return nil
}

// serveEmulator listens on addr, logs the emulator's URL with attrs, and
// serves h until ctx ends; then it shuts down, letting requests in flight
// finish for up to 5 seconds.
func serveEmulator(ctx context.Context, log *slog.Logger, name, addr string, h http.Handler, attrs ...any) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulate %s: listen: %w", name, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info(name+" emulator listening", append([]any{"url", "http://" + ln.Addr().String()}, attrs...)...)
	select {
	case err := <-errc:
		return fmt.Errorf("emulate %s: serve: %w", name, err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("emulate %s: shutdown: %w", name, err)
	}
	log.Info(name + " emulator stopped")
	return nil
}
