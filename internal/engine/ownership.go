package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// directory is who is who on both sides of a connection: the org's active
// Salesforce Users, the workspace's teammates, the mapping between them by
// email (F5.1), and who connected ferry on each side. It is read once per
// CatalogTTL and again as soon as a User or teammate ferry meets is not in
// it (one of them was added or changed its email).
type directory struct {
	loadedAt time.Time
	// userEmail is an active User's email by User id.
	userEmail map[string]string
	// userByEmail is the active User id by normalized email.
	userByEmail map[string]string
	// admins are the teammates by admin id.
	admins map[string]intercom.Admin
	// teammates maps User ids to admin ids (F5.1).
	teammates map[string]string
	// sfUser is the Salesforce User who connected ferry.
	sfUser string
	// icAdmin is the teammate who connected ferry (the token's admin).
	icAdmin string
}

// userOfAdmin is the Salesforce User whose email is the teammate's, "" if
// none.
func (d *directory) userOfAdmin(adminID string) string {
	a, ok := d.admins[adminID]
	if !ok {
		return ""
	}
	return d.userByEmail[sync.NormalizeEmail(a.Email)]
}

// adminName names a teammate in transcripts.
func (d *directory) adminName(adminID string) string {
	if a, ok := d.admins[adminID]; ok {
		if a.Name != "" {
			return a.Name
		}
		return a.Email
	}
	return ""
}

// directory returns the connection's directory, reading it when it is
// older than CatalogTTL or when refresh is set.
func (b *batch) directory(ctx context.Context, refresh bool) (*directory, error) {
	e := b.e
	e.mu.Lock()
	d := e.dirs[b.conn.ID]
	e.mu.Unlock()
	if d != nil && !refresh && time.Since(d.loadedAt) < e.opts.CatalogTTL {
		return d, nil
	}
	d = &directory{loadedAt: time.Now(), userEmail: map[string]string{}, admins: map[string]intercom.Admin{}}
	if err := b.query(ctx, "SELECT Id, Email FROM User WHERE IsActive = true", func(r salesforce.Record) {
		d.userEmail[r.String("Id")] = r.String("Email")
	}); err != nil {
		return nil, err
	}
	d.userByEmail = sync.UsersByEmail(d.userEmail)
	admins, err := b.ic.ListAdmins(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: list teammates: %w", err)
	}
	emails := map[string]string{}
	for _, a := range admins {
		d.admins[a.ID] = a
		emails[a.ID] = a.Email
	}
	d.teammates = sync.TeammatesByEmail(d.userEmail, emails)
	me, err := b.ic.Me(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: read the connecting teammate: %w", err)
	}
	d.icAdmin = me.ID
	if fb := b.c.doc.Ownership.FallbackAdminID; fb != "" {
		d.icAdmin = fb
	}
	if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, 1); err != nil {
		return nil, err
	}
	who, err := b.sf.UserInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: read the connecting Salesforce user: %w", err)
	}
	d.sfUser = who.UserID
	e.mu.Lock()
	e.dirs[b.conn.ID] = d
	e.mu.Unlock()
	return d, nil
}

// assignToOwners assigns each new, unassigned conversation from a mapped
// person to that person's owner teammate in Intercom (settings
// ownership.assign_conversations; seeds/003_* "automatically assign
// conversations to the correct lead owner"). The assignment's own webhook
// then gives the Task its owner.
func (b *batch) assignToOwners(ctx context.Context, works map[string]*convWork, order []string) error {
	var ids []string
	for _, id := range order {
		if w := works[id]; w.started && w.assignee() == "" && string(w.item.TeamAssigneeID) == "" {
			ids = append(ids, w.contactIDs()...)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	mappings, err := b.e.store.ListMappingsByIntercomIDs(ctx, b.conn.ID, ids)
	if err != nil {
		return err
	}
	dir, err := b.directory(ctx, false)
	if err != nil {
		return err
	}
	for _, id := range order {
		w := works[id]
		if !w.started || w.assignee() != "" || string(w.item.TeamAssigneeID) != "" {
			continue
		}
		for _, cid := range w.contactIDs() {
			if _, ok := mappings[cid]; !ok {
				continue
			}
			c, err := b.ic.GetContact(ctx, cid)
			if err != nil {
				return fmt.Errorf("engine: read contact %s: %w", cid, err)
			}
			owner := string(c.OwnerID)
			if owner == "" || owner == "0" {
				continue
			}
			conv, err := b.ic.ManageConversation(ctx, id, intercom.ManageInput{MessageType: intercom.ManageAssignment,
				AdminID: dir.icAdmin, AssigneeID: owner})
			if err != nil {
				return fmt.Errorf("engine: assign conversation %s to its owner: %w", id, err)
			}
			w.item.AdminAssigneeID = conv.AdminAssigneeID
			b.history("conversation", cid, "", store.OriginFerry, "a new conversation goes to the person's owner teammate (F5)",
				"assigned", fmt.Sprintf("conversation %s assigned to teammate %s", id, owner), nil)
			break
		}
	}
	return nil
}

// ownerField is the contact attribute that holds the owner; its field
// state (Intercom side) is the owner ferry last wrote, so its webhook is
// known as an echo and a teammate's change by hand is seen (F5.3).
const ownerField = "owner_id"

// ownerID reads an owner id from a value ferry wrote or Intercom sent;
// false for none.
func ownerID(v any) (int64, bool) {
	s := ""
	switch x := v.(type) {
	case nil:
		return 0, false
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		s = fmt.Sprint(x)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id == 0 {
		return 0, false
	}
	return id, true
}

// ownerString is an owner id as ferry compares and stores it: "" for none.
func ownerString(v any) string {
	if id, ok := ownerID(v); ok {
		return strconv.FormatInt(id, 10)
	}
	return ""
}

// ownerChange is an owner write planned for one pair.
type ownerChange struct {
	to     string // admin id, "" clears
	rule   string
	restor bool // putting back an owner changed by hand in Intercom
	from   string
	// keep: Intercom already has the owner Salesforce gives; nothing is
	// written, but ferry now assigns it (a later change by hand is put
	// back).
	keep bool
}

// planOwner decides whether a person's Intercom owner must be written
// (F5.2, F5.3), with ownership on: when the Salesforce side is known, the
// owner it resolves to; when only an Intercom change is known and
// restore_intercom_owner is on, the owner ferry set, put back over a
// change by hand. The owner ferry last wrote is never written again (no
// echo).
func (b *batch) planOwner(ctx context.Context, p *pair, st states) *ownerChange {
	own := b.c.doc.Ownership
	if !own.Enabled || p.object == sync.ObjectCompany || p.gone || p.sf != nil && p.sf.partial {
		// A change event's record has no owner unless it changed, and
		// then it is read whole (stream.go).
		return nil
	}
	var written *store.FieldState
	for i, r := range st.ic[p.icID] {
		if r.Field == ownerField {
			written = &st.ic[p.icID][i]
		}
	}
	icOwner, icKnown := "", false
	if p.ic != nil && p.ic.raw != nil {
		icOwner, icKnown = ownerString(p.ic.raw[ownerField]), true
	}
	if p.sf != nil {
		dir, err := b.directory(ctx, false)
		if err != nil {
			b.e.log.WarnContext(ctx, "owner sync: read Users and teammates", "error", err)
			return nil
		}
		in := b.ownerInput(p.sf, dir)
		if unknownUser(dir, in) {
			if d, err := b.directory(ctx, true); err == nil {
				dir, in = d, b.ownerInput(p.sf, d)
			}
		}
		dec := sync.ResolveOwner(in)
		known := icOwner
		if !icKnown {
			if written == nil {
				return &ownerChange{to: dec.Teammate, rule: dec.Rule}
			}
			known = decodeOwner(written.Value)
		}
		if known == dec.Teammate {
			if written == nil || decodeOwner(written.Value) != known {
				return &ownerChange{to: known, rule: dec.Rule, keep: true}
			}
			return nil
		}
		return &ownerChange{to: dec.Teammate, rule: dec.Rule, from: known}
	}
	if icKnown && own.RestoreIntercomOwner && written != nil && written.Origin == store.OriginFerry {
		if want := decodeOwner(written.Value); icOwner != want {
			return &ownerChange{to: want, restor: true, from: icOwner,
				rule: "ferry assigns owners from Salesforce: an owner changed by hand in Intercom is put back"}
		}
	}
	return nil
}

// decodeOwner reads a stored owner state.
func decodeOwner(v string) string { return ownerString(decodeValue(v)) }

// ownerInput gathers a person's Salesforce owners for sync.ResolveOwner.
func (b *batch) ownerInput(r *sfRecord, dir *directory) sync.OwnerInput {
	in := sync.OwnerInput{Teammates: dir.teammates, Fallback: dir.icAdmin}
	switch r.Object {
	case "Contact":
		in.AccountOwner, in.ContactOwner = r.rec.String("Account.OwnerId"), r.rec.String("OwnerId")
	case "Lead":
		in.LeadOwner = r.rec.String("OwnerId")
	}
	return in
}

// unknownUser reports an owner that is a User the directory does not know
// (added since it was read).
func unknownUser(dir *directory, in sync.OwnerInput) bool {
	for _, u := range []string{in.AccountOwner, in.ContactOwner, in.LeadOwner} {
		if strings.HasPrefix(u, "005") {
			if _, ok := dir.userEmail[u]; !ok {
				return true
			}
		}
	}
	return false
}

// ownerWritten records an owner write: its state (so its webhook is an
// echo, and a later change by hand is seen) and, for a restore, why.
func (b *batch) ownerWritten(p *pair, oc *ownerChange) {
	var v any
	if oc.to != "" {
		v = oc.to
	}
	b.ops.states = append(b.ops.states, store.FieldState{ConnectionID: b.conn.ID, Side: store.SideIntercom, RecordID: p.icID,
		Field: ownerField, Value: encodeValue(v), Origin: store.OriginFerry, ChangedAt: b.e.now(), WrittenHash: sync.HashValue(v)})
	if oc.keep {
		return
	}
	to, from := oc.to, oc.from
	if to == "" {
		to = "nobody"
	}
	if from == "" {
		from = "nobody"
	}
	outcome := "owner_set"
	if oc.restor {
		outcome = "owner_restored"
	}
	b.history(string(p.object), p.icID, p.sfID, store.OriginFerry, oc.rule, outcome,
		fmt.Sprintf("Intercom owner %s → %s", from, to), nil)
}

// accountOwnerMark names the watermark of the Account owner poll.
const accountOwnerMark = "ownership:Account"

// ownersRead is the Account owner poll's read: Accounts changed since its
// watermark.
type ownersRead struct {
	wm    store.Watermark
	query string
}

// planAccountOwners builds the Account owner poll's read, or returns nil
// when ownership is off (or Contacts have no Account).
func (e *Engine) planAccountOwners(ctx context.Context, base *batch) (*ownersRead, error) {
	if !base.c.doc.Ownership.Enabled || !base.c.hasField("Contact", "AccountId") {
		return nil, nil
	}
	wm, err := e.store.GetWatermark(ctx, base.conn.ID, accountOwnerMark)
	if errors.Is(err, store.ErrNotFound) {
		wm = store.Watermark{ConnectionID: base.conn.ID, Object: accountOwnerMark, SystemModstamp: e.now().Add(-e.opts.PollOverlap)}
	} else if err != nil {
		return nil, err
	}
	return &ownersRead{wm: wm, query: "SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= " +
		salesforce.SOQLDateTime(wm.SystemModstamp.Add(-e.opts.PollOverlap)) + " ORDER BY SystemModstamp, Id"}, nil
}

// pollAccountOwners brings Account owner changes to Intercom (F5.2, F5.3):
// an Account changed since the last look has its mapped Contacts' owners
// resolved again, and written in the same updates as attribute syncs. Its
// read rides in the poll's Composite call (one more call when Accounts
// changed) and runs only with ownership on; account sync need not be.
func (e *Engine) pollAccountOwners(ctx context.Context, base *batch, read *ownersRead, answer salesforce.SubResponse) error {
	wm := read.wm
	b := base.fresh()
	var accounts []string
	next := wm.SystemModstamp
	for r, err := range b.sf.QueryResult(ctx, answer) {
		if err != nil {
			return fmt.Errorf("engine: query: %w", err)
		}
		accounts = append(accounts, r.ID())
		if t, err := r.Time("SystemModstamp"); err == nil && t.After(next) {
			next = t
		}
	}
	if len(accounts) > 0 {
		k, field := b.c.personKey()
		fields := selectFields(b.c, "Contact", field, b.c.mappings[sync.ObjectUser])
		var contacts []sfRecord
		build := func(list string) string {
			return fmt.Sprintf("SELECT %s FROM Contact WHERE AccountId IN %s", strings.Join(fields, ", "), list)
		}
		if err := b.queryIDs(ctx, accounts, "AccountId", build, func(r salesforce.Record) {
			contacts = append(contacts, newSFRecord("Contact", r, field, k == sync.KeyEmail))
		}); err != nil {
			return err
		}
		ids := make([]string, len(contacts))
		for i, c := range contacts {
			ids[i] = c.ID
		}
		ms, err := e.store.ListMappingsBySalesforceIDs(ctx, b.conn.ID, store.ObjectContact, ids)
		if err != nil {
			return err
		}
		for _, c := range contacts {
			if m, ok := ms[c.ID]; ok {
				rec := c
				b.pairs = append(b.pairs, &pair{object: sync.ObjectUser, icID: m.IntercomID, sfObject: "Contact", sfID: c.ID, sf: &rec,
					origin: store.OriginSalesforce, rule: "the Account owner decides the Intercom owner"})
			}
		}
		if err := b.syncPairs(ctx); err != nil {
			return err
		}
		if berr := b.err(); berr != nil {
			return errors.Join(berr, b.commit(ctx))
		}
	}
	wm.SystemModstamp = next
	b.ops.watermarks = append(b.ops.watermarks, wm)
	return b.commit(ctx)
}
