package salesforce

// Change Data Capture: every committed write of a change-tracked object
// becomes change events on the org's event bus, which the Pub/Sub API
// (pubsub.go) streams. Events are built inside the write's transaction,
// from the changes it recorded, so a rolled-back write publishes nothing.
//
// The event layout follows Salesforce's Pub/Sub change events: an Avro
// record named <Object>ChangeEvent whose field 0 is ChangeEventHeader and
// whose other fields are the object's fields (as describe shows them to the
// API user, less Id, IsDeleted and SystemModstamp) as nullable unions. For
// objects with a compound name (Contact, Lead, User), FirstName, LastName
// and Salutation are the children of a compound Name record, so a changed
// last name is "Name.LastName" in changedFields, as in Salesforce.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
	"github.com/hamba/avro/v2"
)

// Change types of a change event header.
const (
	ChangeCreate      = "CREATE"
	ChangeUpdate      = "UPDATE"
	ChangeDelete      = "DELETE"
	ChangeUndelete    = "UNDELETE"
	ChangeGapCreate   = "GAP_CREATE"
	ChangeGapUpdate   = "GAP_UPDATE"
	ChangeGapDelete   = "GAP_DELETE"
	ChangeGapUndelete = "GAP_UNDELETE"
	ChangeGapOverflow = "GAP_OVERFLOW"
)

var changeTypes = []string{ChangeCreate, ChangeUpdate, ChangeDelete, ChangeUndelete,
	ChangeGapCreate, ChangeGapUpdate, ChangeGapDelete, ChangeGapUndelete, ChangeGapOverflow}

// cdcObjects are the emulated objects Salesforce offers Change Data Capture
// for; all are enabled until the control surface disables one.
var cdcObjects = []string{"Account", "Case", "Contact", "Lead", "Opportunity", "OpportunityContactRole", "Task", "User", "UserRole"}

// Defaults of the event bus.
const (
	// DefaultEventRetention is how long Salesforce keeps change events.
	DefaultEventRetention = 72 * time.Hour
	// DefaultKeepAlive is how often an idle Subscribe stream gets an empty
	// response; Salesforce promises one "within 270 seconds".
	DefaultKeepAlive = 270 * time.Second
	// DefaultDeliveryAllocation is the daily event delivery allocation.
	DefaultDeliveryAllocation = 50000
)

// cdcEvent is one retained change event.
type cdcEvent struct {
	replay   uint64
	entity   string // object name, e.g. "Lead"
	at       time.Time
	id       string // the event's GUID
	schemaID string
	payload  []byte // Avro binary
}

// cdcSchema is the change event schema of one object at one moment.
type cdcSchema struct {
	id     string
	json   string
	entity string
	sig    string // the field list it was built from
	avro   avro.Schema
	body   []cdcField
	bitmap []pubsubapi.Field // header + body, for the field bitmaps
}

// cdcField is one body field of a change event schema: a record field, or
// the compound Name with its children.
type cdcField struct {
	name string
	def  *fieldDef   // nil for the compound Name
	kids []*fieldDef // children of the compound Name
}

// cdcBus is the org's retained change event log and its settings.
type cdcBus struct {
	mu         sync.Mutex
	wake       chan struct{} // closed (and replaced) when streams should look again
	log        []*cdcEvent   // retained events, oldest first
	evicted    uint64        // newest replay id no longer retained
	last       uint64        // newest replay id
	commitNum  int64
	retention  time.Duration
	keepAlive  time.Duration
	allocation int64
	deliveries []delivery // the last 24 hours' deliveries, oldest first
	delivered  int64      // their sum
	disabled   map[string]bool
	schemas    map[string]*cdcSchema // by id
	current    map[string]*cdcSchema // by object name
	closeGen   int64                 // bumped by CloseStreams
	corrupt    bool                  // refuse every CUSTOM replay id
}

func newCDCBus() *cdcBus {
	return &cdcBus{
		wake:       make(chan struct{}),
		retention:  DefaultEventRetention,
		keepAlive:  DefaultKeepAlive,
		allocation: DefaultDeliveryAllocation,
		disabled:   map[string]bool{},
		schemas:    map[string]*cdcSchema{},
		current:    map[string]*cdcSchema{},
		commitNum:  10708862594000,
	}
}

// notify wakes every stream; callers hold b.mu.
func (b *cdcBus) notify() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// wakeAll makes every stream look again (after a token was revoked).
func (b *cdcBus) wakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notify()
}

// change is one record write a transaction made, kept until commit.
type change struct {
	t        *table
	id       string
	kind     string
	old, new map[string]any
}

// callInfo is who made a REST call, for the change events it causes.
type callInfo struct {
	origin string // changeOrigin
	userID string
}

type callInfoKey struct{}

// withCallInfo keeps the REST call's user and its Sforce-Call-Options
// client id for the change events of its writes.
func withCallInfo(r *http.Request, userID string) *http.Request {
	seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/services/data/"), "/")
	origin := "com/salesforce/api/rest/" + strings.TrimPrefix(seg, "v")
	if c := callOptionsClient(r.Header.Get("Sforce-Call-Options")); c != "" {
		origin += ";client=" + c
	}
	return r.WithContext(context.WithValue(r.Context(), callInfoKey{}, callInfo{origin: origin, userID: userID}))
}

// callOptionsClient returns the client=… value of a Sforce-Call-Options
// header ("client=ferry, defaultNamespace=x").
func callOptionsClient(h string) string {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "client") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// noteChange records a write for the transaction's change events; undoing
// the write forgets it.
func (tx *txn) noteChange(t *table, id, kind string, old, new map[string]any) {
	if !tx.s.cdcOn.Load() {
		return
	}
	tx.changes = append(tx.changes, change{t: t, id: id, kind: kind, old: old, new: new})
	n := len(tx.changes)
	tx.onUndo(func() { tx.changes = tx.changes[:n-1] })
}

// commit publishes the change events of a successful write transaction;
// callers still hold s.mu, so records cannot change under it.
func (tx *txn) commit() {
	if len(tx.changes) == 0 {
		return
	}
	changes := tx.changes
	tx.changes = nil
	user := tx.call.userID
	if user == "" {
		user = tx.s.userID
	}
	tx.s.cdc.publishChanges(tx.s, changes, tx.call.origin, user)
}

// eventContent is what one change contributes to an event; changes with
// equal content in one transaction share an event.
type eventContent struct {
	schema  *cdcSchema
	kind    string
	changed []string
	nulled  []string
	body    []any // per schema body field: its stored value, nil for null
	key     string
}

func (b *cdcBus) publishChanges(s *Server, changes []change, origin, user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := s.stamp()
	type group struct {
		c   eventContent
		ids []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, ch := range changes {
		obj := ch.t.obj.Name
		if !isCDCObject(obj) || b.disabled[obj] {
			continue
		}
		sc := b.schemaFor(ch.t.obj)
		c := sc.content(ch)
		if g := byKey[c.key]; g != nil {
			g.ids = append(g.ids, ch.id)
			continue
		}
		g := &group{c: c, ids: []string{ch.id}}
		byKey[c.key] = g
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return
	}
	b.commitNum++
	txKey := newGUID()
	for i, g := range groups {
		hdr := header{
			entity: g.c.schema.entity, recordIDs: g.ids, kind: g.c.kind, origin: origin,
			txKey: txKey, seq: i + 1, at: now, commitNum: b.commitNum, user: user,
			changed: g.c.changed, nulled: g.c.nulled,
		}
		b.appendEvent(g.c.schema, hdr, g.c.body)
	}
	b.evictExpired(now)
	b.notify()
}

// header is a ChangeEventHeader.
type header struct {
	entity    string
	recordIDs []string
	kind      string
	origin    string
	txKey     string
	seq       int
	at        time.Time
	commitNum int64
	user      string
	changed   []string
	nulled    []string
}

// appendEvent encodes and retains one event; callers hold b.mu.
func (b *cdcBus) appendEvent(sc *cdcSchema, h header, body []any) {
	changed, err1 := pubsubapi.EncodeBitmap(sc.bitmap, h.changed)
	nulled, err2 := pubsubapi.EncodeBitmap(sc.bitmap, h.nulled)
	if err1 != nil || err2 != nil {
		panic(fmt.Sprintf("salesforce: change event bitmap: %v %v", err1, err2)) // the names come from the schema itself
	}
	w := avroWriter{buf: make([]byte, 0, 512)}
	w.str(h.entity)
	w.strs(h.recordIDs)
	w.long(int64(indexOf(changeTypes, h.kind)))
	w.str(h.origin)
	w.str(h.txKey)
	w.long(int64(h.seq))
	w.long(h.at.UnixMilli())
	w.long(h.commitNum)
	w.str(h.user)
	w.strs(nulled)
	w.strs(nil) // diffFields: text fields are sent whole
	w.strs(changed)
	for i, f := range sc.body {
		var v any
		if body != nil {
			v = body[i]
		}
		if v == nil {
			w.long(0) // the null branch
			continue
		}
		w.long(1)
		if f.def != nil {
			w.value(f.def, v)
			continue
		}
		kids := v.(map[string]any)
		for _, k := range f.kids {
			if kv := kids[k.Name]; kv == nil {
				w.long(0)
			} else {
				w.long(1)
				w.value(k, kv)
			}
		}
	}
	b.last++
	b.log = append(b.log, &cdcEvent{replay: b.last, entity: h.entity, at: h.at, id: newGUID(), schemaID: sc.id, payload: w.buf})
}

// avroWriter writes Avro's binary encoding.
type avroWriter struct{ buf []byte }

// long writes an int or long: zig-zag, then a varint.
func (w *avroWriter) long(n int64) {
	w.buf = binary.AppendUvarint(w.buf, uint64((n<<1)^(n>>63)))
}

func (w *avroWriter) str(s string) {
	w.long(int64(len(s)))
	w.buf = append(w.buf, s...)
}

// strs writes an array of strings: one block, then the empty block.
func (w *avroWriter) strs(ss []string) {
	if len(ss) > 0 {
		w.long(int64(len(ss)))
		for _, s := range ss {
			w.str(s)
		}
	}
	w.long(0)
}

// value writes a stored field value as its Avro type (see avroType).
func (w *avroWriter) value(f *fieldDef, v any) {
	switch f.Type {
	case typeDatetime:
		s, _ := v.(string)
		t, _ := parseTime(s) // stored values are canonical
		w.long(t.UnixMilli())
		return
	case typeDate:
		s, _ := v.(string)
		d, _ := time.Parse("2006-01-02", s)
		w.long(d.Unix() / 86400)
		return
	}
	switch avroType(f) {
	case "boolean":
		if b, _ := v.(bool); b {
			w.buf = append(w.buf, 1)
		} else {
			w.buf = append(w.buf, 0)
		}
	case "double":
		w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(toFloat(v)))
	case "int":
		w.long(int64(toFloat(v)))
	default:
		if s, ok := v.(string); ok {
			w.str(s)
		} else {
			w.str(fmt.Sprint(v))
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// evictExpired drops events older than the retention; callers hold b.mu.
func (b *cdcBus) evictExpired(now time.Time) {
	b.evictBefore(now.Add(-b.retention))
}

// evictBefore drops events committed before t; callers hold b.mu.
func (b *cdcBus) evictBefore(t time.Time) int {
	n := 0
	for n < len(b.log) && b.log[n].at.Before(t) {
		n++
	}
	if n > 0 {
		b.evicted = b.log[n-1].replay
		b.log = append([]*cdcEvent(nil), b.log[n:]...)
	}
	return n
}

func isCDCObject(name string) bool {
	for _, o := range cdcObjects {
		if o == name {
			return true
		}
	}
	return false
}

// newGUID returns a random GUID in the 8-4-4-4-12 layout.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// compoundKids are the children of the compound Name, in Salesforce's order.
var compoundKids = []string{"Salutation", "FirstName", "LastName"}

// cdcSkipped are fields change events do not carry.
func cdcSkipped(name string) bool {
	return name == "Id" || name == "IsDeleted" || name == "SystemModstamp"
}

// schemaSignature lists what the change event schema of o depends on.
func schemaSignature(o *objectDef) string {
	var sb strings.Builder
	for _, f := range o.Fields {
		if f.Hidden || cdcSkipped(f.Name) {
			continue
		}
		sb.WriteString(f.Name)
		sb.WriteByte(':')
		sb.WriteString(f.Type)
		sb.WriteByte(',')
	}
	return sb.String()
}

// schemaFor returns the current change event schema of an object, building
// (and registering) a new one when its fields changed; callers hold b.mu.
func (b *cdcBus) schemaFor(o *objectDef) *cdcSchema {
	sig := schemaSignature(o)
	if sc := b.current[o.Name]; sc != nil && sc.sig == sig {
		return sc
	}
	sc := buildSchema(o, sig)
	if old := b.schemas[sc.id]; old != nil {
		sc = old
	} else {
		b.schemas[sc.id] = sc
	}
	b.current[o.Name] = sc
	return sc
}

// avroType is the Avro type of a field's values.
func avroType(f *fieldDef) string {
	switch f.Type {
	case typeBoolean:
		return "boolean"
	case typeDouble, typeCurrency, typePercent:
		return "double"
	case typeInt, typeDate:
		return "int"
	case typeDatetime:
		return "long"
	}
	return "string"
}

// nullable is a field of a ["null", T] union defaulting to null.
func nullable(name string, t any, doc string) map[string]any {
	m := map[string]any{"name": name, "type": []any{"null", t}, "default": nil}
	if doc != "" {
		m["doc"] = doc
	}
	return m
}

func fieldDoc(f *fieldDef) string {
	switch f.Type {
	case typeDate:
		return "Data:Date"
	case typeDatetime:
		return "Data:DateTime"
	}
	return ""
}

func buildSchema(o *objectDef, sig string) *cdcSchema {
	sc := &cdcSchema{entity: o.Name, sig: sig}
	strArray := map[string]any{"type": "array", "items": "string"}
	headerFields := []any{
		map[string]any{"name": "entityName", "type": "string"},
		map[string]any{"name": "recordIds", "type": strArray},
		map[string]any{"name": "changeType", "type": map[string]any{"type": "enum", "name": "ChangeType", "symbols": toAny(changeTypes)}},
		map[string]any{"name": "changeOrigin", "type": "string"},
		map[string]any{"name": "transactionKey", "type": "string"},
		map[string]any{"name": "sequenceNumber", "type": "int"},
		map[string]any{"name": "commitTimestamp", "type": "long"},
		map[string]any{"name": "commitNumber", "type": "long"},
		map[string]any{"name": "commitUser", "type": "string"},
		map[string]any{"name": "nulledFields", "type": strArray},
		map[string]any{"name": "diffFields", "type": strArray},
		map[string]any{"name": "changedFields", "type": strArray},
	}
	fields := []any{map[string]any{"name": "ChangeEventHeader", "type": map[string]any{
		"type": "record", "name": "ChangeEventHeader", "fields": headerFields}}}
	sc.bitmap = []pubsubapi.Field{{Name: "ChangeEventHeader"}}
	for _, f := range o.Fields {
		if f.Hidden || cdcSkipped(f.Name) {
			continue
		}
		if o.compoundName && indexOf(compoundKids, f.Name) >= 0 {
			continue
		}
		if o.compoundName && f.Name == "Name" {
			cf := cdcField{name: "Name"}
			var kidFields []any
			var kidNames []string
			for _, k := range compoundKids {
				if kf := o.field(k); kf != nil && !kf.Hidden {
					cf.kids = append(cf.kids, kf)
					kidFields = append(kidFields, nullable(k, "string", ""))
					kidNames = append(kidNames, k)
				}
			}
			sc.body = append(sc.body, cf)
			fields = append(fields, nullable("Name", map[string]any{"type": "record", "name": "PersonName", "fields": kidFields}, ""))
			sc.bitmap = append(sc.bitmap, pubsubapi.Field{Name: "Name", Children: kidNames})
			continue
		}
		sc.body = append(sc.body, cdcField{name: f.Name, def: f})
		fields = append(fields, nullable(f.Name, avroType(f), fieldDoc(f)))
		sc.bitmap = append(sc.bitmap, pubsubapi.Field{Name: f.Name})
	}
	root := map[string]any{"type": "record", "name": o.Name + "ChangeEvent", "namespace": "com.sforce.eventbus", "fields": fields}
	js, err := marshalJSON(root)
	if err != nil {
		panic(fmt.Sprintf("salesforce: change event schema: %v", err))
	}
	sc.json = string(js)
	sum := sha256.Sum256(js)
	sc.id = base64.RawURLEncoding.EncodeToString(sum[:16])
	// Each schema defines com.sforce.eventbus.ChangeEventHeader, so each
	// gets a cache of its own (hamba's default cache is global).
	sc.avro, err = avro.ParseWithCache(sc.json, "", &avro.SchemaCache{})
	if err != nil {
		panic(fmt.Sprintf("salesforce: change event schema %s: %v", o.Name, err))
	}
	return sc
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// content is what a change puts in an event under this schema: the
// stored values of the fields it carries (a map of children for the
// compound Name), nil for null.
func (sc *cdcSchema) content(ch change) eventContent {
	c := eventContent{schema: sc, kind: ch.kind, changed: []string{}, nulled: []string{}, body: make([]any, len(sc.body))}
	full := ch.kind == ChangeCreate || ch.kind == ChangeUndelete
	key := make([]byte, 0, 256)
	key = append(key, sc.entity...)
	key = append(key, 0)
	key = append(key, ch.kind...)
	for i, f := range sc.body {
		if f.def != nil {
			nv := ch.new[f.def.Name]
			if nv == "" {
				nv = nil
			}
			switch {
			case full:
			case ch.kind == ChangeUpdate:
				// Every update changes LastModifiedDate in Salesforce, even
				// within the same millisecond.
				if sameValue(ch.old[f.def.Name], nv) && f.def.Name != "LastModifiedDate" {
					continue
				}
				c.changed = append(c.changed, f.name)
				if nv == nil {
					c.nulled = append(c.nulled, f.name)
				}
			default:
				continue
			}
			c.body[i] = nv
			// Salesforce stamps a whole transaction with one time; the
			// emulator stamps each write, so audit times do not tell
			// changes apart.
			if f.name != "LastModifiedDate" && f.name != "CreatedDate" {
				key = keyField(key, i, -1, nv)
			}
			continue
		}
		// The compound Name.
		var kids map[string]any
		for j, k := range f.kids {
			nv := ch.new[k.Name]
			if nv == "" {
				nv = nil
			}
			switch {
			case full:
			case ch.kind == ChangeUpdate:
				if sameValue(ch.old[k.Name], nv) {
					continue
				}
				c.changed = append(c.changed, "Name."+k.Name)
				if nv == nil {
					c.nulled = append(c.nulled, "Name."+k.Name)
				}
			default:
				continue
			}
			if kids == nil {
				kids = map[string]any{}
			}
			kids[k.Name] = nv
			key = keyField(key, i, j, nv)
		}
		if kids != nil && (ch.kind == ChangeUpdate || hasValue(kids)) {
			c.body[i] = kids
		}
	}
	sum := sha256.Sum256(key)
	c.key = string(sum[:16])
	return c
}

func hasValue(m map[string]any) bool {
	for _, v := range m {
		if v != nil {
			return true
		}
	}
	return false
}

// keyField appends a field (by its position, and its child's for the
// compound Name) and its value to a grouping key.
func keyField(b []byte, i, child int, v any) []byte {
	b = binary.AppendVarint(b, int64(i))
	b = binary.AppendVarint(b, int64(child))
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...)
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, 'd'), math.Float64bits(x))
	default:
		s := fmt.Sprintf("%T%v", x, x)
		b = append(b, 'o')
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
}

// sameValue compares stored values; an empty string is null.
func sameValue(a, b any) bool {
	if a == "" {
		a = nil
	}
	if b == "" {
		b = nil
	}
	return a == b
}

// replayBytes is a replay id on the wire: 8 bytes, big-endian.
func replayBytes(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}
