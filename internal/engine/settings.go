package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// connConfig is a connection's settings bound to its live schema. It is
// cached per connection and rebuilt when the settings version changes or the
// catalog is older than CatalogTTL.
type connConfig struct {
	version  int64
	loadedAt time.Time
	doc      settings.Document
	catalog  settings.Catalog
	// mappings by object ("lead", "user", "company").
	mappings map[sync.Object][]sync.Mapping
	// attrIDs maps Intercom attribute full names to data attribute ids, for
	// adding list options (F3.2).
	attrIDs map[string]string
	// problems are why some mappings could not be bound; those mappings
	// are left out and the others sync.
	problems []settings.Problem
	// setup is the setup check run with this schema (F1.4).
	setup setupcheck.Result
	// paused are, by object, the mappings whose Salesforce field is missing
	// or read-only: changes to their Intercom attributes are kept (as
	// sync errors with a retry) until the field is back.
	paused map[sync.Object][]settings.Mapping
	// sfAttrsReady: the SALESFORCE_* data attributes exist (F3.6).
	sfAttrsReady bool
}

// personKey returns the Intercom key ("email" or "external_id") and the
// Salesforce key field.
func (c *connConfig) personKey() (sync.PersonKey, string) {
	k := sync.KeyEmail
	if c.doc.Identity.Person.Intercom == settings.PersonKeyExternalID {
		k = sync.KeyExternalID
	}
	field := c.doc.Identity.Person.Salesforce
	if field == "" {
		field = "Email"
	}
	return k, field
}

// companyField returns the Account field matched with company_id, "" when
// account sync is off.
func (c *connConfig) companyField() string { return c.doc.Identity.Company.Salesforce }

// hasField reports whether the connected user sees field on object.
func (c *connConfig) hasField(object, field string) bool {
	for _, f := range c.catalog.Salesforce[object] {
		if strings.EqualFold(f.Name, field) {
			return true
		}
	}
	return false
}

// options returns the Intercom list options of a mapped attribute as the
// configuration knows them.
func (c *connConfig) options(object sync.Object, attr string) []string {
	for _, m := range c.mappings[object] {
		if m.Attribute.FullName == attr {
			return m.Attribute.Options
		}
	}
	return nil
}

// withOptions returns a copy of c whose mapped attribute attr has the list
// options opts, and caches it if c is still the connection's cached
// configuration. The copy keeps batches that still hold c unaffected.
func (e *Engine) withOptions(connID int64, c *connConfig, object sync.Object, attr string, opts []string) *connConfig {
	n := *c
	n.mappings = maps.Clone(c.mappings)
	ms := slices.Clone(c.mappings[object])
	for i := range ms {
		if ms[i].Attribute.FullName == attr {
			ms[i].Attribute.Options = slices.Clone(opts)
		}
	}
	n.mappings[object] = ms
	e.mu.Lock()
	if e.confs[connID] == c {
		e.confs[connID] = &n
	}
	e.mu.Unlock()
	return &n
}

// invalidate drops the cached configuration of a connection, e.g. before a
// retry after the admin fixed a field.
func (e *Engine) invalidate(connID int64) {
	e.mu.Lock()
	delete(e.confs, connID)
	e.mu.Unlock()
}

// config returns the connection's bound settings, loading the schema when
// needed. Describes are counted under the setup purpose.
func (e *Engine) config(ctx context.Context, connID int64, sf *salesforce.Client, ic *intercom.Client) (*connConfig, error) {
	st, err := e.store.GetSettings(ctx, connID)
	var doc settings.Document
	var version int64
	switch {
	case errors.Is(err, store.ErrNotFound):
		doc = settings.Default()
	case err != nil:
		return nil, fmt.Errorf("engine: settings: %w", err)
	default:
		version = st.Version
		if doc, err = settings.Parse(st.Doc); err != nil {
			return nil, fmt.Errorf("engine: settings of connection %d: %w", connID, err)
		}
	}
	e.mu.Lock()
	c := e.confs[connID]
	e.mu.Unlock()
	// Only a refresh for age alone takes describes read within a poll
	// interval (the last poll reads them when this refresh is due before
	// the next one); new settings or another setup check read them anew.
	var maxAge time.Duration
	if c != nil && c.version == version && e.setupCurrent(ctx, connID, c) {
		if time.Since(c.loadedAt) < e.opts.CatalogTTL {
			return c, nil
		}
		// Never older than the refresh period itself: a schema refreshed
		// more often than polls run is read anew each time.
		maxAge = min(e.pollInterval(doc)+time.Minute, e.opts.CatalogTTL)
	}

	c = &connConfig{version: version, loadedAt: time.Now(), doc: doc}
	// The setup check describes the objects: the settings are bound to
	// the same reading, and its result says which mappings are paused.
	if c.catalog.Salesforce, c.setup, err = connection.RunSetupCheckWithin(ctx, e.store, sf, connID, doc, e.now(), maxAge, e.log); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	c.paused = pausedMappings(doc, c.setup)
	if c.catalog.Intercom, c.attrIDs, err = connection.ListIntercomAttributes(ctx, ic); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	bound, problems := settings.Bind(doc, c.catalog)
	c.problems = problems
	if len(problems) > 0 {
		e.log.WarnContext(ctx, "settings do not fit the live schema; the mappings concerned are paused, the others sync", "connection", connID,
			"problems", len(problems), "first", problems[0].String())
	}
	c.mappings = map[sync.Object][]sync.Mapping{}
	for _, m := range bound {
		c.mappings[m.Object] = append(c.mappings[m.Object], m)
	}
	c.sfAttrsReady = true
	for _, def := range sync.SalesforceAttributeDefs() {
		if !slices.ContainsFunc(c.catalog.Intercom["contact"], func(a sync.ICAttribute) bool { return a.Name == def.Name }) {
			c.sfAttrsReady = false
		}
	}
	if !c.sfAttrsReady {
		if err := e.ensureSalesforceAttributes(ctx, ic, c); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	e.confs[connID] = c
	e.mu.Unlock()
	return c, nil
}

// setupCurrent reports whether the connection's last stored setup check
// found what c was built with: a check run meanwhile (on demand, or by
// another instance) that found other problems, such as a field back, makes
// the engine bind the settings again. Same problems keep the cache, so
// instances never make each other re-read the schema.
func (e *Engine) setupCurrent(ctx context.Context, connID int64, c *connConfig) bool {
	last, err := connection.LastSetupCheck(ctx, e.store, connID)
	return err == nil && setupcheck.SameProblems(last, c.setup)
}

// ensureSalesforceAttributes creates the SALESFORCE_* contact data
// attributes that are missing (F3.6).
func (e *Engine) ensureSalesforceAttributes(ctx context.Context, ic *intercom.Client, c *connConfig) error {
	have := map[string]bool{}
	for _, a := range c.catalog.Intercom["contact"] {
		have[a.Name] = true
	}
	for _, def := range sync.SalesforceAttributeDefs() {
		if have[def.Name] {
			continue
		}
		desc := "Salesforce data synced by ferry"
		_, err := ic.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: def.Name, Model: "contact", DataType: "string", Description: &desc})
		if err != nil {
			var apiErr *intercom.APIError
			// A concurrent worker may have created it first.
			if errors.As(err, &apiErr) && apiErr.StatusCode == 400 && strings.Contains(strings.ToLower(apiErr.Message), "already") {
				continue
			}
			return fmt.Errorf("engine: create data attribute %s: %w", def.Name, err)
		}
	}
	c.sfAttrsReady = true
	return nil
}
