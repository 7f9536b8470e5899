package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
)

// subcommands lists each command's actions, for completion.
var subcommands = map[string][]string{
	"connections": {"list", "show"},
	"errors":      {"list", "show", "retry"},
	"settings":    {"get", "set"},
	"reviews":     {"list", "resolve", "skip"},
	"backfill":    {"plan", "run", "status", "cancel"},
	"emulate":     {"salesforce", "intercom"},
	"completion":  {"bash", "zsh"},
	"check":       {"accounts"},
}

// cmdCompletion prints a completion script for bash or zsh: commands, their
// actions, and files after `settings set`.
func cmdCompletion(_ context.Context, args []string, env *cliEnv) error {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprintln(env.Stderr, `Usage: ferry completion bash|zsh

Prints a shell completion script. Load it with:
  bash:  source <(ferry completion bash)     (or save it in /etc/bash_completion.d/ferry)
  zsh:   source <(ferry completion zsh)      (or save it as _ferry in a directory of $fpath)`)
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return usageError{"want bash or zsh"}
	}
	names := make([]string, 0, len(commands()))
	for name := range commands() {
		names = append(names, name)
	}
	sort.Strings(names)
	var cases strings.Builder
	for _, name := range names {
		if subs, ok := subcommands[name]; ok {
			fmt.Fprintf(&cases, "    %s) subs=%q ;;\n", name, strings.Join(subs, " "))
		}
	}
	switch args[0] {
	case "bash":
		fmt.Fprintf(env.Stdout, `# bash completion for ferry
_ferry() {
  local cur=${COMP_WORDS[COMP_CWORD]} subs=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    subs=%q
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "${COMP_WORDS[1]}" in
%s    esac
  elif [ "${COMP_WORDS[1]}" = settings ] && [ "${COMP_WORDS[2]}" = set ]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$subs" -- "$cur"))
}
complete -F _ferry ferry
`, strings.Join(names, " ")+" --help --version", cases.String())
	case "zsh":
		fmt.Fprintf(env.Stdout, `#compdef ferry
# zsh completion for ferry
_ferry() {
  local -a words_
  if (( CURRENT == 2 )); then
    words_=(%s --help --version)
  elif (( CURRENT == 3 )); then
    local subs=""
    case "${words[2]}" in
%s    esac
    words_=(${=subs})
  elif [[ "${words[2]}" == settings && "${words[3]}" == set ]]; then
    _files; return
  fi
  compadd -- $words_
}
compdef _ferry ferry
`, strings.Join(names, " "), cases.String())
	}
	return nil
}
