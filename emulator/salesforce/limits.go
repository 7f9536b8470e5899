package salesforce

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Faults are injected into REST calls (after they are counted), to test how
// a client copes with a slow or failing org.
type Faults struct {
	// LatencyMs is added to every REST call.
	LatencyMs int `json:"latencyMs"`
	// ErrorRate is the share of calls (0–1) answered with ErrorStatus.
	ErrorRate float64 `json:"errorRate"`
	// ErrorStatus is 500 or 503 (default 503).
	ErrorStatus int `json:"errorStatus"`
	// LockRowRate is the share of writes answered 400 UNABLE_TO_LOCK_ROW.
	LockRowRate float64 `json:"lockRowRate"`
	// TokenLatencyMs is added to every call of the OAuth token endpoint
	// (code exchange and refresh), as a slow login host would.
	TokenLatencyMs int `json:"tokenLatencyMs"`
}

// SetFaults replaces the injected faults; the zero value turns them off.
func (s *Server) SetFaults(f Faults) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.faults = f
}

// SetAPIEnabled turns API access for the org on or off; while off every
// REST call gets 403 API_DISABLED_FOR_ORG.
func (s *Server) SetAPIEnabled(enabled bool) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.apiEnabled = enabled
}

// SetAPIRemaining sets how many REST calls remain in the daily allowance.
func (s *Server) SetAPIRemaining(n int) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	limit := int64(s.opts.APIDailyLimit)
	s.apiUsed = limit - int64(min(max(n, 0), s.opts.APIDailyLimit))
}

// APIRemaining returns how many REST calls remain in the daily allowance.
func (s *Server) APIRemaining() int {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return s.opts.APIDailyLimit - int(s.apiUsed)
}

// sleepFor waits ms milliseconds, or until the request is gone.
func sleepFor(r *http.Request, ms int) {
	if ms <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
	}
}

// injectFault sleeps and fails calls as configured.
func (s *Server) injectFault(r *http.Request, f Faults) error {
	sleepFor(r, f.LatencyMs)
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		if f.ErrorStatus == http.StatusInternalServerError {
			return &sfError{status: http.StatusInternalServerError, code: "UNKNOWN_EXCEPTION", msg: "An unexpected error occurred. Please include this ErrorId if you contact support: 1520911380-83947 (-1129719237)"}
		}
		return &sfError{status: http.StatusServiceUnavailable, code: "SERVER_UNAVAILABLE", msg: "Server temporarily unavailable, please retry later"}
	}
	if f.LockRowRate > 0 && r.Method != http.MethodGet && rand.Float64() < f.LockRowRate {
		id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		if _, ok := normalizeID(id); !ok {
			id = ""
		}
		return errBadRequest("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: "+id)
	}
	return nil
}

func (s *Server) handleLimits(w http.ResponseWriter, r *http.Request) {
	type limit struct {
		Max       int `json:"Max"`
		Remaining int `json:"Remaining"`
	}
	rem := s.APIRemaining()
	fixed := func(n int) limit { return limit{Max: n, Remaining: n} }
	ev := s.ChangeEventStatus()
	writeJSON(w, http.StatusOK, map[string]limit{
		"ConcurrentAsyncGetReportInstances": fixed(200),
		"ConcurrentSyncReportRuns":          fixed(20),
		"DailyApiRequests":                  {Max: s.opts.APIDailyLimit, Remaining: rem},
		"DailyAsyncApexExecutions":          fixed(250000),
		"DailyBulkApiBatches":               fixed(15000),
		"DailyBulkV2QueryFileStorageMB":     fixed(976562),
		"DailyBulkV2QueryJobs":              fixed(10000),
		// Change events delivered to Pub/Sub subscribers count here.
		"DailyDeliveredPlatformEvents":   {Max: int(ev.DeliveryAllocation), Remaining: int(ev.DeliveryAllocation - ev.DeliveredLast24h)},
		"DailyDurableStreamingApiEvents": fixed(10000),
		"DailyGenericStreamingApiEvents": fixed(10000),
		"DailyStreamingApiEvents":        fixed(10000),
		"DataStorageMB":                  fixed(5),
		"FileStorageMB":                  fixed(20),
		"HourlyPublishedPlatformEvents":  fixed(50000),
		"MassEmail":                      fixed(10),
		"SingleEmail":                    fixed(15),
	})
}
