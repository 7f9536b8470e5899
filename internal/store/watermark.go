package store

import (
	"context"
	"fmt"
	"time"
)

// Watermark is how far a poll of one Salesforce object has read: the last
// SystemModstamp seen and, to break ties between records with the same
// stamp, the last Id.
type Watermark struct {
	ConnectionID   int64
	Object         string
	SystemModstamp time.Time
	LastID         string
	UpdatedAt      time.Time
}

// GetWatermark returns the watermark of an object; ErrNotFound before the
// first poll.
func (r *reader) GetWatermark(ctx context.Context, connID int64, object string) (Watermark, error) {
	w := Watermark{ConnectionID: connID, Object: object}
	err := r.q.queryRow(ctx, `SELECT system_modstamp, last_id, updated_at FROM watermarks
		WHERE connection_id = $1 AND object = $2`, connID, object).Scan(timeCol{&w.SystemModstamp}, &w.LastID, timeCol{&w.UpdatedAt})
	if err != nil {
		return Watermark{}, notFound(err, "store: get watermark of %s", object)
	}
	return w, nil
}

// PutWatermark saves a watermark.
func (w *writer) PutWatermark(ctx context.Context, wm Watermark) error {
	if wm.Object == "" {
		return fmt.Errorf("store: put watermark: object is empty: %w", ErrInvalid)
	}
	_, err := w.q.exec(ctx, `INSERT INTO watermarks (connection_id, object, system_modstamp, last_id, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, object) DO UPDATE SET
		system_modstamp = excluded.system_modstamp, last_id = excluded.last_id, updated_at = excluded.updated_at`,
		wm.ConnectionID, wm.Object, normTime(wm.SystemModstamp), wm.LastID, now())
	if err != nil {
		return w.wrapWrite(err, "store: put watermark of %s", wm.Object)
	}
	return nil
}
