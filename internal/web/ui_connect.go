package web

import (
	"fmt"
	"net/http"
	"strconv"
)

// connectPage is GET /connect: every connection with its state, the
// buttons that start the Salesforce (production, sandbox, My Domain) and
// Intercom OAuth flows, and a form for another connection.
func (s *Server) connectPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	// The page shows which sides hold credentials: the full views.
	var err error
	if p.Conns, err = s.app.ListConnections(r.Context()); err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Title = "Connect"
	s.render(w, r, http.StatusOK, "connect", p)
}

// connectionCreate is POST /connections: a new, unconnected connection for
// another workspace and org.
func (s *Server) connectionCreate(w http.ResponseWriter, r *http.Request, p uiPage) {
	v, err := s.app.CreateConnection(r.Context(), r.PostFormValue("name"))
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/connect", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Conn.ID = v.ID
	s.redirectBack(w, r, p, "/connect", fmt.Sprintf("Connection %q created: connect Salesforce and Intercom below.", v.Name), "")
}

// connectionDisconnect is POST /connections/{id}/disconnect: ferry's
// tokens are revoked and forgotten; sync stops until reconnected.
func (s *Server) connectionDisconnect(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	if err := s.app.Disconnect(r.Context(), id, false); err != nil {
		if msg, ok := failedMessage(err); ok {
			s.redirectBack(w, r, p, "/connect", "", msg)
			return
		}
		s.uiFailure(w, r, p, err)
		return
	}
	s.redirectBack(w, r, p, "/connect", "Disconnected: ferry's tokens were revoked. Connect again to resume; nothing is re-imported.", "")
}

// connectBack is where an OAuth flow started from the connect page
// returns.
func connectBack(id int64) string {
	return "/connect?connection=" + strconv.FormatInt(id, 10) + "&done=Connected."
}
