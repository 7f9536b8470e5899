package salesforce

import (
	"net/http"
	"strconv"
	"strings"
)

// maxRequestBytes is Salesforce's limit on a REST call's URI, and on its URI
// and headers together: 16,384 bytes. A longer request never reaches the
// API (it is not counted against the daily limit): Salesforce's front end
// answers 414 URI Too Long when the URI alone is over, else 431 Request
// Header Fields Too Large, each with its own small HTML body.
const maxRequestBytes = 16384

// requestTooLarge writes Salesforce's answer to a request over
// maxRequestBytes and reports whether it did.
func requestTooLarge(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/__emulator/") {
		return false // the control surface is the emulator's own, not Salesforce's
	}
	uri := len(r.RequestURI)
	if uri == 0 {
		uri = len(r.URL.RequestURI())
	}
	switch {
	case uri > maxRequestBytes:
		writeBadMessage(w, http.StatusRequestURITooLong, "URI Too Long")
		return true
	case uri+headerBytes(r) > maxRequestBytes:
		writeBadMessage(w, http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large")
		return true
	}
	return false
}

// headerBytes is the size of the request's header lines ("Name: value\r\n"),
// Host included.
func headerBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(": \r\n") + len(v)
		}
	}
	return n
}

// writeBadMessage writes the front end's error page, as Salesforce sends it:
// <h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>.
func writeBadMessage(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<h1>Bad Message " + strconv.Itoa(status) + "</h1><pre>reason: " + reason + "</pre>"))
}
