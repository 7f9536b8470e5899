package salesforce

// The control surface of Change Data Capture and the Pub/Sub API: what
// Salesforce's Setup would change (which objects are tracked, the event
// retention and delivery allocation) and the faults Salesforce's event bus
// can show (gap and overflow events, evicted events, streams closed by the
// server). HTTP routes are under /__emulator/change-events, with the
// control surface's Basic auth:
//
//	GET  /__emulator/change-events           → {"objects":{"Lead":true,…},"retentionSeconds","deliveryAllocation","deliveredLast24h","keepAliveSeconds","latestReplayId","oldestReplayId","events"}
//	POST /__emulator/change-events/settings  {"retentionSeconds"?,"deliveryAllocation"?,"keepAliveSeconds"?,"keepAliveMs"?,"replayIdsCorrupted"?}
//	POST /__emulator/change-events/objects   {"object","enabled":bool}
//	POST /__emulator/change-events/gap       {"object","changeType":"GAP_UPDATE"…,"recordIds":[…]}   (GAP_OVERFLOW: no recordIds)
//	POST /__emulator/change-events/evict     {"before"?: RFC 3339 time}  (all retained events when absent)
//	POST /__emulator/change-events/close-streams

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

func (s *Server) changeEventRoutes(h func(pattern string, fn func(r *http.Request) (any, error))) {
	h("GET /__emulator/change-events", func(r *http.Request) (any, error) {
		return s.ChangeEventStatus(), nil
	})
	h("POST /__emulator/change-events/settings", withBody(func(in struct {
		RetentionSeconds   *int64 `json:"retentionSeconds"`
		DeliveryAllocation *int   `json:"deliveryAllocation"`
		KeepAliveSeconds   *int64 `json:"keepAliveSeconds"`
		KeepAliveMs        *int64 `json:"keepAliveMs"`
		ReplayIDsCorrupted *bool  `json:"replayIdsCorrupted"`
	}, r *http.Request) (any, error) {
		if (in.RetentionSeconds != nil && *in.RetentionSeconds <= 0) || (in.DeliveryAllocation != nil && *in.DeliveryAllocation < 0) ||
			(in.KeepAliveSeconds != nil && *in.KeepAliveSeconds <= 0) || (in.KeepAliveMs != nil && *in.KeepAliveMs <= 0) {
			return nil, errBadRequest("INVALID_ARGUMENT", "retentionSeconds, keepAliveSeconds and keepAliveMs must be positive, deliveryAllocation not negative")
		}
		if in.RetentionSeconds != nil {
			s.SetEventRetention(time.Duration(*in.RetentionSeconds) * time.Second)
		}
		if in.DeliveryAllocation != nil {
			s.SetDeliveryAllocation(*in.DeliveryAllocation)
		}
		if in.KeepAliveSeconds != nil {
			s.SetKeepAliveInterval(time.Duration(*in.KeepAliveSeconds) * time.Second)
		}
		if in.KeepAliveMs != nil {
			s.SetKeepAliveInterval(time.Duration(*in.KeepAliveMs) * time.Millisecond)
		}
		if in.ReplayIDsCorrupted != nil {
			s.SetReplayIDsCorrupted(*in.ReplayIDsCorrupted)
		}
		return nil, nil
	}))
	h("POST /__emulator/change-events/objects", withBody(func(in struct {
		Object  string `json:"object"`
		Enabled *bool  `json:"enabled"`
	}, r *http.Request) (any, error) {
		if in.Enabled == nil {
			return nil, errBadRequest("MISSING_ARGUMENT", "enabled is required")
		}
		return nil, s.SetChangeEventsEnabled(in.Object, *in.Enabled)
	}))
	h("POST /__emulator/change-events/gap", withBody(func(in struct {
		Object     string   `json:"object"`
		ChangeType string   `json:"changeType"`
		RecordIDs  []string `json:"recordIds"`
	}, r *http.Request) (any, error) {
		return nil, s.InjectGapEvent(in.Object, in.ChangeType, in.RecordIDs)
	}))
	h("POST /__emulator/change-events/evict", withBody(func(in struct {
		Before *time.Time `json:"before"`
	}, r *http.Request) (any, error) {
		var n int
		if in.Before == nil {
			n = s.EvictAllEvents()
		} else {
			n = s.EvictEventsBefore(*in.Before)
		}
		return map[string]int{"evicted": n}, nil
	}))
	h("POST /__emulator/change-events/close-streams", func(r *http.Request) (any, error) {
		s.CloseStreams()
		return nil, nil
	})
}

// ChangeEventStatus is the state of the org's change events, for the
// control surface.
type ChangeEventStatus struct {
	Objects            map[string]bool `json:"objects"` // object → Change Data Capture on
	RetentionSeconds   int64           `json:"retentionSeconds"`
	DeliveryAllocation int64           `json:"deliveryAllocation"`
	DeliveredLast24h   int64           `json:"deliveredLast24h"`
	KeepAliveMs        int64           `json:"keepAliveMs"`
	ReplayIDsCorrupted bool            `json:"replayIdsCorrupted"`
	LatestReplayID     uint64          `json:"latestReplayId"`
	OldestReplayID     uint64          `json:"oldestReplayId"` // of the oldest retained event; 0 when none
	Events             int             `json:"events"`         // retained events
}

// ChangeEventStatus returns the state of the org's change events.
func (s *Server) ChangeEventStatus() ChangeEventStatus {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	out := ChangeEventStatus{Objects: map[string]bool{}, RetentionSeconds: int64(b.retention / time.Second),
		DeliveryAllocation: b.allocation, DeliveredLast24h: b.allocation - b.deliveryLeft(s.now()),
		KeepAliveMs: b.keepAlive.Milliseconds(), ReplayIDsCorrupted: b.corrupt, LatestReplayID: b.last, Events: len(b.log)}
	for _, o := range cdcObjects {
		out.Objects[o] = !b.disabled[o]
	}
	if len(b.log) > 0 {
		out.OldestReplayID = b.log[0].replay
	}
	return out
}

// ChangeEventObjects lists the objects whose changes are published, as
// Setup > Integrations > Change Data Capture shows the selected entities.
func (s *Server) ChangeEventObjects() []string {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, o := range cdcObjects {
		if !b.disabled[o] {
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}

// SetChangeEventsEnabled selects an object for Change Data Capture or
// removes it: while off, its writes publish nothing, its topic is not
// found, and open streams on that topic end with NOT_FOUND.
func (s *Server) SetChangeEventsEnabled(object string, enabled bool) error {
	t := s.tableByName(object)
	if t == nil || !isCDCObject(t.obj.Name) {
		return errBadRequest("INVALID_TYPE", fmt.Sprintf("Change Data Capture is not available for %s", object))
	}
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	if enabled {
		delete(b.disabled, t.obj.Name)
	} else {
		b.disabled[t.obj.Name] = true
	}
	b.notify()
	return nil
}

// SetEventRetention sets how long change events are kept for replay
// (Salesforce: 72 hours); older ones are evicted.
func (s *Server) SetEventRetention(d time.Duration) {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	b.retention = d
	b.evictExpired(s.stamp())
	b.notify()
}

// SetDeliveryAllocation sets how many events may be delivered per rolling
// 24 hours; past it, streams end with the limit-exceeded error.
func (s *Server) SetDeliveryAllocation(n int) {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allocation = int64(n)
	b.notify()
}

// DeliveredEvents returns how many events were delivered in the last 24
// hours.
func (s *Server) DeliveredEvents() int64 {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.allocation - b.deliveryLeft(s.now())
}

// SetKeepAliveInterval sets how long an idle stream waits before an empty
// response carrying the latest replay id.
func (s *Server) SetKeepAliveInterval(d time.Duration) {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keepAlive = d
	b.notify()
}

// SetReplayIDsCorrupted makes every CUSTOM replay id refused as corrupted
// (or not), as after an org migration, whatever events are retained.
func (s *Server) SetReplayIDsCorrupted(on bool) {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	b.corrupt = on
}

// CloseStreams ends every open Subscribe stream with UNAVAILABLE, as when
// Salesforce's service restarts.
func (s *Server) CloseStreams() {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeGen++
	b.notify()
}

// EvictEventsBefore drops the retained events committed before t and
// returns how many; a replay id among them is then corrupted for
// Subscribe, and streams that had not received them end with that error.
func (s *Server) EvictEventsBefore(t time.Time) int {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.evictBefore(t)
	b.notify()
	return n
}

// EvictAllEvents drops every retained event and returns how many.
func (s *Server) EvictAllEvents() int {
	return s.EvictEventsBefore(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// LatestReplayID returns the replay id of the newest change event, 0 when
// there has been none.
func (s *Server) LatestReplayID() uint64 {
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// InjectGapEvent publishes a gap event for an object: GAP_CREATE,
// GAP_UPDATE, GAP_DELETE or GAP_UNDELETE with the given record ids and no
// field data, or GAP_OVERFLOW (no record ids), as Salesforce sends for
// changes it could not capture or for a transaction of more than 100,000
// changes.
func (s *Server) InjectGapEvent(object, changeType string, recordIDs []string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tableByName(object)
	if t == nil || !isCDCObject(t.obj.Name) {
		return errBadRequest("INVALID_TYPE", fmt.Sprintf("Change Data Capture is not available for %s", object))
	}
	switch changeType {
	case ChangeGapCreate, ChangeGapUpdate, ChangeGapDelete, ChangeGapUndelete:
		if len(recordIDs) == 0 {
			return errBadRequest("MISSING_ARGUMENT", changeType+" needs recordIds")
		}
	case ChangeGapOverflow:
		if len(recordIDs) > 0 {
			return errBadRequest("INVALID_ARGUMENT", "GAP_OVERFLOW events carry no recordIds")
		}
	default:
		return errBadRequest("INVALID_ARGUMENT", "changeType must be GAP_CREATE, GAP_UPDATE, GAP_DELETE, GAP_UNDELETE or GAP_OVERFLOW")
	}
	ids := make([]string, 0, len(recordIDs))
	for _, id := range recordIDs {
		full, ok := normalizeID(id)
		if !ok || full[:3] != t.obj.KeyPrefix {
			return errBadRequest("MALFORMED_ID", fmt.Sprintf("%s is not a %s id", id, t.obj.Name))
		}
		ids = append(ids, full)
	}
	b := s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.disabled[t.obj.Name] {
		return errBadRequest("INVALID_ARGUMENT", "Change Data Capture is off for "+t.obj.Name)
	}
	sc := b.schemaFor(t.obj)
	b.commitNum++
	b.appendEvent(sc, header{entity: t.obj.Name, recordIDs: ids, kind: changeType, txKey: newGUID(), seq: 1,
		at: s.stamp(), commitNum: b.commitNum, user: s.userID, changed: nil, nulled: nil}, nil)
	b.notify()
	return nil
}
