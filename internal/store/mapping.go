package store

import (
	"context"
	"fmt"
	"time"
)

// MappingKind is what an identity mapping links.
type MappingKind string

// Mapping kinds.
const (
	MappingPerson  MappingKind = "person"
	MappingCompany MappingKind = "company"
)

// IntercomRole is an Intercom contact's role.
type IntercomRole string

// Intercom contact roles; companies have none.
const (
	RoleLead IntercomRole = "lead"
	RoleUser IntercomRole = "user"
)

// SalesforceObject is the Salesforce object a mapping points at.
type SalesforceObject string

// Salesforce objects ferry maps.
const (
	ObjectLead    SalesforceObject = "Lead"
	ObjectContact SalesforceObject = "Contact"
	ObjectAccount SalesforceObject = "Account"
)

// Mapping links one Intercom record to one Salesforce record (F2). Each side
// is mapped at most once per connection.
type Mapping struct {
	ID           int64
	ConnectionID int64
	Kind         MappingKind
	IntercomID   string
	IntercomRole IntercomRole
	SFObject     SalesforceObject
	SFID         string
	// MatchKey says how the two were matched (e.g. "email:ann@example.com").
	MatchKey  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const mappingColumns = `id, connection_id, kind, intercom_id, intercom_role, sf_object, sf_id, match_key, created_at, updated_at`

func scanMapping(r row) (Mapping, error) {
	var m Mapping
	err := r.Scan(&m.ID, &m.ConnectionID, &m.Kind, &m.IntercomID, &m.IntercomRole, &m.SFObject, &m.SFID,
		&m.MatchKey, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
	return m, err
}

func (m Mapping) validate() error {
	switch {
	case m.Kind != MappingPerson && m.Kind != MappingCompany:
		return fmt.Errorf("kind %q: %w", m.Kind, ErrInvalid)
	case m.IntercomID == "" || m.SFID == "":
		return fmt.Errorf("both ids are required: %w", ErrInvalid)
	case m.SFObject != ObjectLead && m.SFObject != ObjectContact && m.SFObject != ObjectAccount:
		return fmt.Errorf("salesforce object %q: %w", m.SFObject, ErrInvalid)
	case m.IntercomRole != "" && m.IntercomRole != RoleLead && m.IntercomRole != RoleUser:
		return fmt.Errorf("intercom role %q: %w", m.IntercomRole, ErrInvalid)
	}
	return nil
}

// GetMappingByIntercomID returns the mapping of an Intercom contact or company.
func (r *reader) GetMappingByIntercomID(ctx context.Context, connID int64, intercomID string) (Mapping, error) {
	m, err := scanMapping(r.q.queryRow(ctx, `SELECT `+mappingColumns+` FROM mappings
		WHERE connection_id = $1 AND intercom_id = $2`, connID, intercomID))
	if err != nil {
		return Mapping{}, notFound(err, "store: get mapping of intercom %s", intercomID)
	}
	return m, nil
}

// GetMappingBySalesforceID returns the mapping of a Salesforce record.
func (r *reader) GetMappingBySalesforceID(ctx context.Context, connID int64, sfObject SalesforceObject, sfID string) (Mapping, error) {
	m, err := scanMapping(r.q.queryRow(ctx, `SELECT `+mappingColumns+` FROM mappings
		WHERE connection_id = $1 AND sf_object = $2 AND sf_id = $3`, connID, string(sfObject), sfID))
	if err != nil {
		return Mapping{}, notFound(err, "store: get mapping of %s %s", sfObject, sfID)
	}
	return m, nil
}

// ListMappingsByIntercomIDs returns the mappings of many Intercom records,
// keyed by Intercom id; unmapped ids are absent. One query per 500 ids.
func (r *reader) ListMappingsByIntercomIDs(ctx context.Context, connID int64, intercomIDs []string) (map[string]Mapping, error) {
	out := make(map[string]Mapping, len(intercomIDs))
	for _, ids := range chunks(intercomIDs) {
		rs, err := r.q.query(ctx, `SELECT `+mappingColumns+` FROM mappings
			WHERE connection_id = $1 AND `+r.d.inList("intercom_id", 2), connID, r.d.listArg(ids))
		ms, err := collect(rs, err, func(rs rows) (Mapping, error) { return scanMapping(rs) })
		if err != nil {
			return nil, fmt.Errorf("store: list mappings by intercom ids: %w", err)
		}
		for _, m := range ms {
			out[m.IntercomID] = m
		}
	}
	return out, nil
}

// ListMappingsBySalesforceIDs returns the mappings of many records of one
// Salesforce object, keyed by Salesforce id.
func (r *reader) ListMappingsBySalesforceIDs(ctx context.Context, connID int64, sfObject SalesforceObject, sfIDs []string) (map[string]Mapping, error) {
	out := make(map[string]Mapping, len(sfIDs))
	for _, ids := range chunks(sfIDs) {
		rs, err := r.q.query(ctx, `SELECT `+mappingColumns+` FROM mappings
			WHERE connection_id = $1 AND sf_object = $2 AND `+r.d.inList("sf_id", 3), connID, string(sfObject), r.d.listArg(ids))
		ms, err := collect(rs, err, func(rs rows) (Mapping, error) { return scanMapping(rs) })
		if err != nil {
			return nil, fmt.Errorf("store: list mappings by salesforce ids: %w", err)
		}
		for _, m := range ms {
			out[m.SFID] = m
		}
	}
	return out, nil
}

// CountMappings counts a connection's mappings of one kind ("" for all),
// from the counters the mappings' triggers keep (migration 00110), so the
// count costs one row however many mappings there are.
func (r *reader) CountMappings(ctx context.Context, connID int64, kind MappingKind) (int, error) {
	var n int
	err := r.q.queryRow(ctx, `SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM mapping_counts
		WHERE connection_id = $1 AND (kind = $2 OR $2 = '')`, connID, string(kind)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count mappings: %w", err)
	}
	return n, nil
}

// UpsertMapping creates the mapping of m.IntercomID or updates where it
// points. If the Salesforce record is already mapped to another Intercom
// record it returns ErrConflict and changes nothing.
func (w *writer) UpsertMapping(ctx context.Context, m Mapping) (Mapping, error) {
	if err := m.validate(); err != nil {
		return Mapping{}, fmt.Errorf("store: upsert mapping: %w", err)
	}
	t := now()
	got, err := scanMapping(w.q.queryRow(ctx, `INSERT INTO mappings (connection_id, kind, intercom_id, intercom_role,
		sf_object, sf_id, match_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		ON CONFLICT (connection_id, intercom_id) DO UPDATE SET kind = excluded.kind, intercom_role = excluded.intercom_role,
			sf_object = excluded.sf_object, sf_id = excluded.sf_id, match_key = excluded.match_key, updated_at = excluded.updated_at
		RETURNING `+mappingColumns,
		m.ConnectionID, string(m.Kind), m.IntercomID, string(m.IntercomRole), string(m.SFObject), m.SFID, m.MatchKey, t))
	if err != nil {
		return Mapping{}, w.wrapWrite(err, "store: upsert mapping of intercom %s to %s %s", m.IntercomID, m.SFObject, m.SFID)
	}
	return got, nil
}

// RepointMapping points an existing mapping at another Salesforce record, for
// example a Lead converted to a Contact.
func (w *writer) RepointMapping(ctx context.Context, connID int64, intercomID string, sfObject SalesforceObject, sfID string) (Mapping, error) {
	m, err := scanMapping(w.q.queryRow(ctx, `UPDATE mappings SET sf_object = $3, sf_id = $4, updated_at = $5
		WHERE connection_id = $1 AND intercom_id = $2 RETURNING `+mappingColumns,
		connID, intercomID, string(sfObject), sfID, now()))
	if err != nil {
		if w.d.isUniqueViolation(err) {
			return Mapping{}, w.wrapWrite(err, "store: repoint mapping of intercom %s", intercomID)
		}
		return Mapping{}, notFound(err, "store: repoint mapping of intercom %s", intercomID)
	}
	return m, nil
}

// DeleteMappingByIntercomID deletes the mapping of an Intercom record.
func (w *writer) DeleteMappingByIntercomID(ctx context.Context, connID int64, intercomID string) error {
	n, err := w.q.exec(ctx, `DELETE FROM mappings WHERE connection_id = $1 AND intercom_id = $2`, connID, intercomID)
	if err != nil {
		return fmt.Errorf("store: delete mapping of intercom %s: %w", intercomID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete mapping of intercom %s: %w", intercomID, ErrNotFound)
	}
	return nil
}

// DeleteMappingBySalesforceID deletes the mapping of a Salesforce record.
func (w *writer) DeleteMappingBySalesforceID(ctx context.Context, connID int64, sfObject SalesforceObject, sfID string) error {
	n, err := w.q.exec(ctx, `DELETE FROM mappings WHERE connection_id = $1 AND sf_object = $2 AND sf_id = $3`,
		connID, string(sfObject), sfID)
	if err != nil {
		return fmt.Errorf("store: delete mapping of %s %s: %w", sfObject, sfID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete mapping of %s %s: %w", sfObject, sfID, ErrNotFound)
	}
	return nil
}
