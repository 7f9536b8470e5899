package intercom

import (
	"net/http"
	"strconv"
)

// admin is a teammate.
type admin struct {
	ID       string
	Name     string
	Email    string
	JobTitle string
	TeamIDs  []int64
	Away     bool
}

// team is an inbox team of admins.
type team struct {
	ID       string
	Name     string
	AdminIDs []int64
}

type adminJSON struct {
	Type             string  `json:"type"`
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Email            string  `json:"email"`
	JobTitle         *string `json:"job_title"`
	AwayModeEnabled  bool    `json:"away_mode_enabled"`
	AwayModeReassign bool    `json:"away_mode_reassign"`
	HasInboxSeat     bool    `json:"has_inbox_seat"`
	TeamIDs          []int64 `json:"team_ids"`
	Avatar           struct {
		Type     string  `json:"type"`
		ImageURL *string `json:"image_url"`
	} `json:"avatar"`
}

func (a *admin) json() adminJSON {
	j := adminJSON{Type: "admin", ID: a.ID, Name: a.Name, Email: a.Email, JobTitle: strOrNil(a.JobTitle),
		AwayModeEnabled: a.Away, HasInboxSeat: true, TeamIDs: a.TeamIDs}
	if j.TeamIDs == nil {
		j.TeamIDs = []int64{}
	}
	j.Avatar.Type = "avatar"
	return j
}

// seedOwnAdmin creates the admin the app acts as (what /me returns).
func (s *Server) seedOwnAdmin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &admin{ID: "991267500", Name: "Ferry App", Email: "ferry-app@" + s.appID + ".intercom-mail.com"}
	s.st.ownAdminID = a.ID
	s.addAdminLocked(a)
}

func (s *Server) addAdminLocked(a *admin) {
	s.st.admins = append(s.st.admins, a)
	s.st.adminByID[a.ID] = a
}

// adminLocked returns the admin with the id, or admin_not_found.
func (s *Server) adminLocked(id string) (*admin, *httpError) {
	a := s.st.adminByID[id]
	if a == nil {
		return nil, errf(http.StatusNotFound, "admin_not_found", "Admin not found")
	}
	return a, nil
}

// OwnAdminID is the id of the admin the app's tokens act as (GET /me).
func (s *Server) OwnAdminID() string { return "991267500" }

func (s *Server) adminExists(id int64) bool {
	_, ok := s.st.adminByID[strconv.FormatInt(id, 10)]
	return ok
}

func (s *Server) handleMe(r *http.Request) (any, error) {
	s.mu.RLock()
	a := s.st.adminByID[s.st.ownAdminID]
	s.mu.RUnlock()
	return map[string]any{
		"type": "admin", "id": a.ID, "email": a.Email, "name": a.Name, "email_verified": true,
		"has_inbox_seat": true, "away_mode_enabled": false, "away_mode_reassign": false,
		"avatar": map[string]any{"type": "avatar", "image_url": nil},
		"app": map[string]any{
			"type": "app", "id_code": s.appID, "name": "Ferry emulated workspace", "region": "US",
			"timezone": "Etc/UTC", "created_at": s.now().Add(-365 * 24 * 3600e9).Unix(),
			"identity_verification": false,
		},
	}, nil
}

func (s *Server) handleListAdmins(r *http.Request) (any, error) {
	s.mu.RLock()
	out := make([]adminJSON, 0, len(s.st.admins))
	for _, a := range s.st.admins {
		out = append(out, a.json())
	}
	s.mu.RUnlock()
	return map[string]any{"type": "admin.list", "admins": out}, nil
}

func (s *Server) handleGetAdmin(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, herr := s.adminLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	return a.json(), nil
}

func (s *Server) handleListTeams(r *http.Request) (any, error) {
	s.mu.RLock()
	out := make([]map[string]any, 0, len(s.st.teams))
	for _, t := range s.st.teams {
		ids := t.AdminIDs
		if ids == nil {
			ids = []int64{}
		}
		out = append(out, map[string]any{"type": "team", "id": t.ID, "name": t.Name, "admin_ids": ids})
	}
	s.mu.RUnlock()
	return map[string]any{"type": "team.list", "teams": out}, nil
}
