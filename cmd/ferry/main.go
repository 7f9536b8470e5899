// Command ferry keeps an Intercom workspace and a Salesforce org in two-way
// sync. One binary runs the daemon, the demo, the local emulators of both
// APIs and the operator's tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// cliEnv is what every subcommand gets instead of reaching for globals.
type cliEnv struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand of ferry.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env *cliEnv) error
}

func commands() map[string]command {
	return map[string]command{
		"backfill":    {"push mapped values for matched records, after a plan of what changes (backfill plan|run|status ID|cancel ID)", cmdBackfill},
		"bench":       {"measure ferry end to end against both emulators (API calls per change, echoes, latency, memory)", cmdBench},
		"check":       {"check that the Salesforce fields ferry needs are visible and writable, or diagnose account sync (check [accounts])", cmdCheck},
		"resync":      {"match again every record without a mapping; nothing is created (resync [--wait])", cmdResync},
		"uninstall":   {"revoke both tokens and stop a connection, keeping or deleting its data (uninstall [--purge])", cmdUninstall},
		"demo":        {"run ferry with both emulators, connected and mapped, on a temporary SQLite store", cmdDemo},
		"connections": {"list connections with their health, or show one and why sync is stalled (connections [list]|show ID)", cmdConnections},
		"leads":       {"create the Salesforce Lead of an Intercom contact (leads create INTERCOM_CONTACT_ID)", cmdLeads},
		"tasks":       {"log an Intercom conversation, or one message or note, as a completed Salesforce Task (tasks create CONVERSATION_ID)", cmdTasks},
		"cases":       {"create a Salesforce Case from an Intercom conversation (cases create CONVERSATION_ID --field Subject=…)", cmdCases},
		"history":     {"what ferry did to a record, by email or id (history EMAIL|ID)", cmdHistory},
		"usage":       {"Salesforce API calls per day and purpose (usage [--days N])", cmdUsage},
		"reviews":     {"ambiguous matches to pick a record for (reviews [list]|resolve ID SALESFORCE_ID|skip ID)", cmdReviews},
		"completion":  {"print a shell completion script (completion bash|zsh)", cmdCompletion},
		"errors":      {"list, show and retry sync errors (errors list|show ID|retry ID|all)", cmdErrors},
		"emulate":     {"run a local Salesforce or Intercom emulator (emulate salesforce|intercom)", cmdEmulate},
		"migrate":     {"apply the store's migrations", cmdMigrate},
		"serve":       {"run the daemon", cmdServe},
		"settings":    {"read or replace the settings document (settings get|set FILE)", cmdSettings},
		"version":     {"print ferry's version and the revision it was built from (also --version)", cmdVersion},
		"healthcheck": {"exit 0 if the ferry at FERRY_LISTEN answers /healthz (for container health checks)", cmdHealthcheck},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cliEnv{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and turns its error into an exit code.
func run(ctx context.Context, args []string, env *cliEnv) int {
	cmds := commands()
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "ferry: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "ferry %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(env.Stderr, "ferry %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError marks a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: ferry <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-12s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ferry <command> --help' for a command's flags.")
}

func cmdEmulate(ctx context.Context, args []string, env *cliEnv) error {
	if len(args) == 0 {
		return usageError{"which emulator? ferry emulate salesforce|intercom"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stderr, `Usage: ferry emulate salesforce [flags]
       ferry emulate intercom [flags]

Runs a local Salesforce org or Intercom workspace that speaks the real REST
wire format, for trying ferry and its clients without accounts. Both keep
their state in memory and run until interrupted.

Run 'ferry emulate salesforce --help' or 'ferry emulate intercom --help'
for each one's flags.`)
		return flag.ErrHelp
	case "salesforce":
		return cmdEmulateSalesforce(ctx, args[1:], env)
	case "intercom":
		return cmdEmulateIntercom(ctx, args[1:], env)
	default:
		return usageError{fmt.Sprintf("unknown emulator %q: want salesforce or intercom", args[0])}
	}
}
