package intercom_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
)

func TestTimestampJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{`1719492777`, 1719492777, false},
		{`1719492777.5`, 1719492777, false},
		{`"1719492777"`, 1719492777, false},
		{`"2026-01-10T04:22:28.240+00:00"`, time.Date(2026, 1, 10, 4, 22, 28, 0, time.UTC).Unix(), false},
		{`"2026-01-10T06:22:28+02:00"`, time.Date(2026, 1, 10, 4, 22, 28, 0, time.UTC).Unix(), false},
		{`"2026-01-10T04:22:28Z"`, time.Date(2026, 1, 10, 4, 22, 28, 0, time.UTC).Unix(), false},
		{`"2026-01-10"`, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC).Unix(), false},
		{`null`, 0, false},
		{`""`, 0, false},
		{`"soon"`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var ts intercom.Timestamp
			err := json.Unmarshal([]byte(tt.in), &ts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if int64(ts) != tt.want {
				t.Fatalf("got %d, want %d", ts, tt.want)
			}
		})
	}
	b, _ := json.Marshal(struct {
		A intercom.Timestamp `json:"a"`
		B intercom.Timestamp `json:"b"`
	}{A: 1719492777})
	if string(b) != `{"a":1719492777,"b":null}` {
		t.Fatalf("marshal: %s", b)
	}
}

func TestFlexString(t *testing.T) {
	t.Parallel()
	var v struct {
		A intercom.FlexString `json:"a"`
		B intercom.FlexString `json:"b"`
		C intercom.FlexString `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":991267397,"b":"991267397","c":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "991267397" || v.B != "991267397" || v.C != "" {
		t.Fatalf("got %+v", v)
	}
}
