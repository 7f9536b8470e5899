package logs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurationsAreMilliseconds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("applied", "took", 1500*time.Millisecond, "wait_ms", 2*time.Second, "count", 3)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if m["took_ms"] != 1500.0 || m["wait_ms"] != 2000.0 || m["count"] != 3.0 || m["took"] != nil {
		t.Fatalf("line %s: want took_ms 1500, wait_ms 2000, count 3", buf.String())
	}
}

func TestFormatsAndLevels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level, format string
		ok            bool
		line          func(string) bool
	}{
		{"info", "json", true, func(s string) bool { return strings.HasPrefix(s, `{"time":`) }},
		{"info", "text", true, func(s string) bool { return strings.HasPrefix(s, "time=") && strings.Contains(s, "msg=hello") }},
		{"info", "", true, func(s string) bool { return strings.HasPrefix(s, "{") }},
		{"debug", "text", true, func(s string) bool { return strings.Contains(s, "msg=hello") }},
		{"error", "text", true, func(s string) bool { return s == "" }},
		{"info", "xml", false, nil},
		{"loud", "json", false, nil},
	} {
		var buf bytes.Buffer
		log, err := New(&buf, tc.level, tc.format)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q, %q) error %v, want ok %v", tc.level, tc.format, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		log.Info("hello")
		if !tc.line(buf.String()) {
			t.Errorf("New(%q, %q) wrote %q", tc.level, tc.format, buf.String())
		}
	}
}
