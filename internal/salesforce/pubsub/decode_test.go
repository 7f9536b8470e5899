package pubsub

import (
	"slices"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
)

const leadSchema = `{"type":"record","name":"LeadChangeEvent","namespace":"com.sforce.eventbus","fields":[
 {"name":"ChangeEventHeader","type":{"type":"record","name":"ChangeEventHeader","fields":[
  {"name":"entityName","type":"string"},
  {"name":"recordIds","type":{"type":"array","items":"string"}},
  {"name":"changeType","type":{"type":"enum","name":"ChangeType","symbols":["CREATE","UPDATE","DELETE",
     "UNDELETE","GAP_CREATE","GAP_UPDATE","GAP_DELETE","GAP_UNDELETE","GAP_OVERFLOW"]}},
  {"name":"changeOrigin","type":"string"},   {"name":"transactionKey","type":"string"},
  {"name":"sequenceNumber","type":"int"},    {"name":"commitTimestamp","type":"long"},
  {"name":"commitNumber","type":"long"},     {"name":"commitUser","type":"string"},
  {"name":"nulledFields","type":{"type":"array","items":"string"}},
  {"name":"diffFields","type":{"type":"array","items":"string"}},
  {"name":"changedFields","type":{"type":"array","items":"string"}}]}},
 {"name":"Name","type":["null",{"type":"record","name":"PersonName","fields":[
   {"name":"Salutation","type":["null","string"],"default":null},
   {"name":"FirstName","type":["null","string"],"default":null},
   {"name":"LastName","type":["null","string"],"default":null}]}],"default":null},
 {"name":"Company","type":["null","string"],"default":null},
 {"name":"Phone","type":["null","string"],"default":null},
 {"name":"Address","type":["null",{"type":"record","name":"Address","fields":[
   {"name":"Street","type":["null","string"],"default":null},
   {"name":"City","type":["null","string"],"default":null}]}],"default":null},
 {"name":"NumberOfEmployees","type":["null","int"],"default":null},
 {"name":"LastModifiedDate","type":["null","long"],"default":null}]}`

// TestDecodeChangeEvent: a change event's header, its changed and nulled
// fields from their bitmaps (compound fields by their own names) and its
// values come out of the Avro payload as the schema describes them.
func TestDecodeChangeEvent(t *testing.T) {
	t.Parallel()
	sc, err := avro.ParseWithCache(leadSchema, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	fields, err := pubsubapi.SchemaFields(leadSchema)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := pubsubapi.EncodeBitmap(fields, []string{"Name.LastName", "Phone", "Address.City", "NumberOfEmployees"})
	if err != nil {
		t.Fatal(err)
	}
	nulled, _ := pubsubapi.EncodeBitmap(fields, []string{"Phone"})
	at := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	payload, err := avro.Marshal(sc, map[string]any{
		"ChangeEventHeader": map[string]any{"entityName": "Lead", "recordIds": []string{"00Q1", "00Q2"}, "changeType": "UPDATE",
			"changeOrigin": "com/salesforce/api/rest/62.0;client=ferry", "transactionKey": "tk", "sequenceNumber": 1,
			"commitTimestamp": at.UnixMilli(), "commitNumber": int64(9), "commitUser": "005x",
			"nulledFields": nulled, "diffFields": []string{}, "changedFields": changed},
		"Name":              map[string]any{"com.sforce.eventbus.PersonName": map[string]any{"LastName": "Lovelace"}},
		"Phone":             nil,
		"Address":           map[string]any{"com.sforce.eventbus.Address": map[string]any{"City": "London"}},
		"NumberOfEmployees": 12,
	})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := avro.Unmarshal(sc, payload, &raw); err != nil {
		t.Fatal(err)
	}
	var ev ChangeEvent
	if err := fill(&ev, raw, fields); err != nil {
		t.Fatal(err)
	}
	if ev.Entity != "Lead" || ev.ChangeType != "UPDATE" || !slices.Equal(ev.RecordIDs, []string{"00Q1", "00Q2"}) ||
		!ev.CommitTimestamp.Equal(at) || ev.SequenceNumber != 1 || ev.ChangeOrigin != "com/salesforce/api/rest/62.0;client=ferry" {
		t.Errorf("header = %+v", ev)
	}
	if want := []string{"LastName", "Phone", "City", "NumberOfEmployees"}; !slices.Equal(ev.Changed, want) {
		t.Errorf("Changed = %v, want %v", ev.Changed, want)
	}
	if want := []string{"Phone"}; !slices.Equal(ev.Nulled, want) {
		t.Errorf("Nulled = %v, want %v", ev.Nulled, want)
	}
	if ev.Values["LastName"] != "Lovelace" || ev.Values["City"] != "London" || ev.Values["Phone"] != nil {
		t.Errorf("Values = %#v", ev.Values)
	}
	if n, ok := number(ev.Values["NumberOfEmployees"]); !ok || n != 12 {
		t.Errorf("NumberOfEmployees = %#v", ev.Values["NumberOfEmployees"])
	}
}
