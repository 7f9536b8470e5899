package connection

import (
	"context"
	"fmt"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// UsedToday is how many Salesforce API calls ferry made for a connection on
// now's UTC day, all purposes together: what the API budget's daily limit
// and lanes are checked against (F8.1) by the engine before a batch and by
// the admin pages that show the budget.
func UsedToday(ctx context.Context, r store.Reader, connID int64, now time.Time) (int, error) {
	rows, err := r.ListUsage(ctx, connID, now, now)
	if err != nil {
		return 0, fmt.Errorf("read API usage: %w", err)
	}
	used := 0
	for _, u := range rows {
		if u.Purpose == store.PurposeEventDeliveries {
			continue // streamed events, not API calls
		}
		used += int(u.Count)
	}
	return used, nil
}
