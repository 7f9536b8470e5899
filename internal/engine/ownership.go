package engine

import (
	"context"
	"fmt"
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
	d = &directory{loadedAt: time.Now(), userEmail: map[string]string{}, userByEmail: map[string]string{},
		admins: map[string]intercom.Admin{}}
	if err := b.query(ctx, "SELECT Id, Email FROM User WHERE IsActive = true", func(r salesforce.Record) {
		id, email := r.String("Id"), r.String("Email")
		d.userEmail[id] = email
		if n := sync.NormalizeEmail(email); n != "" {
			if prev, ok := d.userByEmail[n]; !ok || id < prev {
				d.userByEmail[n] = id
			}
		}
	}); err != nil {
		return nil, err
	}
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
