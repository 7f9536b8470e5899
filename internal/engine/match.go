package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/sync"
)

// IN-list bounds: Salesforce takes queries up to 100,000 characters, but a
// GET's URL should stay well under 16 KB.
const (
	inListValues = 300
	inListChars  = 8000
	// icSearchValues bounds one Intercom IN filter.
	icSearchValues = 100
)

// lookupPeople finds the Leads and Contacts whose key field is one of keys,
// one query per object per IN list, and returns them by normalized key.
// Converted Leads are left out: they never match (F2.1).
func (b *batch) lookupPeople(ctx context.Context, keys []string) (map[string][]sfRecord, error) {
	out := map[string][]sfRecord{}
	if len(keys) == 0 {
		return out, nil
	}
	k, field := b.c.personKey()
	for _, object := range []string{"Lead", "Contact"} {
		obj, _ := sync.ObjectForSObject(object)
		fields := selectFields(b.c, object, field, b.c.mappings[obj])
		for _, list := range salesforce.InLists(keys, inListValues, inListChars) {
			q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IN %s", strings.Join(fields, ", "), object, field, list)
			if object == "Lead" {
				q += " AND IsConverted = false"
			}
			if err := b.query(ctx, q, func(r salesforce.Record) {
				rec := newSFRecord(object, r, field, k == sync.KeyEmail)
				out[rec.Key] = append(out[rec.Key], rec)
			}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// lookupAccounts finds Accounts by the company key field.
func (b *batch) lookupAccounts(ctx context.Context, keys []string) (map[string][]sfRecord, error) {
	out := map[string][]sfRecord{}
	field := b.c.companyField()
	if len(keys) == 0 || field == "" {
		return out, nil
	}
	fields := selectFields(b.c, "Account", field, b.c.mappings[sync.ObjectCompany])
	for _, list := range salesforce.InLists(keys, inListValues, inListChars) {
		q := fmt.Sprintf("SELECT %s FROM Account WHERE %s IN %s", strings.Join(fields, ", "), field, list)
		if err := b.query(ctx, q, func(r salesforce.Record) {
			rec := newSFRecord("Account", r, field, false)
			out[rec.Key] = append(out[rec.Key], rec)
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	for _, list := range salesforce.InLists(ids, inListValues, inListChars) {
		q := fmt.Sprintf("SELECT %s FROM %s WHERE Id IN %s", strings.Join(fields, ", "), object, list)
		if err := b.query(ctx, q, func(r salesforce.Record) {
			rec := newSFRecord(object, r, field, k == sync.KeyEmail && object != "Account")
			out[rec.ID] = rec
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
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
