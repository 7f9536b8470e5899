package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
)

// buildVersion describes the binary from the build information the Go
// toolchain embeds: the module version (a tag, a pseudo-version, or
// "(devel)" for a plain go build) and the VCS revision and time, with
// "+modified" when the tree had uncommitted changes.
func buildVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "ferry (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ferry %s\n", v)
	rev := settings["vcs.revision"]
	if rev == "" {
		rev = "unknown (built outside a git checkout)"
	}
	fmt.Fprintf(&b, "revision %s", rev)
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(&b, " (%s)", t)
	}
	if settings["vcs.modified"] == "true" {
		b.WriteString(" +modified")
	}
	fmt.Fprintf(&b, "\nbuilt with %s", info.GoVersion)
	return b.String()
}

func cmdVersion(_ context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry version (or ferry --version)\n\nPrints the module version, the revision it was built from and the Go version.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, buildVersion(debug.ReadBuildInfo()))
	return nil
}
