package intercom

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// EventKind groups webhook topics by the object they carry.
type EventKind string

// Kinds of webhook events.
const (
	KindContact      EventKind = "contact"
	KindCompany      EventKind = "company"
	KindConversation EventKind = "conversation"
	// KindContactCompany is company.contact.attached/detached: both a
	// Contact and a Company are set.
	KindContactCompany EventKind = "contact_company"
	KindPing           EventKind = "ping"
	KindUnknown        EventKind = "unknown"
)

// Event is one parsed webhook notification.
type Event struct {
	// ID is the notification id ("notif_…"); null for pings, so "".
	// Redeliveries keep the id, which makes it the deduplication key.
	ID string
	// Topic is e.g. "contact.user.created".
	Topic string
	// AppID is the workspace the event belongs to.
	AppID string
	// CreatedAt is when Intercom created the notification.
	CreatedAt time.Time
	// DeliveryAttempts counts deliveries including this one.
	DeliveryAttempts int
	// FirstSentAt is when the first delivery was attempted.
	FirstSentAt time.Time
	// Kind says which of the typed fields below are set.
	Kind EventKind
	// Contact is set for contact.* topics and company.contact.*.
	Contact *Contact
	// Company is set for company.* topics.
	Company *Company
	// Conversation is set for conversation.* topics; its parts are only
	// the part(s) that triggered the notification.
	Conversation *Conversation
	// PingMessage is the message of a ping.
	PingMessage string
	// MergedFrom is the id of the lead merged away (contact.merged).
	MergedFrom string
	// Deleted is true for *.deleted topics, whose items are minimal.
	Deleted bool
	// Archived is true for contact.archived, false for contact.unarchive.
	Archived bool
	// Raw is the whole envelope exactly as received (and signed), so
	// nothing is lost whatever the typed parse understood.
	Raw json.RawMessage
	// ItemErr is set when the envelope is well-formed and signed but its
	// item does not fit the topic's type (no id, a field of an unexpected
	// type). The typed fields are then nil; the event still reaches the
	// sink so it can be stored and shown as a sync error rather than lost
	// after Intercom's single retry.
	ItemErr error
}

// Sink receives verified, parsed webhook events. Accept must be quick (the
// daemon stores and enqueues in one transaction): Intercom gives up on a
// delivery after 5 s. An error makes the handler answer 503 so Intercom
// retries the delivery; nothing is lost.
type Sink interface {
	Accept(ctx context.Context, ev *Event) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, ev *Event) error

// Accept implements Sink.
func (f SinkFunc) Accept(ctx context.Context, ev *Event) error { return f(ctx, ev) }

// ErrSinkFull is returned by ChannelSink when its buffer is full.
var ErrSinkFull = errors.New("intercom: webhook sink full")

// ChannelSink is a Sink backed by a bounded channel: Accept never blocks
// and reports ErrSinkFull when the buffer is full (the handler then answers
// 503 and Intercom redelivers later).
type ChannelSink struct {
	// C receives the events.
	C chan *Event
}

// NewChannelSink returns a ChannelSink buffering up to n events.
func NewChannelSink(n int) *ChannelSink { return &ChannelSink{C: make(chan *Event, n)} }

// Accept implements Sink.
func (s *ChannelSink) Accept(ctx context.Context, ev *Event) error {
	select {
	case s.C <- ev:
		return nil
	default:
		return ErrSinkFull
	}
}

// WebhookConfig configures NewWebhookHandler.
type WebhookConfig struct {
	// Secret is the app's client secret, which keys X-Hub-Signature.
	Secret string
	// Secrets, if set, is used instead of Secret: it returns the secrets
	// that may have signed a notification for appID (the app_id in the
	// body, read before verification only to pick the key). Returning
	// several allows rotation, and per-workspace private apps.
	Secrets func(ctx context.Context, appID string) ([]string, error)
	// MaxBody bounds the body size; default 1 MiB. Larger bodies get 413.
	MaxBody int64
	// Sink receives events. Required.
	Sink Sink
	// ReadTimeout bounds reading the body; default 1.5 s.
	ReadTimeout time.Duration
	// AcceptTimeout bounds Sink.Accept; default 2.5 s. With ReadTimeout
	// the handler answers inside Intercom's 5 s.
	AcceptTimeout time.Duration
	// Logger logs topics and ids, never bodies or secrets; default
	// discards.
	Logger *slog.Logger
}

// WebhookHandler is the http.Handler for Intercom webhook deliveries.
type WebhookHandler struct {
	cfg WebhookConfig
	log *slog.Logger
}

// NewWebhookHandler returns the handler for ferry's public webhook endpoint.
// It answers HEAD with 200 (Intercom validates URLs that way), verifies
// X-Hub-Signature in constant time (401 when missing or wrong), bounds the
// body (413), rejects malformed JSON (400), answers 200 to unknown topics
// without passing them on, and hands known ones to the sink (503 if the
// sink refuses), including those whose item it could not type (ItemErr).
func NewWebhookHandler(cfg WebhookConfig) *WebhookHandler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 1500 * time.Millisecond
	}
	if cfg.AcceptTimeout <= 0 {
		cfg.AcceptTimeout = 2500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Sink == nil {
		panic("intercom: NewWebhookHandler: nil Sink")
	}
	return &WebhookHandler{cfg: cfg, log: cfg.Logger}
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodHead, http.MethodGet:
		// Intercom checks the URL with HEAD; GET helps humans checking it.
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "HEAD, GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	sig := r.Header.Get("X-Hub-Signature")
	if sig == "" {
		h.log.WarnContext(ctx, "intercom webhook: missing signature")
		http.Error(w, "missing X-Hub-Signature", http.StatusUnauthorized)
		return
	}
	// A peer trickling its body must not hold the answer past Intercom's
	// 5 s; servers that cannot set deadlines just skip this.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.cfg.ReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.log.WarnContext(ctx, "intercom webhook: body too large", slog.Int64("limit", h.cfg.MaxBody))
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.WarnContext(ctx, "intercom webhook: read body", slog.Any("err", err))
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	secrets, err := h.secrets(ctx, body)
	if err != nil {
		h.log.ErrorContext(ctx, "intercom webhook: looking up secret", slog.Any("err", err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if !VerifySignature(secrets, body, sig) {
		h.log.WarnContext(ctx, "intercom webhook: bad signature")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	ev, err := ParseEvent(body)
	if err != nil {
		h.log.WarnContext(ctx, "intercom webhook: malformed notification", slog.Any("err", err))
		http.Error(w, "malformed notification", http.StatusBadRequest)
		return
	}
	if ev.ItemErr != nil {
		h.log.WarnContext(ctx, "intercom webhook: item not understood, passing on raw",
			slog.String("topic", ev.Topic), slog.String("id", ev.ID), slog.Any("err", ev.ItemErr))
	}
	if ev.Kind == KindUnknown {
		h.log.DebugContext(ctx, "intercom webhook: ignoring topic", slog.String("topic", ev.Topic), slog.String("id", ev.ID))
		w.WriteHeader(http.StatusOK)
		return
	}
	actx, cancel := context.WithTimeout(ctx, h.cfg.AcceptTimeout)
	err = h.cfg.Sink.Accept(actx, ev)
	cancel()
	if err != nil {
		h.log.ErrorContext(ctx, "intercom webhook: sink refused event", slog.String("topic", ev.Topic),
			slog.String("id", ev.ID), slog.Any("err", err))
		// 503 makes Intercom retry after a minute.
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	h.log.DebugContext(ctx, "intercom webhook: accepted", slog.String("topic", ev.Topic), slog.String("id", ev.ID),
		slog.String("app_id", ev.AppID), slog.Int("attempt", ev.DeliveryAttempts))
	w.WriteHeader(http.StatusOK)
}

func (h *WebhookHandler) secrets(ctx context.Context, body []byte) ([]string, error) {
	if h.cfg.Secrets == nil {
		if h.cfg.Secret == "" {
			return nil, errors.New("no webhook secret configured")
		}
		return []string{h.cfg.Secret}, nil
	}
	// Unverified: only used to choose which key to verify with.
	var env struct {
		AppID string `json:"app_id"`
	}
	_ = json.Unmarshal(body, &env)
	return h.cfg.Secrets(ctx, env.AppID)
}

// Sign returns the X-Hub-Signature value for body: "sha1=" and the hex
// HMAC-SHA1 keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is a valid X-Hub-Signature of body
// under any of secrets. The comparison is constant-time; empty secrets
// never verify.
func VerifySignature(secrets []string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha1=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha1.Size {
		return false
	}
	valid := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		mac := hmac.New(sha1.New, []byte(s))
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got) {
			valid = true
		}
	}
	return valid
}

// envelope is the notification wrapper.
type envelope struct {
	Type             string    `json:"type"`
	ID               *string   `json:"id"`
	Topic            string    `json:"topic"`
	AppID            string    `json:"app_id"`
	CreatedAt        Timestamp `json:"created_at"`
	DeliveryAttempts int       `json:"delivery_attempts"`
	FirstSentAt      Timestamp `json:"first_sent_at"`
	Data             *struct {
		Item json.RawMessage `json:"item"`
	} `json:"data"`
}

// ParseEvent parses a webhook body into an Event. It fails only on
// malformed JSON or a missing topic. Unknown topics parse with Kind
// KindUnknown; an item that does not fit its topic's type gives an Event
// with ItemErr set and the typed fields nil.
func ParseEvent(body []byte) (*Event, error) {
	var env envelope
	if err := decodeJSON(body, &env); err != nil {
		return nil, fmt.Errorf("intercom: webhook: %w", err)
	}
	if env.Topic == "" {
		return nil, errors.New("intercom: webhook: missing topic")
	}
	ev := &Event{
		Topic:            env.Topic,
		AppID:            env.AppID,
		CreatedAt:        env.CreatedAt.Time(),
		DeliveryAttempts: env.DeliveryAttempts,
		FirstSentAt:      env.FirstSentAt.Time(),
		Kind:             topicKind(env.Topic),
		Raw:              json.RawMessage(body),
	}
	if env.ID != nil {
		ev.ID = *env.ID
	}
	if ev.Kind == KindUnknown {
		return ev, nil
	}
	if err := ev.parseItem(env); err != nil {
		*ev = Event{Topic: ev.Topic, ID: ev.ID, AppID: ev.AppID, CreatedAt: ev.CreatedAt,
			DeliveryAttempts: ev.DeliveryAttempts, FirstSentAt: ev.FirstSentAt, Kind: ev.Kind, Raw: ev.Raw,
			ItemErr: fmt.Errorf("intercom: webhook %s: %w", env.Topic, err)}
	}
	return ev, nil
}

// parseItem fills the typed fields from data.item.
func (ev *Event) parseItem(env envelope) error {
	if env.Data == nil || len(env.Data.Item) == 0 || string(env.Data.Item) == "null" {
		return errors.New("missing data.item")
	}
	item := env.Data.Item
	var err error
	switch ev.Kind {
	case KindPing:
		var p struct {
			Message string `json:"message"`
		}
		err = decodeJSON(item, &p)
		ev.PingMessage = p.Message
	case KindContact:
		ev.Contact = new(Contact)
		err = decodeJSON(item, ev.Contact)
		if err == nil {
			if ev.Contact.MergedFrom != nil {
				ev.MergedFrom = ev.Contact.MergedFrom.ID
			}
			ev.Deleted = ev.Contact.Deleted || env.Topic == "contact.deleted"
			ev.Archived = ev.Contact.Archived || env.Topic == "contact.archived"
			if env.Topic == "contact.unarchive" || env.Topic == "contact.unarchived" {
				ev.Archived = false
			}
		}
	case KindCompany:
		ev.Company = new(Company)
		err = decodeJSON(item, ev.Company)
		if err == nil {
			ev.Deleted = ev.Company.Deleted || env.Topic == "company.deleted"
		}
	case KindContactCompany:
		var cc struct {
			Contact *Contact `json:"contact"`
			Company *Company `json:"company"`
		}
		err = decodeJSON(item, &cc)
		if err == nil && (cc.Contact == nil || cc.Company == nil) {
			err = errors.New("item needs both contact and company")
		}
		ev.Contact, ev.Company = cc.Contact, cc.Company
	case KindConversation:
		ev.Conversation = new(Conversation)
		err = decodeJSON(item, ev.Conversation)
		ev.Deleted = env.Topic == "conversation.deleted"
	}
	if err != nil {
		return fmt.Errorf("item: %w", err)
	}
	if id := ev.objectID(); id == "" && ev.Kind != KindPing {
		return errors.New("item has no id")
	}
	return nil
}

// objectID is the id of the main object the event is about.
func (ev *Event) objectID() string {
	switch ev.Kind {
	case KindContact:
		return ev.Contact.ID
	case KindCompany:
		return ev.Company.ID
	case KindContactCompany:
		if ev.Contact.ID == "" || ev.Company.ID == "" {
			return ""
		}
		return ev.Contact.ID
	case KindConversation:
		return ev.Conversation.ID
	}
	return ""
}

// knownTopics maps the topics ferry handles to their kind. Others (tags,
// subscriptions, tickets, admin.*) are acknowledged and ignored.
var knownTopics = map[string]EventKind{
	"ping": KindPing,

	"contact.user.created":     KindContact,
	"contact.lead.created":     KindContact,
	"contact.user.updated":     KindContact,
	"contact.lead.updated":     KindContact,
	"contact.updated":          KindContact,
	"contact.lead.signed_up":   KindContact,
	"contact.lead.added_email": KindContact,
	"contact.email.updated":    KindContact,
	"contact.deleted":          KindContact,
	"contact.archived":         KindContact,
	"contact.unarchive":        KindContact,
	"contact.unarchived":       KindContact,
	"contact.merged":           KindContact,
	"visitor.signed_up":        KindContact,

	"company.created":          KindCompany,
	"company.updated":          KindCompany,
	"company.deleted":          KindCompany,
	"company.contact.attached": KindContactCompany,
	"company.contact.detached": KindContactCompany,

	"conversation.user.created":         KindConversation,
	"conversation.user.replied":         KindConversation,
	"conversation.admin.replied":        KindConversation,
	"conversation.admin.single.created": KindConversation,
	"conversation.admin.assigned":       KindConversation,
	"conversation.admin.open.assigned":  KindConversation,
	"conversation.admin.noted":          KindConversation,
	"conversation.admin.closed":         KindConversation,
	"conversation.admin.opened":         KindConversation,
	"conversation.admin.snoozed":        KindConversation,
	"conversation.admin.unsnoozed":      KindConversation,
	"conversation.operator.replied":     KindConversation,
	"conversation.deleted":              KindConversation,
	"conversation.priority.updated":     KindConversation,
}

func topicKind(topic string) EventKind {
	if k, ok := knownTopics[topic]; ok {
		return k
	}
	return KindUnknown
}
