package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/settings"
)

// maxBody bounds admin API request bodies; the largest is a settings
// document, far below this.
const maxBody = 1 << 20

// apiError is the body of every API error:
// {"error":{"code":"…","message":"…"}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError writes an API error.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: apiError{Code: code, Message: message}})
}

// httpError is a failure the client must fix or know about; its message is
// shown to the client.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, code: "bad_request", msg: fmt.Sprintf(format, args...)}
}

// readBody reads a bounded request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, badRequest("request body is larger than %d bytes", maxBody)
		}
		return nil, badRequest("cannot read request body: %v", err)
	}
	return data, nil
}

// decodeJSON reads a JSON object into v, refusing unknown fields, trailing
// data and oversized bodies. An empty body decodes as {} when allowEmpty.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	data, err := readBody(w, r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(data)) == "" {
		if allowEmpty {
			return nil
		}
		return badRequest("request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("malformed JSON body: data after the JSON object")
	}
	return nil
}

// writeFailure answers an *httpError with its status and anything else
// with 500, logging the cause rather than showing it.
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.code, he.msg)
		return
	}
	var rej *app.SettingsRejected
	if errors.As(err, &rej) {
		status, code := http.StatusUnprocessableEntity, "invalid_settings"
		if rej.Malformed {
			status, code = http.StatusBadRequest, "malformed_settings"
		}
		writeJSON(w, status, problemsBody{Error: apiError{Code: code, Message: rej.Message},
			Problems: rej.Problems, SkippedChecks: rej.SkippedChecks})
		return
	}
	var ae *app.Error
	if errors.As(err, &ae) {
		status, code := appStatus(ae.Kind)
		writeError(w, status, code, ae.Msg)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error; see the server log")
}

// appStatus is the HTTP status and error code of an app.Error kind.
func appStatus(k app.Kind) (int, string) {
	switch k {
	case app.NotFound:
		return http.StatusNotFound, "not_found"
	case app.Conflict:
		return http.StatusConflict, "conflict"
	case app.Unavailable:
		return http.StatusBadGateway, "schema_unavailable"
	}
	return http.StatusBadRequest, "bad_request"
}

// problemsBody is the answer to a rejected settings document: the error
// and every problem found.
type problemsBody struct {
	Error         apiError           `json:"error"`
	Problems      []settings.Problem `json:"problems"`
	SkippedChecks []string           `json:"skipped_checks,omitempty"`
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id %q is not a positive integer", v)
	}
	return id, nil
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s=%q is not a non-negative integer", name, v)
	}
	return n, nil
}
