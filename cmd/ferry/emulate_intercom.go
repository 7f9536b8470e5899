package main

import (
	"context"
	"errors"
)

// cmdEmulateIntercom runs the local Intercom workspace (issue 3 replaces this).
func cmdEmulateIntercom(ctx context.Context, args []string, env *cliEnv) error {
	return errors.New("not built yet")
}
