// Package logs builds ferry's structured logger: JSON (for log collectors)
// or text (for people), at a chosen level, with every duration written in
// milliseconds under a key ending in _ms.
package logs

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Formats are the log formats New accepts.
var Formats = []string{"json", "text"}

// New returns a logger writing to w at level (debug, info, warn, error) in
// format (json or text).
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: millis}
	switch format {
	case "json", "":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q is not one of %s", format, strings.Join(Formats, ", "))
}

// millis writes a duration attribute as whole milliseconds under key_ms,
// so that no log line mixes nanoseconds (slog's default for durations in
// JSON) with milliseconds.
func millis(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Int64(key, a.Value.Duration().Milliseconds())
}
