package intercom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// Operator is a search operator.
type Operator string

// Search operators Intercom accepts.
const (
	OpEq          Operator = "="
	OpNe          Operator = "!="
	OpIn          Operator = "IN"
	OpNin         Operator = "NIN"
	OpLt          Operator = "<"
	OpLte         Operator = "<="
	OpGt          Operator = ">"
	OpGte         Operator = ">="
	OpContains    Operator = "~"
	OpNotContains Operator = "!~"
	OpStartsWith  Operator = "^"
	OpEndsWith    Operator = "$"
	OpAnd         Operator = "AND"
	OpOr          Operator = "OR"
)

// Limits of Intercom's search query language.
const (
	// MaxQueryDepth is how deeply AND/OR groups may nest.
	MaxQueryDepth = 2
	// MaxGroupFilters is how many members one AND/OR group may have.
	MaxGroupFilters = 15
)

// Query is a search query: either a single filter (Field, Operator, Value)
// or an AND/OR group of queries (Operator, Group). Build it with Field, And
// and Or.
type Query struct {
	// Field is the searched field of a filter, e.g. "email" or
	// "custom_attributes.sf_id"; empty for a group.
	Field string
	// Operator is the filter's comparison, or OpAnd/OpOr for a group.
	Operator Operator
	// Value is the filter's value: a string, number, bool, nil, or for
	// IN/NIN a slice of those.
	Value any
	// Group holds a group's members.
	Group []Query
}

// Field returns a filter on one field.
func Field(name string, op Operator, value any) Query {
	return Query{Field: name, Operator: op, Value: value}
}

// And returns a group matching when all qs match.
func And(qs ...Query) Query { return Query{Operator: OpAnd, Group: qs} }

// Or returns a group matching when any of qs matches.
func Or(qs ...Query) Query { return Query{Operator: OpOr, Group: qs} }

// IsGroup reports whether q is an AND/OR group.
func (q Query) IsGroup() bool { return q.Operator == OpAnd || q.Operator == OpOr }

// MarshalJSON encodes q in Intercom's wire form.
func (q Query) MarshalJSON() ([]byte, error) {
	if q.IsGroup() {
		g := q.Group
		if g == nil {
			g = []Query{}
		}
		return json.Marshal(struct {
			Operator Operator `json:"operator"`
			Value    []Query  `json:"value"`
		}{q.Operator, g})
	}
	return json.Marshal(struct {
		Field    string   `json:"field"`
		Operator Operator `json:"operator"`
		Value    any      `json:"value"`
	}{q.Field, q.Operator, q.Value})
}

// UnmarshalJSON decodes Intercom's wire form (used for stored queries and
// by the fuzz test).
func (q *Query) UnmarshalJSON(b []byte) error {
	var raw struct {
		Field    *string         `json:"field"`
		Operator Operator        `json:"operator"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("intercom: query: %w", err)
	}
	*q = Query{Operator: raw.Operator}
	if raw.Field == nil && q.IsGroup() {
		var members []Query
		if len(raw.Value) > 0 && !bytes.Equal(raw.Value, []byte("null")) {
			if err := json.Unmarshal(raw.Value, &members); err != nil {
				return fmt.Errorf("intercom: query group: %w", err)
			}
		}
		q.Group = members
		return nil
	}
	if raw.Field != nil {
		q.Field = *raw.Field
	}
	if len(raw.Value) > 0 {
		if err := decodeJSON(raw.Value, &q.Value); err != nil {
			return fmt.Errorf("intercom: query value: %w", err)
		}
	}
	return nil
}

// FieldType is the type of a searchable field, which decides the allowed
// operators.
type FieldType int

// Field types of searchable fields.
const (
	// TypeAny is used for custom attributes, whose type the client does
	// not know without a data-attribute lookup; every operator is allowed.
	TypeAny FieldType = iota
	TypeString
	TypeInteger
	TypeFloat
	TypeBoolean
	TypeDate
	// TypeID is tag_id/segment_id-like: only = and != are allowed.
	TypeID
)

// FieldSet maps searchable field names to types for one model. Names
// starting with "custom_attributes." are always allowed, as TypeAny.
type FieldSet map[string]FieldType

// ContactFields returns the searchable contact fields (a fresh copy the
// caller may extend).
func ContactFields() FieldSet { return maps.Clone(contactFields) }

// ConversationFields returns the searchable conversation fields (a fresh
// copy the caller may extend).
func ConversationFields() FieldSet { return maps.Clone(conversationFields) }

// contactFields are the searchable contact fields.
var contactFields = FieldSet{
	"id": TypeString, "role": TypeString, "name": TypeString, "avatar": TypeString,
	"email": TypeString, "email_domain": TypeString, "phone": TypeString,
	"external_id": TypeString, "formatted_phone": TypeString, "owner_id": TypeInteger,
	"created_at": TypeDate, "updated_at": TypeDate, "signed_up_at": TypeDate,
	"last_seen_at": TypeDate, "last_contacted_at": TypeDate, "last_replied_at": TypeDate,
	"last_email_opened_at": TypeDate, "last_email_clicked_at": TypeDate,
	"language_override": TypeString, "browser": TypeString, "browser_language": TypeString,
	"os": TypeString, "location.country": TypeString, "location.region": TypeString,
	"location.city": TypeString, "unsubscribed_from_emails": TypeBoolean,
	"marked_email_as_spam": TypeBoolean, "has_hard_bounced": TypeBoolean,
	"ios_last_seen_at": TypeDate, "android_last_seen_at": TypeDate,
	"tag_id": TypeID, "segment_id": TypeID, "companies.id": TypeID,
}

// conversationFields are the searchable conversation fields.
var conversationFields = FieldSet{
	"id": TypeString, "created_at": TypeDate, "updated_at": TypeDate,
	"source.type": TypeString, "source.id": TypeString, "source.delivered_as": TypeString,
	"source.subject": TypeString, "source.body": TypeString, "source.author.id": TypeString,
	"source.author.type": TypeString, "source.author.name": TypeString,
	"source.author.email": TypeString, "source.url": TypeString,
	"contact_ids": TypeString, "teammate_ids": TypeString,
	"admin_assignee_id": TypeInteger, "team_assignee_id": TypeInteger,
	"channel_initiated": TypeString, "open": TypeBoolean, "read": TypeBoolean,
	"state": TypeString, "waiting_since": TypeDate, "snoozed_until": TypeDate,
	"tag_ids": TypeID, "priority": TypeString,
	"statistics.time_to_assignment": TypeInteger, "statistics.time_to_admin_reply": TypeInteger,
	"statistics.time_to_first_close": TypeInteger, "statistics.time_to_last_close": TypeInteger,
	"statistics.median_time_to_reply": TypeInteger, "statistics.first_contact_reply_at": TypeDate,
	"statistics.first_assignment_at": TypeDate, "statistics.first_admin_reply_at": TypeDate,
	"statistics.first_close_at": TypeDate, "statistics.last_assignment_at": TypeDate,
	"statistics.last_assignment_admin_reply_at": TypeDate, "statistics.last_contact_reply_at": TypeDate,
	"statistics.last_admin_reply_at": TypeDate, "statistics.last_close_at": TypeDate,
	"statistics.last_closed_by_id": TypeString, "statistics.count_reopens": TypeInteger,
	"statistics.count_assignments": TypeInteger, "statistics.count_conversation_parts": TypeInteger,
	"conversation_rating.requested_at": TypeDate, "conversation_rating.replied_at": TypeDate,
	"conversation_rating.score": TypeInteger, "conversation_rating.remark": TypeString,
	"conversation_rating.contact_id": TypeString, "conversation_rating.admin_id": TypeString,
	"ai_agent_participated": TypeBoolean, "ai_agent.resolution_state": TypeString,
}

// allowedOps lists the operators Intercom accepts per field type.
var allowedOps = map[FieldType][]Operator{
	TypeAny:     {OpEq, OpNe, OpIn, OpNin, OpLt, OpLte, OpGt, OpGte, OpContains, OpNotContains, OpStartsWith, OpEndsWith},
	TypeString:  {OpEq, OpNe, OpIn, OpNin, OpContains, OpNotContains, OpStartsWith, OpEndsWith},
	TypeInteger: {OpEq, OpNe, OpIn, OpNin, OpLt, OpLte, OpGt, OpGte},
	TypeFloat:   {OpEq, OpNe, OpIn, OpNin, OpLt, OpLte, OpGt, OpGte},
	TypeBoolean: {OpEq, OpNe},
	// Dates are compared by calendar day; only these three are accepted.
	TypeDate: {OpEq, OpLt, OpGt},
	TypeID:   {OpEq, OpNe},
}

// ErrInvalidQuery is wrapped by every validation error.
var ErrInvalidQuery = errors.New("intercom: invalid search query")

// Validate checks q against Intercom's rules for the model described by
// fields: known fields, operators allowed for each field's type, values of
// the right shape, at most MaxQueryDepth levels of AND/OR groups and at most
// MaxGroupFilters members per group. Intercom would reject such a query with
// a 400; catching it here gives a clearer error and saves an API call.
func (q Query) Validate(fields FieldSet) error {
	return q.validate(fields, 0, "query")
}

func (q Query) validate(fields FieldSet, depth int, at string) error {
	if q.IsGroup() {
		if q.Field != "" {
			return fmt.Errorf("%w: %s: group %s must not have a field", ErrInvalidQuery, at, q.Operator)
		}
		if depth+1 > MaxQueryDepth {
			return fmt.Errorf("%w: %s: more than %d levels of nested AND/OR", ErrInvalidQuery, at, MaxQueryDepth)
		}
		if len(q.Group) == 0 {
			return fmt.Errorf("%w: %s: empty %s group", ErrInvalidQuery, at, q.Operator)
		}
		if len(q.Group) > MaxGroupFilters {
			return fmt.Errorf("%w: %s: %d filters in one %s group (max %d)", ErrInvalidQuery, at, len(q.Group), q.Operator, MaxGroupFilters)
		}
		for i, m := range q.Group {
			if err := m.validate(fields, depth+1, at+"."+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(q.Group) > 0 {
		return fmt.Errorf("%w: %s: operator %q cannot have members", ErrInvalidQuery, at, q.Operator)
	}
	if q.Field == "" {
		return fmt.Errorf("%w: %s: missing field", ErrInvalidQuery, at)
	}
	ft, ok := fields[q.Field]
	if !ok {
		name, isCustom := strings.CutPrefix(q.Field, "custom_attributes.")
		if !isCustom || name == "" {
			return fmt.Errorf("%w: %s: unknown field %q", ErrInvalidQuery, at, q.Field)
		}
		ft = TypeAny
	}
	opOK := false
	for _, op := range allowedOps[ft] {
		if op == q.Operator {
			opOK = true
			break
		}
	}
	if !opOK {
		return fmt.Errorf("%w: %s: operator %q not allowed on field %q", ErrInvalidQuery, at, q.Operator, q.Field)
	}
	if q.Operator == OpIn || q.Operator == OpNin {
		vs, ok := asSlice(q.Value)
		if !ok || len(vs) == 0 {
			return fmt.Errorf("%w: %s: %s on %q needs a non-empty list of values", ErrInvalidQuery, at, q.Operator, q.Field)
		}
		for _, v := range vs {
			if err := checkValue(ft, q.Operator, v); err != nil {
				return fmt.Errorf("%w: %s: field %q: %v", ErrInvalidQuery, at, q.Field, err)
			}
		}
		return nil
	}
	if err := checkValue(ft, q.Operator, q.Value); err != nil {
		return fmt.Errorf("%w: %s: field %q: %v", ErrInvalidQuery, at, q.Field, err)
	}
	return nil
}

// anys copies s into a []any.
func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

// asSlice accepts the slice types a caller or the JSON decoder produces.
func asSlice(v any) ([]any, bool) {
	switch s := v.(type) {
	case []any:
		return s, true
	case []string:
		return anys(s), true
	case []int:
		return anys(s), true
	case []int64:
		return anys(s), true
	}
	return nil, false
}

// checkValue checks one scalar value against a field type.
func checkValue(ft FieldType, op Operator, v any) error {
	switch v.(type) {
	case nil:
		// null means "has no value"; only equality makes sense.
		if op != OpEq && op != OpNe {
			return fmt.Errorf("null value needs = or !=")
		}
		return nil
	case string, bool, json.Number, int, int32, int64, uint, uint32, uint64, float32, float64:
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	switch ft {
	case TypeDate, TypeInteger:
		if !isInteger(v) {
			return fmt.Errorf("value %v is not an integer", v)
		}
	case TypeFloat:
		if !isNumber(v) {
			return fmt.Errorf("value %v is not a number", v)
		}
	case TypeBoolean:
		switch b := v.(type) {
		case bool:
		case string:
			if b != "true" && b != "false" {
				return fmt.Errorf("value %q is not a boolean", b)
			}
		default:
			return fmt.Errorf("value %v is not a boolean", v)
		}
	case TypeString, TypeID:
		if _, ok := v.(bool); ok {
			return fmt.Errorf("value %v is not a string", v)
		}
	}
	switch op {
	case OpContains, OpNotContains, OpStartsWith, OpEndsWith:
		if s, ok := v.(string); !ok || s == "" {
			return fmt.Errorf("%s needs a non-empty string", op)
		}
	}
	return nil
}

func isInteger(v any) bool {
	switch n := v.(type) {
	case int, int32, int64, uint, uint32, uint64:
		return true
	case json.Number:
		_, err := strconv.ParseInt(n.String(), 10, 64)
		return err == nil
	case float64:
		return n == float64(int64(n))
	case float32:
		return n == float32(int64(n))
	case string:
		_, err := strconv.ParseInt(n, 10, 64)
		return err == nil
	}
	return false
}

func isNumber(v any) bool {
	switch n := v.(type) {
	case int, int32, int64, uint, uint32, uint64, float32, float64:
		return true
	case json.Number:
		_, err := n.Float64()
		return err == nil
	case string:
		_, err := strconv.ParseFloat(n, 64)
		return err == nil
	}
	return false
}

// Sort orders search results.
type Sort struct {
	// Field is the field to sort by.
	Field string `json:"field"`
	// Order is "ascending" or "descending".
	Order string `json:"order"`
}

// SearchOptions tunes a search iterator.
type SearchOptions struct {
	// PerPage is the page size (max 150); 0 uses Intercom's default.
	PerPage int
	// Sort orders results; nil leaves Intercom's default order.
	Sort *Sort
}

// searchPage is the answer to a search: contacts come under "data",
// conversations under "conversations".
type searchPage[T any] struct {
	Data          []T    `json:"data"`
	Conversations []T    `json:"conversations"`
	TotalCount    int    `json:"total_count"`
	Pages         *Pages `json:"pages"`
}

// search runs a validated search against path and follows its cursors.
func search[T any](ctx context.Context, c *Client, path string, fields FieldSet, q Query, opts SearchOptions) iter.Seq2[T, error] {
	if err := q.Validate(fields); err != nil {
		return func(yield func(T, error) bool) {
			var zero T
			yield(zero, err)
		}
	}
	if opts.PerPage > 150 {
		opts.PerPage = 150
	}
	return paginate(ctx, false, func(ctx context.Context, cursor string) ([]T, string, error) {
		type pagination struct {
			PerPage       int    `json:"per_page,omitempty"`
			StartingAfter string `json:"starting_after,omitempty"`
		}
		body := struct {
			Query      Query       `json:"query"`
			Pagination *pagination `json:"pagination,omitempty"`
			Sort       *Sort       `json:"sort,omitempty"`
		}{Query: q, Sort: opts.Sort}
		if opts.PerPage > 0 || cursor != "" {
			body.Pagination = &pagination{PerPage: opts.PerPage, StartingAfter: cursor}
		}
		var out searchPage[T]
		if err := c.call(ctx, request{method: http.MethodPost, route: path, path: path, body: body, auth: true}, &out); err != nil {
			return nil, "", err
		}
		items := out.Data
		if len(items) == 0 {
			items = out.Conversations
		}
		next := ""
		if out.Pages != nil && out.Pages.Next != nil {
			next = out.Pages.Next.StartingAfter
		}
		return items, next, nil
	})
}
