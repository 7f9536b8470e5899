package salesforce

// The Pub/Sub API: Salesforce's gRPC service eventbus.v1.PubSub, serving
// the org's change events (cdc.go) on topics /data/ChangeEvents and
// /data/<Object>ChangeEvent. Every call is authenticated by the metadata
// accesstoken, instanceurl and tenantid; refusals carry the gRPC code and
// the error-code trailer Salesforce sends, with "rpcId: …" ending the
// message.

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Topic names and the error codes of the Pub/Sub API.
const (
	// AllChangeEventsTopic streams the change events of every enabled object.
	AllChangeEventsTopic = "/data/ChangeEvents"

	ErrCodeAuth            = "sfdc.platform.eventbus.grpc.service.auth.error"
	ErrCodeReplayCorrupted = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
	ErrCodeReplayInvalid   = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed"
	ErrCodeLimitExceeded   = "sfdc.platform.eventbus.grpc.subscription.limit.exceeded"
	ErrCodeUnavailable     = "sfdc.platform.eventbus.grpc.service.unavailable"
	// ErrCodeTopicNotFound is the emulator's best knowledge of the code;
	// the gRPC status (NOT_FOUND) and the message are Salesforce's.
	ErrCodeTopicNotFound  = "sfdc.platform.eventbus.grpc.topic.not.found"
	ErrCodeSchemaNotFound = "sfdc.platform.eventbus.grpc.schema.not.found"
	ErrCodeTopicMismatch  = "sfdc.platform.eventbus.grpc.subscription.fetch.topic.mismatch"
)

// maxCredit caps the events a subscriber may have requested and not yet
// received.
const maxCredit = 100

// pubsubListener is a running Pub/Sub API server.
type pubsubListener struct {
	grpc *grpc.Server
	addr string
	done chan struct{}
}

// StartPubSub serves the Pub/Sub API on addr (e.g. "127.0.0.1:0") in the
// background and returns the address it listens on. With cert it serves
// TLS, else plaintext. From the first start on, writes record change
// events. One Server runs at most one Pub/Sub listener.
func (s *Server) StartPubSub(addr string, cert *tls.Certificate) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("salesforce emulator: pub/sub listen: %w", err)
	}
	var opts []grpc.ServerOption
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})))
	}
	svc := &pubsubService{s: s}
	opts = append(opts, grpc.ChainUnaryInterceptor(svc.unaryAuth), grpc.ChainStreamInterceptor(svc.streamAuth))
	g := grpc.NewServer(opts...)
	pubsubapi.RegisterPubSubServer(g, svc)
	l := &pubsubListener{grpc: g, addr: ln.Addr().String(), done: make(chan struct{})}
	s.authMu.Lock()
	if s.pubsub != nil {
		s.authMu.Unlock()
		_ = ln.Close()
		return "", errors.New("salesforce emulator: the Pub/Sub API is already being served")
	}
	s.pubsub = l
	s.authMu.Unlock()
	s.cdcOn.Store(true)
	go func() {
		defer close(l.done)
		if err := g.Serve(ln); err != nil {
			s.log.Error("salesforce emulator: pub/sub server stopped", "err", err)
		}
	}()
	s.log.Info("salesforce emulator: pub/sub API listening", "addr", l.addr, "tls", cert != nil)
	return l.addr, nil
}

// StopPubSub stops the Pub/Sub API server, ending its streams; change
// events keep being recorded.
func (s *Server) StopPubSub() {
	s.authMu.Lock()
	l := s.pubsub
	s.pubsub = nil
	s.authMu.Unlock()
	if l == nil {
		return
	}
	l.grpc.Stop()
	<-l.done
}

// PubSubAddr returns the address the Pub/Sub API listens on, "" when it is
// not served.
func (s *Server) PubSubAddr() string {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if s.pubsub == nil {
		return ""
	}
	return s.pubsub.addr
}

// pubsubService implements eventbus.v1.PubSub.
type pubsubService struct {
	pubsubapi.UnimplementedPubSubServer
	s *Server
}

type rpcIDKey struct{}
type sessionKey struct{}

// rpcError is a refusal as Salesforce sends it: the status code, the
// message ending in the rpc id, and the error-code trailer.
func rpcError(ctx context.Context, code codes.Code, errorCode, msg string) error {
	id, _ := ctx.Value(rpcIDKey{}).(string)
	md := metadata.Pairs("error-code", errorCode)
	if ss := grpc.ServerTransportStreamFromContext(ctx); ss != nil {
		_ = ss.SetTrailer(md)
	}
	return status.Error(code, msg+" rpcId: "+id)
}

// authorize checks the call's metadata as Salesforce does.
func (p *pubsubService) authorize(ctx context.Context) (*session, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	tok, inst, tenant := get("accesstoken"), get("instanceurl"), get("tenantid")
	var sess *session
	if tok != "" && validInstanceURL(inst) {
		if id, ok := normalizeID(tenant); ok && id == p.s.orgID {
			sess = p.s.tokenSession(tok)
		}
	}
	if sess == nil {
		return nil, authError(ctx)
	}
	return sess, nil
}

func authError(ctx context.Context) error {
	return rpcError(ctx, codes.Unauthenticated, ErrCodeAuth, "An authentication exception occurred. Provide valid authentication via metadata headers.")
}

// validInstanceURL accepts an absolute http or https URL.
func validInstanceURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (p *pubsubService) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx = context.WithValue(ctx, rpcIDKey{}, newGUID())
	sess, err := p.authorize(ctx)
	if err != nil {
		return nil, err
	}
	return h(context.WithValue(ctx, sessionKey{}, sess), req)
}

// ctxStream gives a handler the context with the rpc id and session.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c ctxStream) Context() context.Context { return c.ctx }

func (p *pubsubService) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx := context.WithValue(ss.Context(), rpcIDKey{}, newGUID())
	sess, err := p.authorize(ctx)
	if err != nil {
		return err
	}
	return h(srv, ctxStream{ServerStream: ss, ctx: context.WithValue(ctx, sessionKey{}, sess)})
}

// topicEntity resolves a topic name to "" (all change events) or an
// object name, or false when the org has no such topic (also when Change
// Data Capture is off for the object). Callers hold b.mu.
func (b *cdcBus) topicEntity(topic string) (string, bool) {
	if topic == AllChangeEventsTopic {
		return "", true
	}
	name, ok := strings.CutPrefix(topic, "/data/")
	if !ok {
		return "", false
	}
	obj, ok := strings.CutSuffix(name, "ChangeEvent")
	if !ok || !isCDCObject(obj) || b.disabled[obj] {
		return "", false
	}
	return obj, true
}

func (p *pubsubService) topicNotFound(ctx context.Context, topic string) error {
	return rpcError(ctx, codes.NotFound, ErrCodeTopicNotFound,
		fmt.Sprintf("The topic information for org %s and topic %s not found. Ensure the topic exists and you have access to it.", p.s.orgID, topic))
}

// GetTopic implements eventbus.v1.PubSub.
func (p *pubsubService) GetTopic(ctx context.Context, req *pubsubapi.TopicRequest) (*pubsubapi.TopicInfo, error) {
	s, b := p.s, p.s.cdc
	s.mu.RLock()
	defer s.mu.RUnlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	entity, ok := b.topicEntity(req.GetTopicName())
	if !ok {
		return nil, p.topicNotFound(ctx, req.GetTopicName())
	}
	info := &pubsubapi.TopicInfo{TopicName: req.GetTopicName(), TenantGuid: s.orgID, CanSubscribe: true}
	info.RpcId, _ = ctx.Value(rpcIDKey{}).(string)
	if entity != "" {
		info.SchemaId = b.schemaFor(s.tables[strings.ToLower(entity)].obj).id
	}
	return info, nil
}

// GetSchema implements eventbus.v1.PubSub.
func (p *pubsubService) GetSchema(ctx context.Context, req *pubsubapi.SchemaRequest) (*pubsubapi.SchemaInfo, error) {
	b := p.s.cdc
	b.mu.Lock()
	sc := b.schemas[req.GetSchemaId()]
	b.mu.Unlock()
	if sc == nil {
		return nil, rpcError(ctx, codes.NotFound, ErrCodeSchemaNotFound, fmt.Sprintf("The schema %s was not found.", req.GetSchemaId()))
	}
	id, _ := ctx.Value(rpcIDKey{}).(string)
	return &pubsubapi.SchemaInfo{SchemaJson: sc.json, SchemaId: sc.id, RpcId: id}, nil
}

// subscription is the state of one Subscribe stream.
type subscription struct {
	p       *pubsubService
	ctx     context.Context
	stream  pubsubapi.PubSub_SubscribeServer
	topic   string
	entity  string
	token   string
	pos     uint64 // every event of the topic up to here was delivered
	credit  int32
	closeAt int64 // the bus's closeGen when the stream started
	rpcID   string
}

// Subscribe implements eventbus.v1.PubSub.
func (p *pubsubService) Subscribe(stream pubsubapi.PubSub_SubscribeServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	sub := &subscription{p: p, ctx: ctx, stream: stream, topic: first.GetTopicName()}
	sub.rpcID, _ = ctx.Value(rpcIDKey{}).(string)
	md, _ := metadata.FromIncomingContext(ctx)
	sub.token = md.Get("accesstoken")[0]
	if err := sub.start(first); err != nil {
		return err
	}
	reqs := make(chan *pubsubapi.FetchRequest)
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case reqs <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	lastSent := time.Now()
	for {
		wake, err := sub.deliver(&lastSent)
		if err != nil {
			return err
		}
		b := p.s.cdc
		b.mu.Lock()
		ka := b.keepAlive
		b.mu.Unlock()
		timer := time.NewTimer(time.Until(lastSent.Add(ka)))
		select {
		case <-wake:
		case req := <-reqs:
			if t := req.GetTopicName(); t != "" && t != sub.topic {
				timer.Stop()
				return rpcError(ctx, codes.InvalidArgument, ErrCodeTopicMismatch,
					fmt.Sprintf("The topic name %s in the FetchRequest differs from the subscription's topic %s.", t, sub.topic))
			}
			sub.addCredit(req.GetNumRequested())
		case err := <-recvErr:
			timer.Stop()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-timer.C:
			if err := sub.send(nil, sub.pos); err != nil {
				return err
			}
			lastSent = time.Now()
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
		timer.Stop()
	}
}

func (sub *subscription) addCredit(n int32) {
	if n > 0 {
		sub.credit = min(sub.credit+min(n, maxCredit), maxCredit)
	}
}

// start checks the topic and the replay position of the first request.
func (sub *subscription) start(first *pubsubapi.FetchRequest) error {
	b := sub.p.s.cdc
	b.mu.Lock()
	defer b.mu.Unlock()
	entity, ok := b.topicEntity(sub.topic)
	if !ok {
		return sub.p.topicNotFound(sub.ctx, sub.topic)
	}
	sub.entity = entity
	sub.closeAt = b.closeGen
	b.evictExpired(sub.p.s.stamp())
	switch first.GetReplayPreset() {
	case pubsubapi.ReplayPreset_EARLIEST:
		sub.pos = b.evicted
	case pubsubapi.ReplayPreset_CUSTOM:
		id := first.GetReplayId()
		if len(id) == 0 {
			return rpcError(sub.ctx, codes.InvalidArgument, ErrCodeReplayInvalid, "The Replay ID validation failed. A CUSTOM replay preset needs a replay ID.")
		}
		if len(id) != 8 || b.corrupt {
			return sub.corrupted()
		}
		n := binary.BigEndian.Uint64(id)
		if n < b.evicted || n > b.last {
			return sub.corrupted()
		}
		sub.pos = n
	default:
		sub.pos = b.last
	}
	if b.deliveryLeft(sub.p.s.now()) <= 0 {
		return sub.limitExceeded()
	}
	sub.addCredit(first.GetNumRequested())
	return nil
}

func (sub *subscription) limitExceeded() error {
	return rpcError(sub.ctx, codes.ResourceExhausted, ErrCodeLimitExceeded, "You have exceeded the event delivery limit for your org.")
}

func (sub *subscription) corrupted() error {
	return rpcError(sub.ctx, codes.InvalidArgument, ErrCodeReplayCorrupted,
		"The Replay ID validation failed. Ensure that the Replay ID is valid. One possible cause is that it's an old Replay ID outside the 72-hour retention period.")
}

// deliver sends what the subscriber has credit for and returns the channel
// that signals news. It also ends the stream when the token was revoked,
// the topic disabled, the streams closed or the allocation spent.
func (sub *subscription) deliver(lastSent *time.Time) (<-chan struct{}, error) {
	s := sub.p.s
	b := s.cdc
	if s.tokenSession(sub.token) == nil {
		return nil, authError(sub.ctx)
	}
	b.mu.Lock()
	if b.closeGen != sub.closeAt {
		b.mu.Unlock()
		return nil, rpcError(sub.ctx, codes.Unavailable, ErrCodeUnavailable, "The service is unavailable. Try again later.")
	}
	if _, ok := b.topicEntity(sub.topic); !ok {
		b.mu.Unlock()
		return nil, sub.p.topicNotFound(sub.ctx, sub.topic)
	}
	if sub.pos < b.evicted {
		b.mu.Unlock()
		return nil, sub.corrupted()
	}
	wake := b.wake
	i := sort.Search(len(b.log), func(i int) bool { return b.log[i].replay > sub.pos })
	var batch []*pubsubapi.ConsumerEvent
	pos := sub.pos
	for ; i < len(b.log) && int32(len(batch)) < sub.credit; i++ {
		e := b.log[i]
		if sub.entity != "" && e.entity != sub.entity {
			pos = e.replay
			continue
		}
		if b.disabled[e.entity] {
			pos = e.replay
			continue
		}
		batch = append(batch, &pubsubapi.ConsumerEvent{
			Event:    &pubsubapi.ProducerEvent{Id: e.id, SchemaId: e.schemaID, Payload: e.payload},
			ReplayId: replayBytes(e.replay),
		})
		pos = e.replay
	}
	if len(batch) > 0 {
		left := b.deliveryLeft(s.now())
		if left <= 0 {
			b.mu.Unlock()
			return nil, sub.limitExceeded()
		}
		if int64(len(batch)) > left {
			batch = batch[:left]
			pos = binary.BigEndian.Uint64(batch[len(batch)-1].ReplayId)
		}
		b.recordDelivery(s.now(), int64(len(batch)))
	}
	b.mu.Unlock()
	if len(batch) == 0 {
		// Events of other objects were passed over: the position moves on
		// without a response (the next keep-alive carries it).
		sub.pos = pos
		return wake, nil
	}
	sub.credit -= int32(len(batch))
	sub.pos = pos
	if err := sub.send(batch, pos); err != nil {
		return nil, err
	}
	*lastSent = time.Now()
	// Deliver more at once if there is credit and there are events.
	closed := make(chan struct{})
	close(closed)
	return closed, nil
}

func (sub *subscription) send(events []*pubsubapi.ConsumerEvent, latest uint64) error {
	return sub.stream.Send(&pubsubapi.FetchResponse{
		Events: events, LatestReplayId: replayBytes(latest), RpcId: sub.rpcID, PendingNumRequested: sub.credit,
	})
}

// deliveryLeft is what remains of the rolling 24-hour delivery allocation;
// callers hold b.mu.
func (b *cdcBus) deliveryLeft(now time.Time) int64 {
	b.pruneDeliveries(now)
	return b.allocation - b.delivered
}

// recordDelivery counts delivered events; callers hold b.mu.
func (b *cdcBus) recordDelivery(now time.Time, n int64) {
	b.deliveries = append(b.deliveries, delivery{at: now, n: n})
	b.delivered += n
}

// pruneDeliveries forgets deliveries older than 24 hours; callers hold b.mu.
func (b *cdcBus) pruneDeliveries(now time.Time) {
	cut := now.Add(-24 * time.Hour)
	i := 0
	for i < len(b.deliveries) && !b.deliveries[i].at.After(cut) {
		b.delivered -= b.deliveries[i].n
		i++
	}
	if i > 0 {
		b.deliveries = append([]delivery(nil), b.deliveries[i:]...)
	}
}

// delivery is one batch of delivered events, for the rolling allocation.
type delivery struct {
	at time.Time
	n  int64
}
