package salesforce

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseLimitInfo(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in        string
		used, max int
		ok        bool
	}{
		{"api-usage=18/5000", 18, 5000, true},
		{"api-usage=1/15000; api-bursts=1/750", 1, 15000, true},
		{"per-app-api-usage=17/250(appName=x); api-usage=25/5000", 25, 5000, true},
		{"", 0, 0, false},
		{"api-usage=x/5000", 0, 0, false},
		{"api-usage=18", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			used, max, ok := parseLimitInfo(tt.in)
			if used != tt.used || max != tt.max || ok != tt.ok {
				t.Fatalf("parseLimitInfo(%q) = %d, %d, %v; want %d, %d, %v", tt.in, used, max, ok, tt.used, tt.max, tt.ok)
			}
		})
	}
}

func TestParseAPIError(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   string
		wantMsg    string
		wantFields []string
		wantN      int
	}{
		{"Array", 400, `[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]`,
			"REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", []string{"Company"}, 1},
		{"SeveralKeepsAll", 400, `[{"message":"a","errorCode":"X"},{"message":"b","errorCode":"Y"}]`, "X", "a", nil, 2},
		{"Object", 400, `{"message":"m","errorCode":"C"}`, "C", "m", nil, 1},
		{"PlainText", 502, "Bad Gateway", "", "Bad Gateway", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := parseAPIError(tt.status, []byte(tt.body))
			if e.StatusCode != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMsg ||
				strings.Join(e.Fields, ",") != strings.Join(tt.wantFields, ",") || len(e.Errors) != tt.wantN {
				t.Fatalf("parseAPIError = %+v", e)
			}
		})
	}
}

func TestIsTransient(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, false},
		{"ServerError", fmt.Errorf("wrap: %w", &APIError{StatusCode: 503, Code: "SERVER_UNAVAILABLE"}), true},
		{"LockRow", &APIError{StatusCode: 400, Code: CodeUnableToLockRow}, true},
		{"LockRowRecord", &RecordError{StatusCode: CodeUnableToLockRow}, true},
		{"RequestLimit", &APIError{StatusCode: 403, Code: CodeRequestLimitExceeded, Message: "TotalRequests Limit exceeded."}, false},
		{"ConcurrencyLimit", &APIError{StatusCode: 403, Code: CodeRequestLimitExceeded, Message: "ConcurrentPerOrgLongTxn Limit exceeded."}, true},
		{"RequiredField", &APIError{StatusCode: 400, Code: CodeRequiredFieldMissing}, false},
		{"Deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"Canceled", context.Canceled, false},
		{"NetOp", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"UnexpectedEOF", io.ErrUnexpectedEOF, true},
		{"OAuth5xx", &OAuthError{StatusCode: 503}, true},
		{"InvalidGrant", &OAuthError{StatusCode: 400, Code: "invalid_grant", Grant: "refresh_token"}, false},
		{"Plain", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsTransient(tt.err); got != tt.want {
				t.Fatalf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestSentinels(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"APIDisabled", &APIError{StatusCode: 403, Code: CodeAPIDisabledForOrg}, ErrAPIDisabled, true},
		{"RequestLimit", &APIError{StatusCode: 403, Code: CodeRequestLimitExceeded, Message: "TotalRequests Limit exceeded."}, ErrRequestLimitExceeded, true},
		{"ConcurrencyLimitIsNotDaily", &APIError{StatusCode: 403, Code: CodeRequestLimitExceeded, Message: "ConcurrentPerOrgLongTxn Limit exceeded."}, ErrRequestLimitExceeded, false},
		{"NotFound", &APIError{StatusCode: 404, Code: CodeNotFound}, ErrNotFound, true},
		{"SessionInvalid", &APIError{StatusCode: 401, Code: CodeInvalidSessionID}, ErrSessionInvalid, true},
		{"OtherCode", &APIError{StatusCode: 400, Code: CodeInvalidField}, ErrNotFound, false},
		{"RevokedOnRefresh", &OAuthError{Code: "invalid_grant", Grant: "refresh_token"}, ErrTokenRevoked, true},
		{"BadPasswordIsNotRevoked", &OAuthError{Code: "invalid_grant", Grant: "password"}, ErrTokenRevoked, false},
		{"RecordError", &RecordError{StatusCode: CodeRequestLimitExceeded}, ErrRequestLimitExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := errors.Is(fmt.Errorf("op: %w", tt.err), tt.target); got != tt.want {
				t.Fatalf("errors.Is(%v, %v) = %v", tt.err, tt.target, got)
			}
		})
	}
}

func TestRecordGet(t *testing.T) {
	t.Parallel()

	raw := `{"attributes":{"type":"Lead","url":"/x"},"Id":"00Q000000000001AAA","Email":"a@b.c",
		"AnnualRevenue":12345678901234567890,"IsConverted":false,"Description":null,
		"SystemModstamp":"2026-05-01T10:20:30.000+0000",
		"Owner":{"attributes":{"type":"User"},"Email":"owner@x.com","Manager":null}}`
	r, err := decodeRecord(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type() != "Lead" || r.ID() != "00Q000000000001AAA" {
		t.Fatalf("Type/ID = %q/%q", r.Type(), r.ID())
	}
	tests := []struct {
		path        string
		wantString  string
		wantPresent bool
	}{
		{"Email", "a@b.c", true},
		{"email", "a@b.c", true},
		{"AnnualRevenue", "12345678901234567890", true},
		{"IsConverted", "false", true},
		{"Description", "", true},
		{"Owner.Email", "owner@x.com", true},
		{"Owner.Manager.Email", "", true},
		{"Missing", "", false},
		{"Email.Nope", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			_, present := r.Get(tt.path)
			if got := r.String(tt.path); got != tt.wantString || present != tt.wantPresent {
				t.Fatalf("String(%q) = %q present %v; want %q %v", tt.path, got, present, tt.wantString, tt.wantPresent)
			}
		})
	}
	ts, err := r.Time("SystemModstamp")
	if err != nil || !ts.Equal(time.Date(2026, 5, 1, 10, 20, 30, 0, time.UTC)) {
		t.Fatalf("Time = %v, %v", ts, err)
	}
	if _, err := (Record{"X": "yesterday"}).Time("X"); err == nil {
		t.Fatal("Time accepted a bad value")
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()

	want := time.Date(2026, 5, 1, 10, 20, 30, 0, time.UTC)
	for _, s := range []string{"2026-05-01T10:20:30.000+0000", "2026-05-01T10:20:30Z", "2026-05-01T12:20:30+02:00", "2026-05-01T12:20:30.000+0200"} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTime(s)
			if err != nil || !got.Equal(want) {
				t.Fatalf("ParseTime(%q) = %v, %v", s, got, err)
			}
			if FormatTime(got) != "2026-05-01T10:20:30.000+0000" {
				t.Fatalf("FormatTime = %q", FormatTime(got))
			}
		})
	}
}

func sign(secret, id, issued string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id + issued))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestTokenResponseSignature(t *testing.T) {
	t.Parallel()

	const id, issued = "https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P", "1278448832702"
	base := tokenResponse{AccessToken: "00D!AR8", InstanceURL: "https://x.my.salesforce.com", ID: id, IssuedAt: issued}
	tests := []struct {
		name      string
		signature string
		secret    string
		wantErr   bool
	}{
		{"Valid", sign("s3cret", id, issued), "s3cret", false},
		{"WrongSecret", sign("other", id, issued), "s3cret", true},
		{"Garbage", "!!!", "s3cret", true},
		{"NoSecretSkipsCheck", sign("other", id, issued), "", false},
		{"MissingSignatureTolerated", "", "s3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := base
			r.Signature = tt.signature
			tok, err := r.toToken(tt.secret)
			if (err != nil) != tt.wantErr {
				t.Fatalf("toToken err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (!tok.IssuedAt.Equal(time.UnixMilli(1278448832702)) || tok.OrgID() != "00Dx0000000BV7z" || tok.UserID() != "005x00000012Q9P") {
				t.Fatalf("token = %v (org %q user %q)", tok, tok.OrgID(), tok.UserID())
			}
		})
	}
}

func TestTokenRedaction(t *testing.T) {
	t.Parallel()

	tok := &Token{AccessToken: "ACCESS-SECRET", RefreshToken: "REFRESH-SECRET", InstanceURL: "https://x", ID: "https://x/id/o/u"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("token", "tok", tok)
	for _, out := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), logged.String()} {
		if strings.Contains(out, "SECRET") {
			t.Fatalf("secret leaked: %s", out)
		}
		if !strings.Contains(out, "https://x") {
			t.Fatalf("output lost the instance URL: %s", out)
		}
	}
	b, err := json.Marshal(tok)
	if err != nil || !strings.Contains(string(b), "REFRESH-SECRET") {
		t.Fatalf("JSON for storage must keep the token: %s, %v", b, err)
	}
}
