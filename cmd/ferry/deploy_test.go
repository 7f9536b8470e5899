package main

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	env, out, _ := testEnv(nil)
	if code := run(context.Background(), []string{"version"}, env); code != 0 {
		t.Fatalf("version: exit %d", code)
	}
	env2, out2, _ := testEnv(nil)
	if code := run(context.Background(), []string{"--version"}, env2); code != 0 || out2.String() != out.String() {
		t.Fatalf("--version: exit %d, printed %q, want %q", code, out2.String(), out.String())
	}
	if !strings.HasPrefix(out.String(), "ferry ") || !strings.Contains(out.String(), "revision ") || !strings.Contains(out.String(), "built with go") {
		t.Fatalf("version printed %q", out.String())
	}
	got := buildVersion(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "4cffc47aa"}, {Key: "vcs.time", Value: "2026-12-04T22:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}, true)
	want := "ferry v1.2.3\nrevision 4cffc47aa (2026-12-04T22:00:00Z) +modified\nbuilt with go1.26.0"
	if got != want {
		t.Fatalf("buildVersion = %q, want %q", got, want)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = w.Write([]byte("ok\n"))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(up.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	host := strings.TrimPrefix(up.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want int
	}{
		{"up, from FERRY_LISTEN", []string{"healthcheck"}, map[string]string{"FERRY_LISTEN": host}, 0},
		{"up, wildcard FERRY_LISTEN is reached on the loopback", []string{"healthcheck"}, map[string]string{"FERRY_LISTEN": "0.0.0.0:" + port}, 0},
		{"up, --url", []string{"healthcheck", "--url", up.URL}, nil, 0},
		{"answering 503", []string{"healthcheck", "--url", down.URL}, nil, 1},
		{"nobody listening", []string{"healthcheck", "--url", "http://127.0.0.1:1", "--timeout", "2s"}, nil, 1},
	} {
		env, _, errOut := testEnv(tc.vars)
		if code := run(context.Background(), tc.args, env); code != tc.want {
			t.Errorf("%s: exit %d, want %d (%s)", tc.name, code, tc.want, errOut.String())
		}
	}
}

// serveEnv is the environment of a ferry serve on db.
func serveEnv(db, listen string) map[string]string {
	key := make([]byte, 32)
	return map[string]string{
		"FERRY_DATABASE_URL": db,
		"FERRY_SECRET_KEY":   base64.StdEncoding.EncodeToString(key),
		"FERRY_ADMIN_TOKEN":  "admin-deploy-test",
		"FERRY_LISTEN":       listen,
	}
}

func TestServeBadListenLeavesNoFiles(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	for _, tc := range []struct{ listen, want string }{
		{"nonsense", "FERRY_LISTEN"},
		{"127.0.0.1:99999", "FERRY_LISTEN"},
		{"127.0.0.1:http-alt", "FERRY_LISTEN"},
		{busy.Addr().String(), "FERRY_LISTEN: cannot listen on " + busy.Addr().String()},
	} {
		dir := t.TempDir()
		env, _, errOut := testEnv(serveEnv(filepath.Join(dir, "data", "ferry.db"), tc.listen))
		if code := run(context.Background(), []string{"serve"}, env); code == 0 {
			t.Errorf("FERRY_LISTEN=%s: serve exited 0", tc.listen)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("FERRY_LISTEN=%s: stderr %q, want %q", tc.listen, errOut.String(), tc.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("FERRY_LISTEN=%s left files behind: %v", tc.listen, entries)
		}
	}
}

func TestSecondServeOnOneSQLiteFileIsRefused(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ferry.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, _, errOut := testEnv(serveEnv(db, addr))
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		select {
		case code := <-done:
			t.Fatalf("first serve exited %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("first serve not up: %s", errOut.String())
		}
	}
	env2, _, errOut2 := testEnv(serveEnv(db, "127.0.0.1:0"))
	if code := run(ctx, []string{"serve"}, env2); code != 1 || !strings.Contains(errOut2.String(), "another ferry is already serving this SQLite file") ||
		!strings.Contains(errOut2.String(), "PostgreSQL") {
		t.Fatalf("second serve: exit %d, stderr %q", code, errOut2.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("first serve: exit %d: %s", code, errOut.String())
	}
	// Once the first has stopped, the file can be served again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	env3, _, errOut3 := testEnv(serveEnv(db, "127.0.0.1:0"))
	done3 := make(chan int, 1)
	go func() { done3 <- run(ctx2, []string{"serve"}, env3) }()
	time.Sleep(time.Second)
	cancel2()
	if code := <-done3; code != 0 {
		t.Fatalf("serve after the first stopped: exit %d: %s", code, errOut3.String())
	}
}

// TestDeployFiles checks what the Docker engine-less CI cannot build: the
// Dockerfile builds a static binary, runs it as non-root with the SQLite
// file on its volume, and its HEALTHCHECK calls a command ferry has; the
// systemd unit and the compose file run `ferry serve`.
func TestDeployFiles(t *testing.T) {
	t.Parallel()
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	docker := read("Dockerfile")
	for _, want := range []string{"CGO_ENABLED=0 go build", "USER 65532:65532", `VOLUME ["/data"]`, "FERRY_DATABASE_URL=/data/ferry.db",
		`CMD ["/usr/local/bin/ferry", "healthcheck"]`, `CMD ["serve"]`} {
		if !strings.Contains(docker, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if _, ok := commands()["healthcheck"]; !ok {
		t.Error("the image's HEALTHCHECK runs `ferry healthcheck`, which does not exist")
	}
	if unit := read("docs/deploy/ferry.service"); !strings.Contains(unit, "ExecStart=/usr/local/bin/ferry serve") || !strings.Contains(unit, "User=ferry") {
		t.Error("the systemd unit does not run ferry serve as the ferry user")
	}
	compose := read("docs/deploy/compose.yaml")
	for _, want := range []string{"ferry-a:", "ferry-b:", "postgres://", "FERRY_METRICS_LISTEN"} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}
