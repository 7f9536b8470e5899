package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/sync"
)

// mappingObjects are the mapping page's tabs.
var mappingObjects = []string{"lead", "user", "company"}

// fieldOption is a Salesforce field offered for a row.
type fieldOption struct {
	Name, Label string
	ReadOnly    bool
}

// mappingRow is one mapping as the page shows it, with what the live
// schemas say about it.
type mappingRow struct {
	Index                           int
	Intercom, Salesforce, Direction string
	// Fields are the Salesforce fields whose type the row's Intercom
	// attribute can map to (F3.1).
	Fields []fieldOption
	// IsList: an Intercom list mapped to a picklist (F3.2). AddToList are
	// the picklist values ferry adds to the Intercom list; Refused are the
	// list's options a restricted picklist refuses.
	IsList     bool
	Options    []string
	AddToList  []string
	Refused    []string
	Restricted bool
	Problems   []string
}

type mappingsData struct {
	Object     string
	Objects    []string
	Attributes []sync.ICAttribute
	Rows       []mappingRow
	New        mappingRow
	Version    int64
	Identity   settings.Identity
	// KeyFields are the text fields usable as the person key (on Lead)
	// and the company key (on Account).
	PersonKeyFields, CompanyKeyFields []string
	Problems                          []string
	IdentityProblems                  []string
	Skipped                           []string
}

// mappingsPage is GET /mappings?object=lead[&attr=…]: the mappings of one
// object with type-compatible choices from the live schemas.
func (s *Server) mappingsPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	st, err := s.app.Settings(r.Context(), p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	object := r.URL.Query().Get("object")
	if !slices.Contains(mappingObjects, object) {
		object = "lead"
	}
	var rows []settings.Mapping
	for _, m := range st.Document.Mappings {
		if m.Object == object {
			rows = append(rows, m)
		}
	}
	s.renderMappings(w, r, p, http.StatusOK, object, st.Version, st.Document.Identity, rows,
		settings.Mapping{Object: object, Intercom: r.URL.Query().Get("attr"), Direction: "both"}, nil)
}

// renderMappings shows the rows of object, with problems from a refused
// save (nil for none).
func (s *Server) renderMappings(w http.ResponseWriter, r *http.Request, p uiPage, status int, object string, version int64,
	identity settings.Identity, rows []settings.Mapping, add settings.Mapping, rejected *app.SettingsRejected) {
	cat, skipped, err := s.app.Catalog(r.Context(), p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	obj := sync.Object(object)
	d := mappingsData{Object: object, Objects: mappingObjects, Attributes: cat.Intercom[obj.IntercomModel()], Version: version,
		Identity: identity, Skipped: skipped}
	for _, f := range cat.Salesforce["Lead"] {
		if sync.Compatible("string", f) {
			d.PersonKeyFields = append(d.PersonKeyFields, f.Name)
		}
	}
	for _, f := range cat.Salesforce["Account"] {
		if sync.Compatible("string", f) {
			d.CompanyKeyFields = append(d.CompanyKeyFields, f.Name)
		}
	}
	for i, m := range rows {
		d.Rows = append(d.Rows, describeRow(i, m, obj, cat))
	}
	d.New = describeRow(len(rows), add, obj, cat)
	if rejected != nil {
		for _, pr := range rejected.Problems {
			i, ok := rowOfProblem(pr.Path)
			switch {
			case ok && i < len(d.Rows):
				d.Rows[i].Problems = append(d.Rows[i].Problems, pr.Message)
			case strings.HasPrefix(pr.Path, "identity"):
				d.IdentityProblems = append(d.IdentityProblems, pr.Message)
			default:
				d.Problems = append(d.Problems, pr.String())
			}
		}
		p.FlashError = fmt.Sprintf("Nothing was saved: %d problem(s) to fix, shown next to their rows.", len(rejected.Problems))
	}
	p.Title, p.Data = "Field mappings", d
	s.render(w, r, status, "mappings", p)
}

// rowOfProblem reads the row index of a problem path "mappings[3].…".
func rowOfProblem(path string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "mappings[")
	if !ok {
		return 0, false
	}
	n, _, ok := strings.Cut(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil
}

// describeRow fills a row's choices from the catalog: only fields whose
// type the attribute can map to, writable ones first.
func describeRow(i int, m settings.Mapping, obj sync.Object, cat settings.Catalog) mappingRow {
	row := mappingRow{Index: i, Intercom: m.Intercom, Salesforce: m.Salesforce, Direction: m.Direction}
	var attr *sync.ICAttribute
	for _, a := range cat.Intercom[obj.IntercomModel()] {
		if a.FullName == m.Intercom {
			attr = &a
			break
		}
	}
	if attr == nil {
		return row
	}
	icType := sync.NormalizeICType(attr.DataType)
	for _, f := range cat.Salesforce[obj.SObject()] {
		if !sync.Compatible(icType, f) {
			continue
		}
		o := fieldOption{Name: f.Name, Label: f.Name + " (" + f.Type + ")", ReadOnly: !f.Updateable}
		if o.ReadOnly {
			o.Label += " — read-only, Salesforce → Intercom only"
		}
		row.Fields = append(row.Fields, o)
		if f.Name == m.Salesforce && attr.IsList() && f.Type == "picklist" {
			row.IsList, row.Options, row.Restricted = true, attr.Options, f.RestrictedPicklist
			// What applies depends on the direction: values from Salesforce
			// grow the list, values from Intercom meet the restriction.
			dir := sync.Direction(m.Direction)
			if dir.Allows(sync.Salesforce) {
				row.AddToList = sync.MissingOptions(*attr, f)
			}
			if dir.Allows(sync.Intercom) {
				row.Refused = sync.UnsendableOptions(*attr, f)
			}
		}
	}
	slices.SortStableFunc(row.Fields, func(a, b fieldOption) int {
		switch {
		case a.ReadOnly == b.ReadOnly:
			return 0
		case a.ReadOnly:
			return 1
		}
		return -1
	})
	return row
}

// mappingsSave is POST /mappings: the object's rows replace its mappings;
// the whole document is validated against the live schemas and saved only
// when every problem is fixed.
func (s *Server) mappingsSave(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiFailure(w, r, p, badRequest("cannot read the form: %v", err))
		return
	}
	object := r.PostFormValue("object")
	if !slices.Contains(mappingObjects, object) {
		s.uiFailure(w, r, p, badRequest("unknown object %q", object))
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		s.uiFailure(w, r, p, badRequest("the form has no settings version; reload the page"))
		return
	}
	st, err := s.app.Settings(ctx, p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	doc := st.Document
	var others, rows []settings.Mapping
	for _, m := range doc.Mappings {
		if m.Object != object {
			others = append(others, m)
		}
	}
	ic, sf, dir := r.PostForm["intercom"], r.PostForm["salesforce"], r.PostForm["direction"]
	removed := map[string]bool{}
	for _, v := range r.PostForm["remove"] {
		removed[v] = true
	}
	add := settings.Mapping{Object: object, Direction: "both"}
	for i := range ic {
		if i >= len(sf) || i >= len(dir) || removed[strconv.Itoa(i)] {
			continue
		}
		m := settings.Mapping{Object: object, Intercom: strings.TrimSpace(ic[i]), Salesforce: strings.TrimSpace(sf[i]), Direction: dir[i]}
		if i == len(ic)-1 {
			add.Intercom, add.Direction = m.Intercom, m.Direction
		}
		if m.Intercom == "" && m.Salesforce == "" {
			continue // the empty "add" row
		}
		if i == len(ic)-1 && m.Salesforce == "" && r.PostFormValue("pick") != "" {
			continue // the add row, waiting for its field
		}
		rows = append(rows, m)
	}
	if r.PostFormValue("pick") != "" {
		// "Show fields": show the compatible fields of the add row's
		// attribute; nothing is saved.
		s.renderMappings(w, r, p, http.StatusOK, object, version, doc.Identity, rows, add, nil)
		return
	}
	doc.Mappings = append(others, rows...)
	doc.Identity.Person.Intercom = r.PostFormValue("person_intercom")
	doc.Identity.Person.Salesforce = r.PostFormValue("person_salesforce")
	doc.Identity.Company.Salesforce = r.PostFormValue("company_salesforce")
	if doc.Identity.Company.Salesforce != "" {
		doc.Identity.Company.Intercom = "company_id"
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	_, err = s.app.SaveSettings(ctx, p.Conn.ID, raw, version)
	if rej, ok := err.(*app.SettingsRejected); ok {
		// Problems name rows by their index in the whole document; this
		// page's rows come after the other objects'.
		shifted := *rej
		shifted.Problems = nil
		for _, pr := range rej.Problems {
			if i, ok := rowOfProblem(pr.Path); ok {
				pr.Path = fmt.Sprintf("mappings[%d]", i-len(others))
			}
			shifted.Problems = append(shifted.Problems, pr)
		}
		s.renderMappings(w, r, p, http.StatusUnprocessableEntity, object, version, doc.Identity, rows,
			settings.Mapping{Object: object, Direction: "both"}, &shifted)
		return
	}
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/mappings?object="+object, "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	s.redirectBack(w, r, p, "/mappings?object="+object, "Saved. The new mappings apply from the next change.", "")
}
