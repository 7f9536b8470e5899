package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/sync"
)

// IN-list bounds: at most this many values a query; FitInLists keeps each
// query's URL within Salesforce's limit.
const (
	inListValues = 300
	// icSearchValues bounds one Intercom IN filter.
	icSearchValues = 100
)

// lookupPeople finds the Leads and Contacts whose key field is one of keys
// and returns them by normalized key: one query per object per IN list, all
// sent together in Composite calls (usually one call for both objects).
// Converted Leads are left out: they never match (F2.1). Keys that could not
// be looked up in every object come back in refused (see queryKeys).
func (b *batch) lookupPeople(ctx context.Context, keys []string) (out map[string][]sfRecord, refused map[string]error, err error) {
	out, refused = map[string][]sfRecord{}, map[string]error{}
	if len(keys) == 0 {
		return out, refused, nil
	}
	k, field := b.c.personKey()
	var lookups []keyLookup
	for _, object := range []string{"Lead", "Contact"} {
		obj, _ := sync.ObjectForSObject(object)
		fields := selectFields(b.c, object, field, b.c.mappings[obj])
		lookups = append(lookups, keyLookup{
			build: func(list string) string {
				q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IN %s", strings.Join(fields, ", "), object, field, list)
				if object == "Lead" {
					q += " AND IsConverted = false"
				}
				return q
			},
			each: func(r salesforce.Record) {
				rec := newSFRecord(object, r, field, k == sync.KeyEmail)
				out[rec.Key] = append(out[rec.Key], rec)
			},
		})
	}
	failed, err := b.queryKeysTogether(ctx, keys, field, lookups)
	if err != nil {
		return nil, nil, err
	}
	return out, failed, nil
}

// keyLookup is one object's part of a lookup by key: its query for an IN
// list, and what to do with each record found.
type keyLookup struct {
	build func(list string) string
	each  func(salesforce.Record)
}

// queryKeysTogether runs several objects' lookups of the same keys, their
// queries sent together in Composite calls of up to
// salesforce.MaxQuerySubrequests. A query refused for its length is run
// alone by queryKeys, which halves it until the bad key stands alone; a key
// refused by any lookup comes back in refused.
func (b *batch) queryKeysTogether(ctx context.Context, keys []string, field string, lookups []keyLookup) (map[string]error, error) {
	refused := map[string]error{}
	type query struct {
		l     keyLookup
		group []string
		soql  string
	}
	var queries []query
	for _, l := range lookups {
		groups, tooLong := b.sf.FitInLists(keys, inListValues, l.build)
		for _, key := range tooLong {
			refused[key] = &keyTooLongError{field: field, bytes: len(key)}
		}
		for _, g := range groups {
			list, err := salesforce.InList(g)
			if err != nil {
				return nil, err
			}
			queries = append(queries, query{l: l, group: g, soql: l.build(list)})
		}
	}
	alone := func(q query) error {
		failed, err := b.queryKeys(ctx, q.group, field, q.l.build, q.l.each)
		for key, err := range failed {
			if refused[key] == nil {
				refused[key] = err
			}
		}
		return err
	}
	for start := 0; start < len(queries); start += salesforce.MaxQuerySubrequests {
		part := queries[start:min(start+salesforce.MaxQuerySubrequests, len(queries))]
		if len(part) == 1 {
			// One query costs one call either way; a plain query keeps
			// its URL-length handling.
			if err := alone(part[0]); err != nil {
				return nil, err
			}
			continue
		}
		subs := make([]salesforce.Subrequest, len(part))
		for i, q := range part {
			subs[i] = b.sf.QuerySubrequest(fmt.Sprintf("lookup%d", i), q.soql)
		}
		answers, err := b.compositeReads(ctx, "lookup", subs)
		if err != nil {
			return nil, err
		}
		for i, q := range part {
			a := answers[subs[i].ReferenceID]
			if uriRefused(a.Err()) {
				if err := alone(q); err != nil {
					return nil, err
				}
				continue
			}
			for r, err := range b.sf.QueryResult(ctx, a) {
				if err != nil {
					return nil, fmt.Errorf("engine: lookup: %w", err)
				}
				q.l.each(r)
			}
		}
	}
	return refused, nil
}

// lookupAccounts finds Accounts by the company key field.
func (b *batch) lookupAccounts(ctx context.Context, keys []string) (map[string][]sfRecord, map[string]error, error) {
	out := map[string][]sfRecord{}
	field := b.c.companyField()
	if len(keys) == 0 || field == "" {
		return out, map[string]error{}, nil
	}
	fields := selectFields(b.c, "Account", field, b.c.mappings[sync.ObjectCompany])
	build := func(list string) string {
		return fmt.Sprintf("SELECT %s FROM Account WHERE %s IN %s", strings.Join(fields, ", "), field, list)
	}
	refused, err := b.queryKeys(ctx, keys, field, build, func(r salesforce.Record) {
		rec := newSFRecord("Account", r, field, false)
		out[rec.Key] = append(out[rec.Key], rec)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, refused, nil
}

// getSF reads records of one object by id (a conversion's Contact, a
// re-pointed record), one query per IN list.
func (b *batch) getSF(ctx context.Context, object string, ids []string) (map[string]sfRecord, error) {
	out := map[string]sfRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	k, field := b.c.personKey()
	if object == "Account" {
		field = b.c.companyField()
	}
	obj, _ := sync.ObjectForSObject(object)
	fields := selectFields(b.c, object, field, b.c.mappings[obj])
	build := func(list string) string {
		return fmt.Sprintf("SELECT %s FROM %s WHERE Id IN %s", strings.Join(fields, ", "), object, list)
	}
	if err := b.queryIDs(ctx, ids, "Id", build, func(r salesforce.Record) {
		rec := newSFRecord(object, r, field, k == sync.KeyEmail && object != "Account")
		out[rec.ID] = rec
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// queryIDs is queryKeys for Salesforce ids (18 characters, always fit):
// an id that could not be asked about is an error, since a record missing
// from the answer would look deleted.
func (b *batch) queryIDs(ctx context.Context, ids []string, field string, build func(list string) string, each func(salesforce.Record)) error {
	refused, err := b.queryKeys(ctx, ids, field, build, each)
	if err != nil {
		return err
	}
	for id, err := range refused {
		return fmt.Errorf("engine: look up %s %s: %w", field, id, err)
	}
	return nil
}

// queryKeys looks records up by key, one query per IN list (build puts the
// list in place), each sized to fit Salesforce's URL limit. It returns the
// keys that could not be looked up and why: too long for any query (never
// sent), or refused by Salesforce for its length although ferry sized the
// query to fit (a proxy with a lower limit). A refused list is halved until
// the refused key stands alone, so one key never costs the others their
// lookup. Any other error stops the lookup.
func (b *batch) queryKeys(ctx context.Context, keys []string, field string, build func(list string) string,
	each func(salesforce.Record)) (map[string]error, error) {
	groups, tooLong := b.sf.FitInLists(keys, inListValues, build)
	refused := make(map[string]error, len(tooLong))
	for _, key := range tooLong {
		refused[key] = &keyTooLongError{field: field, bytes: len(key)}
	}
	var run func(g []string) error
	run = func(g []string) error {
		list, err := salesforce.InList(g)
		if err != nil {
			return err
		}
		err = b.query(ctx, build(list), each)
		switch {
		case err == nil || !uriRefused(err):
			return err
		case len(g) == 1:
			refused[g[0]] = err
			return nil
		}
		if err := run(g[:len(g)/2]); err != nil {
			return err
		}
		return run(g[len(g)/2:])
	}
	for _, g := range groups {
		if err := run(g); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// compositeReads sends read subrequests in one Composite call within the
// budget and returns every answer by reference; what names the reads in
// errors. A read Salesforce refused is answered with its error.
func (b *batch) compositeReads(ctx context.Context, what string, subs []salesforce.Subrequest) (map[string]salesforce.SubResponse, error) {
	if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, 1); err != nil {
		return nil, err
	}
	got, err := b.sf.Composite(ctx, false, subs)
	if err != nil {
		return nil, fmt.Errorf("engine: %s: %w", what, err)
	}
	out := make(map[string]salesforce.SubResponse, len(got))
	for _, a := range got {
		out[a.ReferenceID] = a
	}
	for _, s := range subs {
		if _, ok := out[s.ReferenceID]; !ok {
			return nil, fmt.Errorf("engine: %s: Salesforce did not answer the read %s", what, s.ReferenceID)
		}
	}
	return out, nil
}

// keyTooLongError: a record's key cannot fit any Salesforce query, so the
// record cannot be looked up and was never sent.
type keyTooLongError struct {
	field string
	bytes int
}

func (e *keyTooLongError) Error() string {
	return fmt.Sprintf("the %s value to look up is %s bytes long: no Salesforce query can carry it (Salesforce refuses "+
		"request URLs over 16,384 bytes), so the record cannot be matched until the value is shortened", e.field, thousands(e.bytes))
}

// thousands formats n with comma separators, as messages show sizes.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// uriRefused reports Salesforce refusing a request for its length (414 URI
// Too Long, 431 Request Header Fields Too Large).
func uriRefused(err error) bool {
	var ae *salesforce.APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusRequestURITooLong || ae.StatusCode == http.StatusRequestHeaderFieldsTooLarge)
}

// query runs a SOQL query within the budget and yields its records.
func (b *batch) query(ctx context.Context, soql string, each func(salesforce.Record)) error {
	if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, 1); err != nil {
		return err
	}
	for r, err := range b.sf.Query(ctx, soql) {
		if err != nil {
			return fmt.Errorf("engine: query: %w", err)
		}
		each(r)
	}
	return nil
}

// lookupContacts finds Intercom contacts by key (the reverse direction of
// matching) and returns them by normalized key.
func (b *batch) lookupContacts(ctx context.Context, keys []string) (map[string][]icRecord, error) {
	out := map[string][]icRecord{}
	k, _ := b.c.personKey()
	attr := "email"
	if k == sync.KeyExternalID {
		attr = "external_id"
	}
	for start := 0; start < len(keys); start += icSearchValues {
		chunk := keys[start:min(start+icSearchValues, len(keys))]
		vals := make([]any, len(chunk))
		for i, v := range chunk {
			vals[i] = v
		}
		for c, err := range b.ic.SearchContacts(ctx, intercom.Field(attr, intercom.OpIn, vals), intercom.SearchOptions{PerPage: 150}) {
			if err != nil {
				return nil, fmt.Errorf("engine: search Intercom contacts: %w", err)
			}
			rec := contactRecord(&c, nil)
			out[rec.key(k)] = append(out[rec.key(k)], rec)
		}
	}
	return out, nil
}

// sfPeople adapts records for sync.MatchPerson.
func sfPeople(recs []sfRecord) []sync.SFPerson {
	out := make([]sync.SFPerson, len(recs))
	for i, r := range recs {
		out[i] = sync.SFPerson{Object: r.Object, ID: r.ID, Key: r.Key, IsConverted: r.IsConverted}
	}
	return out
}

// icPeople adapts records for sync.MatchIntercom.
func icPeople(recs []icRecord) []sync.ICPerson {
	out := make([]sync.ICPerson, len(recs))
	for i, r := range recs {
		out[i] = sync.ICPerson{ID: r.ID, Role: r.Role, Email: r.Email, ExternalID: r.ExternalID}
	}
	return out
}
