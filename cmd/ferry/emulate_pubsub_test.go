package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// TestEmulateSalesforcePubSub runs `ferry emulate salesforce` with its
// Pub/Sub API over TLS and calls it with a client that trusts the given
// certificate: the call reaches the service and is refused for want of
// credentials, as Salesforce refuses it.
func TestEmulateSalesforcePubSub(t *testing.T) {
	t.Parallel()
	cert, certPEM, err := salesforce.SelfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, stderr := testEnv(nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmdEmulate(ctx, []string{"salesforce", "--listen", "127.0.0.1:0", "--seed", "empty",
			"--pubsub-listen", "127.0.0.1:0", "--pubsub-cert", certFile, "--pubsub-key", keyFile}, env)
	}()
	addrRE := regexp.MustCompile(`pub/sub API listening" addr=([^ ]+) tls=true`)
	addr := waitLogged(t, stderr, addrRE, done)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = pubsubapi.NewPubSubClient(conn).GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/LeadChangeEvent"})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("GetTopic without credentials: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}
