package intercom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	webhookQueueSize = 65536
	webhookWorkers   = 4
	webhookTimeout   = 5 * time.Second // Intercom's answer deadline
)

// envelope is Intercom's notification_event, fields in Intercom's order.
type envelope struct {
	Type             string       `json:"type"`
	AppID            string       `json:"app_id"`
	Data             envelopeData `json:"data"`
	Links            struct{}     `json:"links"`
	ID               *string      `json:"id"`
	Topic            string       `json:"topic"`
	DeliveryStatus   *string      `json:"delivery_status"`
	DeliveryAttempts int          `json:"delivery_attempts"`
	DeliveredAt      int64        `json:"delivered_at"`
	FirstSentAt      int64        `json:"first_sent_at"`
	CreatedAt        int64        `json:"created_at"`
	Self             *string      `json:"self"`
}

type envelopeData struct {
	Type string          `json:"type"`
	Item json.RawMessage `json:"item"`
}

// delivery is one envelope on its way to one subscription.
type delivery struct {
	url string
	env envelope
	key string // the item's id: same key, same worker
}

// deliverer sends webhooks from bounded queues with a few workers, so API
// calls never wait on a subscriber. Deliveries about the same object go
// through the same worker, so a subscriber sees them in order (until a
// retry); different objects are delivered concurrently.
type deliverer struct {
	s          *Server
	client     *http.Client
	queues     []chan *delivery
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	retryDelay atomic.Int64 // nanoseconds

	mu   sync.Mutex
	subs []string

	sent, failed atomic.Int64
}

func newDeliverer(s *Server, subs []string) *deliverer {
	ctx, cancel := context.WithCancel(context.Background())
	d := &deliverer{s: s, client: &http.Client{Timeout: webhookTimeout}, ctx: ctx, cancel: cancel, subs: slices.Clone(subs)}
	d.retryDelay.Store(int64(s.opts.WebhookRetryDelay))
	for range webhookWorkers {
		q := make(chan *delivery, webhookQueueSize/webhookWorkers)
		d.queues = append(d.queues, q)
		d.wg.Add(1)
		go d.work(q)
	}
	return d
}

func (d *deliverer) close() {
	d.cancel()
	d.wg.Wait()
}

func (d *deliverer) subscribers() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.subs)
}

// AddWebhook subscribes url to every topic at runtime.
func (s *Server) AddWebhook(url string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if !slices.Contains(s.hooks.subs, url) {
		s.hooks.subs = append(s.hooks.subs, url)
	}
}

// SetWebhookRetryDelay changes how long a failed delivery waits before its
// one retry.
func (s *Server) SetWebhookRetryDelay(d time.Duration) { s.hooks.retryDelay.Store(int64(d)) }

// emitLocked queues topic with a snapshot of item for every subscription.
// It never blocks: with the queue full the delivery is dropped and counted
// as failed.
func (s *Server) emitLocked(topic string, item any) {
	subs := s.hooks.subscribers()
	if len(subs) == 0 {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(item); err != nil {
		s.log.Error("intercom: webhook item", "topic", topic, "err", err)
		return
	}
	var ref struct {
		ID any `json:"id"`
	}
	json.Unmarshal(buf.Bytes(), &ref)
	key := fmt.Sprint(ref.ID)
	now := s.now().Unix()
	id := "notif_" + newUUID()
	for _, url := range subs {
		env := envelope{Type: "notification_event", AppID: s.appID,
			Data: envelopeData{Type: "notification_event_data", Item: json.RawMessage(bytes.TrimSpace(buf.Bytes()))},
			ID:   &id, Topic: topic, DeliveryStatus: ptr("pending"), CreatedAt: now}
		s.hooks.enqueue(&delivery{url: url, env: env, key: key})
	}
}

// Ping sends Intercom's ping notification to every subscription.
func (s *Server) Ping() {
	item, _ := json.Marshal(map[string]string{"type": "ping", "message": "ping from the ferry Intercom emulator"})
	for _, url := range s.hooks.subscribers() {
		s.hooks.enqueue(&delivery{url: url, env: envelope{Type: "notification_event", AppID: s.appID,
			Data: envelopeData{Type: "notification_event_data", Item: item}, Topic: "ping", CreatedAt: s.now().Unix()}})
	}
}

func (d *deliverer) enqueue(dl *delivery) {
	h := fnv.New32a()
	h.Write([]byte(dl.url + "\x00" + dl.key))
	select {
	case d.queues[h.Sum32()%uint32(len(d.queues))] <- dl:
	default:
		d.failed.Add(1)
		d.s.log.Warn("intercom: webhook queue full, delivery dropped", "topic", dl.env.Topic, "url", dl.url)
	}
}

func (d *deliverer) work(queue <-chan *delivery) {
	defer d.wg.Done()
	for {
		select {
		case <-d.ctx.Done():
			return
		case dl := <-queue:
			d.deliver(dl)
		}
	}
}

// deliver posts one envelope; a failure is retried once after the retry
// delay, a 410 unsubscribes the URL, as Intercom does.
func (d *deliverer) deliver(dl *delivery) {
	dl.env.DeliveryAttempts++
	if dl.env.FirstSentAt == 0 {
		dl.env.FirstSentAt = d.s.now().Unix()
	}
	status, err := d.post(dl)
	switch {
	case err == nil && status >= 200 && status < 300:
		d.sent.Add(1)
		return
	case err == nil && status == http.StatusGone:
		d.failed.Add(1)
		d.mu.Lock()
		d.subs = slices.DeleteFunc(d.subs, func(u string) bool { return u == dl.url })
		d.mu.Unlock()
		d.s.log.Info("intercom: webhook subscription disabled by 410", "url", dl.url)
		return
	}
	d.s.log.Warn("intercom: webhook delivery failed", "topic", dl.env.Topic, "url", dl.url, "status", status, "err", err, "attempt", dl.env.DeliveryAttempts)
	if dl.env.DeliveryAttempts >= 2 {
		d.failed.Add(1)
		return
	}
	delay := time.Duration(d.retryDelay.Load())
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			d.enqueue(dl)
		case <-d.ctx.Done():
		}
	}()
}

// post sends the envelope. It does not use d.ctx: Close waits for
// deliveries in flight rather than cutting them off.
func (d *deliverer) post(dl *delivery) (int, error) {
	body, err := json.Marshal(dl.env)
	if err != nil {
		return 0, fmt.Errorf("intercom: encode webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("intercom: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "intercom-parrot-service-client/1.0")
	req.Header.Set("X-Hub-Signature", Sign(d.s.opts.ClientSecret, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("intercom: webhook post: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Sign is the X-Hub-Signature value for body: "sha1=" and the hex
// HMAC-SHA1 keyed with the app's client secret.
func Sign(clientSecret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(clientSecret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}
