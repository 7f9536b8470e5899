package main

import "flag"

// parseArgs parses fs's flags wherever they stand among args, so that
// `ferry errors list --json` works as well as `ferry errors --json list`.
// It returns the positional arguments in order; everything after "--" is
// positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		n := len(args)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// Parse consumed a "--" just before rest: the rest is positional.
		if consumed := n - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
