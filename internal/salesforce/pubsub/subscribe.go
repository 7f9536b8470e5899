package pubsub

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
)

// MaxCredit is the most events Salesforce keeps requested at once on a
// subscription; a larger request counts as this.
const MaxCredit = 100

// ChangeEvent is one Change Data Capture event.
type ChangeEvent struct {
	// ReplayID is the event's opaque position in the stream.
	ReplayID []byte
	// Entity is the object, e.g. "Lead"; RecordIDs the records the
	// transaction changed alike (several for a bulk update).
	Entity    string
	RecordIDs []string
	// ChangeType is CREATE, UPDATE, DELETE, UNDELETE or a GAP_* type.
	ChangeType     string
	ChangeOrigin   string
	TransactionKey string
	SequenceNumber int
	// CommitTimestamp is when the change was committed: the time of each
	// changed field.
	CommitTimestamp time.Time
	CommitUser      string
	// Changed names the fields the event says changed, Nulled those set
	// to null. Fields of compound fields (Name, addresses) are given by
	// their own names: FirstName, BillingCity.
	Changed []string
	Nulled  []string
	// Values holds the event's field values by the same names; a field
	// absent from the map is null in the event.
	Values map[string]any
	// Err, when set, is why the event could not be decoded; only
	// ReplayID is known then.
	Err error
}

// Gap reports an event carrying no field data (GAP_CREATE, GAP_UPDATE,
// GAP_DELETE, GAP_UNDELETE): the records must be read by id.
func (e ChangeEvent) Gap() bool {
	return strings.HasPrefix(e.ChangeType, "GAP_") && e.ChangeType != "GAP_OVERFLOW"
}

// Overflow reports a GAP_OVERFLOW event: a transaction too large for
// single events, with no record ids; the object must be reconciled.
func (e ChangeEvent) Overflow() bool { return e.ChangeType == "GAP_OVERFLOW" }

// Batch is what one response of the stream brought: its events, in order,
// and the stream's newest position (also on an empty keep-alive).
type Batch struct {
	Events         []ChangeEvent
	LatestReplayID []byte
}

// Subscription is an open Subscribe stream on one topic. Recv is not safe
// for concurrent use.
type Subscription struct {
	c      *Client
	topic  string
	ctx    context.Context
	cancel context.CancelFunc
	stream grpc.BidiStreamingClient[pubsubapi.FetchRequest, pubsubapi.FetchResponse]
	credit int32
	// from is where a reopened stream starts: the newest position
	// received, or the first subscription's.
	from []byte
	// refreshed: the token was refreshed since the last good response.
	refreshed bool
}

// Subscribe opens a subscription on topic after replayID (the newest
// event when nil) and asks for up to credit events at a time (at most
// MaxCredit).
func (c *Client) Subscribe(ctx context.Context, topic string, replayID []byte, credit int) (*Subscription, error) {
	if credit <= 0 || credit > MaxCredit {
		credit = MaxCredit
	}
	s := &Subscription{c: c, topic: topic, credit: int32(credit), from: replayID}
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// open starts the stream with the current token.
func (s *Subscription) open(ctx context.Context) error {
	tok, err := s.c.opts.Token.Token(ctx)
	if err != nil {
		return err
	}
	return s.openWith(ctx, tok.AccessToken, tok.InstanceURL)
}

func (s *Subscription) openWith(ctx context.Context, token, instance string) error {
	if s.cancel != nil {
		s.cancel()
	}
	sctx, cancel := context.WithCancel(ctx)
	sctx = metadata.AppendToOutgoingContext(sctx, "accesstoken", token, "instanceurl", instance, "tenantid", s.c.opts.TenantID)
	stream, err := s.c.api.Subscribe(sctx)
	if err != nil {
		cancel()
		return wrap(err, nil, "subscribe "+s.topic)
	}
	req := &pubsubapi.FetchRequest{TopicName: s.topic, NumRequested: s.credit, ReplayPreset: pubsubapi.ReplayPreset_LATEST}
	if len(s.from) > 0 {
		req.ReplayPreset, req.ReplayId = pubsubapi.ReplayPreset_CUSTOM, s.from
	}
	if err := stream.Send(req); err != nil {
		cancel()
		return s.streamErr(stream, err)
	}
	s.ctx, s.cancel, s.stream = sctx, cancel, stream
	return nil
}

// Close ends the subscription.
func (s *Subscription) Close() {
	if s.cancel != nil {
		s.cancel()
	}
}

// streamErr reads the status and trailers a failed stream ended with.
func (s *Subscription) streamErr(stream grpc.ClientStream, err error) error {
	if err == io.EOF {
		// The server ended the stream: its status comes from RecvMsg.
		err = stream.RecvMsg(new(pubsubapi.FetchResponse))
		if err == nil || err == io.EOF {
			return wrap(fmt.Errorf("stream closed by the server"), nil, "subscribe "+s.topic)
		}
	}
	return wrap(err, stream.Trailer(), "subscribe "+s.topic)
}

// Recv waits for the next response and decodes its events. It keeps the
// credit topped up, and reopens the stream once with a refreshed token
// when Salesforce refuses the current one.
func (s *Subscription) Recv(ctx context.Context) (Batch, error) {
	for {
		resp, err := s.stream.Recv()
		if err != nil {
			err = s.streamErr(s.stream, err)
			if e, ok := AsError(err); ok && e.Unauthenticated() && !s.refreshed && ctx.Err() == nil {
				s.refreshed = true
				tok, terr := s.c.opts.Token.Token(ctx)
				if terr != nil {
					return Batch{}, terr
				}
				if tok, terr = s.c.opts.Token.Refresh(ctx, tok); terr != nil {
					return Batch{}, terr
				}
				if oerr := s.openWith(ctx, tok.AccessToken, tok.InstanceURL); oerr != nil {
					return Batch{}, oerr
				}
				continue
			}
			return Batch{}, err
		}
		s.refreshed = false
		if pending := resp.GetPendingNumRequested(); pending < s.credit/2 {
			if err := s.stream.Send(&pubsubapi.FetchRequest{TopicName: s.topic, NumRequested: s.credit - pending}); err != nil {
				return Batch{}, s.streamErr(s.stream, err)
			}
		}
		b := Batch{LatestReplayID: resp.GetLatestReplayId()}
		for _, ce := range resp.GetEvents() {
			b.Events = append(b.Events, s.c.decode(ctx, ce))
		}
		if len(b.LatestReplayID) > 0 {
			s.from = b.LatestReplayID
		}
		if n := len(b.Events); n > 0 && len(b.Events[n-1].ReplayID) > 0 {
			s.from = b.Events[n-1].ReplayID
		}
		return b, nil
	}
}

// schema is a parsed event schema with its bitmap fields.
type schema struct {
	avro   avro.Schema
	fields []pubsubapi.Field
}

// schemaOf returns the parsed schema of an id, reading it once. Every
// change event schema defines the same named ChangeEventHeader, so each
// one is parsed into a cache of its own.
func (c *Client) schemaOf(ctx context.Context, id string) (*schema, error) {
	c.mu.Lock()
	sc, ok := c.schemas[id]
	c.mu.Unlock()
	if ok {
		return sc, nil
	}
	var info *pubsubapi.SchemaInfo
	err := c.withAuth(ctx, func(ctx context.Context) error {
		var err error
		info, err = c.api.GetSchema(ctx, &pubsubapi.SchemaRequest{SchemaId: id})
		return err
	})
	if err != nil {
		return nil, wrap(err, nil, "get schema "+id)
	}
	parsed, err := avro.ParseWithCache(info.GetSchemaJson(), "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("pubsub: schema %s: %w", id, err)
	}
	fields, err := pubsubapi.SchemaFields(info.GetSchemaJson())
	if err != nil {
		return nil, fmt.Errorf("pubsub: schema %s: %w", id, err)
	}
	sc = &schema{avro: parsed, fields: fields}
	c.mu.Lock()
	c.schemas[id] = sc
	c.mu.Unlock()
	return sc, nil
}

// decode turns a received event into a ChangeEvent; a failure is kept in
// its Err.
func (c *Client) decode(ctx context.Context, ce *pubsubapi.ConsumerEvent) ChangeEvent {
	out := ChangeEvent{ReplayID: ce.GetReplayId()}
	ev := ce.GetEvent()
	sc, err := c.schemaOf(ctx, ev.GetSchemaId())
	if err != nil {
		out.Err = err
		return out
	}
	var raw map[string]any
	if err := avro.Unmarshal(sc.avro, ev.GetPayload(), &raw); err != nil {
		out.Err = fmt.Errorf("pubsub: decode event %s: %w", ev.GetId(), err)
		return out
	}
	if err := fill(&out, raw, sc.fields); err != nil {
		out.Err = fmt.Errorf("pubsub: event %s: %w", ev.GetId(), err)
	}
	return out
}

// fill reads the header and the values of a decoded event.
func fill(out *ChangeEvent, raw map[string]any, fields []pubsubapi.Field) error {
	h, ok := unwrap(raw["ChangeEventHeader"]).(map[string]any)
	if !ok {
		return fmt.Errorf("no ChangeEventHeader")
	}
	str := func(k string) string { s, _ := unwrap(h[k]).(string); return s }
	out.Entity, out.ChangeType, out.ChangeOrigin = str("entityName"), str("changeType"), str("changeOrigin")
	out.TransactionKey, out.CommitUser = str("transactionKey"), str("commitUser")
	out.RecordIDs = stringList(h["recordIds"])
	if n, ok := number(h["sequenceNumber"]); ok {
		out.SequenceNumber = int(n)
	}
	if n, ok := number(h["commitTimestamp"]); ok {
		out.CommitTimestamp = time.UnixMilli(n).UTC()
	}
	children := map[string][]string{}
	for _, f := range fields {
		children[f.Name] = f.Children
	}
	names := func(k string) ([]string, error) {
		bits := stringList(h[k])
		if len(bits) == 0 {
			return nil, nil
		}
		var dec []string
		if strings.HasPrefix(bits[0], "0x") || strings.HasPrefix(bits[0], "0X") || strings.Contains(bits[0], "-0x") {
			var err error
			if dec, err = pubsubapi.DecodeBitmap(fields, bits); err != nil {
				return nil, err
			}
		} else {
			dec = bits // plain names, as CometD sends them
		}
		var out []string
		for _, n := range dec {
			parent, child, nested := strings.Cut(n, ".")
			switch {
			case nested:
				out = append(out, FlatName(parent, child))
			case len(children[parent]) > 0:
				for _, c := range children[parent] {
					out = append(out, FlatName(parent, c))
				}
			default:
				out = append(out, parent)
			}
		}
		return out, nil
	}
	var err error
	if out.Changed, err = names("changedFields"); err != nil {
		return err
	}
	if out.Nulled, err = names("nulledFields"); err != nil {
		return err
	}
	out.Values = map[string]any{}
	for k, v := range raw {
		if k == "ChangeEventHeader" {
			continue
		}
		v = unwrap(v)
		if m, ok := v.(map[string]any); ok && len(children[k]) > 0 {
			for ck, cv := range m {
				if cv = unwrap(cv); cv != nil {
					out.Values[FlatName(k, ck)] = cv
				}
			}
			continue
		}
		if v != nil {
			out.Values[k] = v
		}
	}
	return nil
}

// FlatName is the field name of child of compound field parent: Name's
// FirstName is FirstName, BillingAddress's City is BillingCity, a Lead's
// Address's City is City.
func FlatName(parent, child string) string {
	if p, ok := strings.CutSuffix(parent, "Address"); ok {
		return p + child
	}
	return child
}

// unwrap returns the value of a union decoded as {"type": value}.
func unwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k, inner := range m {
			switch k {
			case "string", "long", "int", "double", "float", "boolean", "bytes", "array", "map":
				return inner
			}
			if strings.Contains(k, ".") { // a named type: com.sforce.eventbus.X
				return inner
			}
		}
	}
	return v
}

// stringList reads an array of strings.
func stringList(v any) []string {
	switch a := unwrap(v).(type) {
	case []string:
		return a
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			if s, ok := unwrap(x).(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// number reads an Avro int or long.
func number(v any) (int64, bool) {
	switch n := unwrap(v).(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}
