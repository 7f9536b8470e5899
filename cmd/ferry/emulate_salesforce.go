package main

import (
	"context"
	"errors"
)

// cmdEmulateSalesforce runs the local Salesforce org (issue 2 replaces this).
func cmdEmulateSalesforce(ctx context.Context, args []string, env *cliEnv) error {
	return errors.New("not built yet")
}
