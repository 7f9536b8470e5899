// Package pubsub subscribes to Salesforce Change Data Capture events over the
// Pub/Sub API (the gRPC service eventbus.v1.PubSub): it dials the endpoint,
// authenticates every call with the org's OAuth token (refreshed through the
// connection's token source when Salesforce answers UNAUTHENTICATED), keeps
// the subscription's flow-control credit topped up, and decodes each event's
// Avro payload with the schema Salesforce serves for it (parsed once per
// schema id) into a [ChangeEvent]: the header, the changed and nulled field
// names decoded from their bitmaps, and the field values.
//
// The event model is independent of the transport, so another one (CometD)
// could feed the same consumer.
package pubsub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
)

// Options configure a Client.
type Options struct {
	// Target is the endpoint's host:port. Required.
	Target string
	// TLS dials with TLS (Salesforce's endpoint); off is plaintext, for a
	// local emulator.
	TLS bool
	// TLSConfig, with TLS, replaces the system roots (e.g. an emulator's
	// own certificate).
	TLSConfig *tls.Config
	// Token is the org's OAuth token source: its access token and instance
	// URL go in every call's metadata; a call refused as unauthenticated
	// is tried once more with a refreshed token.
	Token salesforce.TokenSource
	// TenantID is the org id. Required.
	TenantID string
}

// Client is a Pub/Sub API client for one org. It is safe for concurrent
// use.
type Client struct {
	opts Options
	conn *grpc.ClientConn
	api  pubsubapi.PubSubClient

	mu      sync.Mutex
	schemas map[string]*schema
}

// Dial returns a Client. No connection is made until the first call.
func Dial(opts Options) (*Client, error) {
	if opts.Target == "" || opts.Token == nil || opts.TenantID == "" {
		return nil, errors.New("pubsub: a target, a token source and a tenant id are required")
	}
	creds := insecure.NewCredentials()
	if opts.TLS {
		cfg := opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(opts.Target, grpc.WithTransportCredentials(creds),
		// A change event is at most 1 MB; a batch holds up to 100.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20)))
	if err != nil {
		return nil, fmt.Errorf("pubsub: dial %s: %w", opts.Target, err)
	}
	return &Client{opts: opts, conn: conn, api: pubsubapi.NewPubSubClient(conn), schemas: map[string]*schema{}}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// authCtx adds the auth metadata of tok to ctx.
func (c *Client) authCtx(ctx context.Context, tok *salesforce.Token) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", tok.AccessToken, "instanceurl", tok.InstanceURL,
		"tenantid", c.opts.TenantID)
}

// withAuth runs call with the current token, and once more with a
// refreshed one when it is refused as unauthenticated.
func (c *Client) withAuth(ctx context.Context, call func(ctx context.Context) error) error {
	tok, err := c.opts.Token.Token(ctx)
	if err != nil {
		return err
	}
	err = call(c.authCtx(ctx, tok))
	if status.Code(err) != codes.Unauthenticated {
		return err
	}
	if tok, err = c.opts.Token.Refresh(ctx, tok); err != nil {
		return err
	}
	return call(c.authCtx(ctx, tok))
}

// Topic returns a topic's information; an unknown topic (Change Data
// Capture not enabled for the object) is an *Error whose NotFound is true.
func (c *Client) Topic(ctx context.Context, name string) (*pubsubapi.TopicInfo, error) {
	var info *pubsubapi.TopicInfo
	err := c.withAuth(ctx, func(ctx context.Context) error {
		var err error
		info, err = c.api.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: name})
		return err
	})
	if err != nil {
		return nil, wrap(err, nil, "get topic "+name)
	}
	return info, nil
}

// Error is a failed Pub/Sub call: its gRPC status and Salesforce's
// error-code trailer (e.g. sfdc.platform.eventbus.grpc.subscription.fetch.
// replayid.corrupted).
type Error struct {
	Op        string
	Code      codes.Code
	ErrorCode string
	Message   string
}

func (e *Error) Error() string {
	s := "pubsub: " + e.Op + ": " + e.Code.String()
	if e.ErrorCode != "" {
		s += " (" + e.ErrorCode + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// ReplayTooOld reports whether the replay id is no longer kept (older than
// the retention window) or not valid: the stream must start again from the
// newest event, and the missed window be reconciled otherwise.
func (e *Error) ReplayTooOld() bool {
	return strings.Contains(e.ErrorCode, "replayid") || e.Code == codes.InvalidArgument && strings.Contains(strings.ToLower(e.Message), "replay")
}

// NotFound reports an unknown topic: Change Data Capture is not enabled
// for the object (or the org has none).
func (e *Error) NotFound() bool { return e.Code == codes.NotFound }

// Unauthenticated reports a token Salesforce refused even after a refresh.
func (e *Error) Unauthenticated() bool { return e.Code == codes.Unauthenticated }

// LimitExceeded reports that the org's daily event delivery allocation is
// used up.
func (e *Error) LimitExceeded() bool {
	return strings.Contains(e.ErrorCode, "limit") || e.Code == codes.ResourceExhausted
}

// wrap turns a gRPC error into an *Error, reading the error-code trailer.
func wrap(err error, trailer metadata.MD, op string) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("pubsub: %s: %w", op, err)
	}
	e := &Error{Op: op, Code: st.Code(), Message: st.Message()}
	if v := trailer.Get("error-code"); len(v) > 0 {
		e.ErrorCode = v[0]
	}
	return e
}

// AsError returns err's *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
