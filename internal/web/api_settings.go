package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// getSettings is GET /api/v1/settings[?connection=ID]. A connection that
// never saved settings shows the defaults at version 0.
func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.Settings(r.Context(), conn.ID)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, v)
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// putSettings is PUT /api/v1/settings[?connection=ID]. The body is the
// settings document, or {"version": N, "settings": {…}}; the version may
// also come as If-Match. The app validates it against the live schemas;
// any problem rejects it whole (422, every problem listed) and nothing is
// saved.
func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	raw, bodyVersion, err := unwrapSettings(body)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	version, err := expectedVersion(r.Header.Get("If-Match"), bodyVersion)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.SaveSettings(r.Context(), conn.ID, raw, version)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, v)
}

// unwrapSettings accepts the bare document or {"version": N, "settings":
// {…}}; a document has no "settings" key, so the two cannot be confused.
// bodyVersion is -1 when the body gives none.
func unwrapSettings(body []byte) (doc []byte, bodyVersion int64, err error) {
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil {
		return body, -1, nil // Parse reports what is wrong, with its position
	}
	inner, ok := keys["settings"]
	if !ok {
		return body, -1, nil
	}
	for k := range keys {
		if k != "settings" && k != "version" {
			return nil, 0, badRequest("unknown field %q next to settings; send {\"version\": N, \"settings\": {…}} or the bare document", k)
		}
	}
	bodyVersion = -1
	if v, ok := keys["version"]; ok {
		if err := json.Unmarshal(v, &bodyVersion); err != nil || bodyVersion < 0 {
			return nil, 0, badRequest("version must be a non-negative integer")
		}
	}
	return inner, bodyVersion, nil
}

// expectedVersion reconciles If-Match with the body's version; -1 means
// neither was given.
func expectedVersion(ifMatch string, bodyVersion int64) (int64, error) {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" || ifMatch == "*" {
		return bodyVersion, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(ifMatch, "W/"), `"`), 10, 64)
	if err != nil || v < 0 {
		return 0, badRequest("If-Match %q is not a settings version such as \"3\"", ifMatch)
	}
	if bodyVersion >= 0 && bodyVersion != v {
		return 0, badRequest("If-Match (%d) and version (%d) disagree", v, bodyVersion)
	}
	return v, nil
}
