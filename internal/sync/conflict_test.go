package sync

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestResolve(t *testing.T) {
	t.Parallel()
	h := HashValue
	none := FieldState{}
	// Salesforce changed to B at 10:00 and ferry wrote B to Intercom.
	sfOwn := FieldState{Value: "B", Origin: OriginSalesforce, ChangedAt: at(0)}
	icFerry := FieldState{Value: "B", Origin: OriginFerry, ChangedAt: at(0), WrittenHash: h("B")}
	// Intercom changed to A at 10:00 and ferry wrote A to Salesforce.
	icOwn := FieldState{Value: "A", Origin: OriginIntercom, ChangedAt: at(0)}
	sfFerry := FieldState{Value: "A", Origin: OriginFerry, ChangedAt: at(0), WrittenHash: h("A")}
	tests := []struct {
		name         string
		mine, theirs FieldState
		side         Side
		value        any
		at           time.Time
		dir          Direction
		want         Verdict
	}{
		{"first value", none, none, Intercom, "A", at(0), DirBoth, Apply},
		{"echo of ferry's write to Intercom", icFerry, sfOwn, Intercom, "B", at(1), DirBoth, Echo},
		{"echo of ferry's write to Salesforce", sfFerry, icOwn, Salesforce, "A", at(1), DirBoth, Echo},
		{"echo even when the direction forbids the flow", icFerry, sfOwn, Intercom, "B", at(1), DirToIntercom, Echo},
		{"echo with an earlier time", icFerry, sfOwn, Intercom, "B", at(-9), DirBoth, Echo},
		{"same value seen again", icOwn, sfFerry, Intercom, "A", at(5), DirBoth, Unchanged},
		{"empty string is null", FieldState{Origin: OriginSalesforce}, none, Salesforce, "", at(1), DirBoth, Unchanged},
		{"numbers compare by value", FieldState{Value: int64(5000), Origin: OriginFerry, WrittenHash: h(int64(5000))}, none, Salesforce, json.Number("5000.0"), at(1), DirBoth, Echo},
		{"the written value after a change of the side's own is news", FieldState{Value: "C", Origin: OriginIntercom, ChangedAt: at(1), WrittenHash: h("B")}, sfOwn, Intercom, "B", at(2), DirBoth, Apply},
		{"to_intercom blocks Intercom changes", none, none, Intercom, "A", at(0), DirToIntercom, Blocked},
		{"to_salesforce blocks Salesforce changes", none, none, Salesforce, "A", at(0), DirToSalesforce, Blocked},
		{"to_salesforce lets Intercom changes flow", none, none, Intercom, "A", at(0), DirToSalesforce, Apply},
		{"older Intercom change loses to later Salesforce change", icFerry, sfOwn, Intercom, "C", at(-1), DirBoth, Stale},
		{"later Intercom change wins", icFerry, sfOwn, Intercom, "C", at(1), DirBoth, Apply},
		{"older Salesforce change loses to later Intercom change", sfFerry, icOwn, Salesforce, "C", at(-1), DirBoth, Stale},
		{"tie: Salesforce wins", sfFerry, icOwn, Salesforce, "C", at(0), DirBoth, Apply},
		{"tie: Intercom loses", icFerry, sfOwn, Intercom, "C", at(0), DirBoth, Stale},
		{"the other side's value is ferry's: no contest", FieldState{Value: "A", Origin: OriginIntercom, ChangedAt: at(-9)}, sfFerry, Intercom, "C", at(-5), DirBoth, Apply},
		{"a late redelivery of an older Intercom change is stale", icOwn, sfFerry, Intercom, "C", at(-5), DirBoth, Stale},
		{"a late older Salesforce change is stale", FieldState{Value: "A", Origin: OriginSalesforce, ChangedAt: at(0)}, none, Salesforce, "C", at(-1), DirBoth, Stale},
		{"the same second as the side's last change applies", icOwn, sfFerry, Intercom, "C", at(0), DirBoth, Apply},
		{"older than ferry's write there: the other side decides", icFerry, FieldState{Value: "B", Origin: OriginSalesforce, ChangedAt: at(-9)}, Intercom, "C", at(-5), DirBoth, Apply},
		{"redelivered older change, even the side's earlier value", FieldState{Value: "new", Origin: OriginIntercom, ChangedAt: at(3)}, FieldState{Value: "new", Origin: OriginFerry, ChangedAt: at(3), WrittenHash: h("new")}, Intercom, "old", at(1), DirBoth, Stale},
		{"the other side cannot send here: its time does not count", none, sfOwn, Intercom, "C", at(-5), DirToSalesforce, Apply},
		// A webhook drained late: it reports Intercom before ferry wrote
		// Salesforce's newer B there, while Salesforce's own change is not
		// stored yet (its batch still running) and Salesforce holds what
		// ferry wrote earlier.
		{"older than ferry's write there, nothing of the other side's own: stale", icFerry, sfFerry, Intercom, "A", at(-1), DirBoth, Stale},
		{"older than ferry's write there, the other side unknown: stale", icFerry, none, Intercom, "C", at(-1), DirBoth, Stale},
		{"as late as ferry's write there, nothing of the other side's own: applies", icFerry, sfFerry, Intercom, "C", at(0), DirBoth, Apply},
		{"unknown time applies", icFerry, sfOwn, Intercom, "C", time.Time{}, DirBoth, Apply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Resolve(tt.mine, tt.theirs, tt.side, tt.value, tt.at, tt.dir); got != tt.want {
				t.Errorf("Resolve = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHashValue(t *testing.T) {
	t.Parallel()
	same := [][2]any{{nil, ""}, {int64(3), 3.0}, {json.Number("3"), 3}, {"a", "a"}, {true, true}}
	diff := [][2]any{{"a", "A"}, {"3", 3}, {true, "true"}, {nil, false}, {0, nil}, {1.5, 1}}
	for _, p := range same {
		if HashValue(p[0]) != HashValue(p[1]) {
			t.Errorf("HashValue(%#v) != HashValue(%#v)", p[0], p[1])
		}
	}
	for _, p := range diff {
		if HashValue(p[0]) == HashValue(p[1]) {
			t.Errorf("HashValue(%#v) == HashValue(%#v)", p[0], p[1])
		}
	}
}

// mappings for a lead: phone both ways, job title to Salesforce only,
// status from Salesforce only into a list attribute, industry to a restricted
// picklist.
func planMappings() []Mapping {
	sf := func(name, typ string) SFField {
		return SFField{Object: "Lead", Name: name, Type: typ, Updateable: true, Createable: true, Nillable: true, Length: 40}
	}
	status := sf("Status", "picklist")
	status.PicklistValues = []string{"Open", "Working", "Qualified"}
	industry := sf("Industry", "picklist")
	industry.PicklistValues, industry.RestrictedPicklist = []string{"Banking", "Retail"}, true
	return []Mapping{
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "phone", DataType: "string", APIWritable: true}, Field: sf("Phone", "phone"), Direction: DirBoth},
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "custom_attributes.job_title", DataType: "string", APIWritable: true}, Field: sf("Title", "string"), Direction: DirToSalesforce},
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "custom_attributes.stage", DataType: "string", Options: []string{"open", "Working"}, APIWritable: true}, Field: status, Direction: DirToIntercom},
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "custom_attributes.industry", DataType: "string", APIWritable: true}, Field: industry, Direction: DirBoth},
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "custom_attributes.seats", DataType: "integer", APIWritable: true}, Field: sf("NumberOfEmployees", "int"), Direction: DirBoth},
	}
}

func ic(min int, kv ...any) RecordChange { return change(Intercom, min, kv) }
func sf(min int, kv ...any) RecordChange { return change(Salesforce, min, kv) }

func change(side Side, min int, kv []any) RecordChange {
	c := RecordChange{Side: side, At: at(min), Values: map[string]any{}}
	for i := 0; i < len(kv); i += 2 {
		c.Values[kv[i].(string)] = kv[i+1]
	}
	return c
}

func TestPlan(t *testing.T) {
	t.Parallel()
	type step struct {
		changes      []RecordChange
		toIntercom   map[string]any
		toSalesforce map[string]any
		addOptions   map[string][]string
		failed       int
	}
	none := map[string]any{}
	tests := []struct {
		name  string
		steps []step
	}{
		{"Intercom change, then its echo, then the same value again", []step{
			{changes: []RecordChange{ic(0, "phone", "+1 555")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "+1 555"}},
			{changes: []RecordChange{sf(1, "Phone", "+1 555")}, toIntercom: none, toSalesforce: none},
			{changes: []RecordChange{sf(6, "Phone", "+1 555")}, toIntercom: none, toSalesforce: none},
			{changes: []RecordChange{ic(7, "phone", "+1 555")}, toIntercom: none, toSalesforce: none},
		}},
		{"Salesforce change flows to Intercom and its webhook echo stops there", []step{
			{changes: []RecordChange{sf(0, "Phone", "+44 20")}, toIntercom: map[string]any{"phone": "+44 20"}, toSalesforce: none},
			{changes: []RecordChange{ic(1, "phone", "+44 20")}, toIntercom: none, toSalesforce: none},
		}},
		{"latest change wins, field by field", []step{
			{changes: []RecordChange{sf(0, "Phone", "A")}, toIntercom: map[string]any{"phone": "A"}, toSalesforce: none},
			{changes: []RecordChange{ic(5, "phone", "B", "custom_attributes.seats", 12)}, toIntercom: none, toSalesforce: map[string]any{"Phone": "B", "NumberOfEmployees": int64(12)}},
			// A delayed Salesforce change recorded before Intercom's: stale.
			{changes: []RecordChange{sf(3, "Phone", "C")}, toIntercom: none, toSalesforce: none},
			{changes: []RecordChange{sf(9, "Phone", "D", "NumberOfEmployees", 12.0)}, toIntercom: map[string]any{"phone": "D"}, toSalesforce: none},
		}},
		{"both sides in one plan: only the later one is written", []step{
			{changes: []RecordChange{sf(2, "Phone", "SF"), ic(1, "phone", "IC")}, toIntercom: map[string]any{"phone": "SF"}, toSalesforce: none},
			{changes: []RecordChange{ic(3, "phone", "IC2"), sf(2, "Phone", "SF")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "IC2"}},
		}},
		{"a user changing a value back to what ferry once wrote is a change", []step{
			{changes: []RecordChange{sf(0, "Phone", "A")}, toIntercom: map[string]any{"phone": "A"}, toSalesforce: none},
			{changes: []RecordChange{ic(1, "phone", "B")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "B"}},
			{changes: []RecordChange{ic(2, "phone", "A")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "A"}},
		}},
		{"F3.4 first sync both ways fills gaps and never clears", []step{
			{changes: []RecordChange{
				ic(0, "phone", nil, "custom_attributes.job_title", "CTO", "custom_attributes.seats", 5),
				sf(1, "Phone", "+1 555", "Title", nil, "NumberOfEmployees", 5.0),
			}, toIntercom: map[string]any{"phone": "+1 555"}, toSalesforce: map[string]any{"Title": "CTO"}},
			{changes: []RecordChange{sf(5, "Phone", "+1 555", "Title", "CTO", "NumberOfEmployees", 5.0)}, toIntercom: none, toSalesforce: none},
		}},
		{"F3.4 first sync with different values: latest record wins", []step{
			{changes: []RecordChange{ic(3, "phone", "new"), sf(1, "Phone", "old")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "new"}},
		}},
		{"clearing a synced value clears the other side", []step{
			{changes: []RecordChange{ic(0, "phone", "A")}, toIntercom: none, toSalesforce: map[string]any{"Phone": "A"}},
			{changes: []RecordChange{ic(1, "phone", nil)}, toIntercom: none, toSalesforce: map[string]any{"Phone": nil}},
		}},
		{"directions: to_salesforce and to_intercom", []step{
			{changes: []RecordChange{sf(0, "Title", "VP")}, toIntercom: none, toSalesforce: none},
			{changes: []RecordChange{ic(1, "custom_attributes.stage", "Lost")}, toIntercom: none, toSalesforce: none},
			{changes: []RecordChange{ic(2, "custom_attributes.job_title", "CEO")}, toIntercom: none, toSalesforce: map[string]any{"Title": "CEO"}},
		}},
		{"F3.2 picklist into an Intercom list: known options use Intercom's spelling, others are added", []step{
			{changes: []RecordChange{sf(0, "Status", "Open")}, toIntercom: map[string]any{"custom_attributes.stage": "open"}, toSalesforce: none},
			{changes: []RecordChange{sf(1, "Status", "Qualified")}, toIntercom: map[string]any{"custom_attributes.stage": "Qualified"}, toSalesforce: none,
				addOptions: map[string][]string{"custom_attributes.stage": {"Qualified"}}},
			{changes: []RecordChange{ic(2, "custom_attributes.stage", "Qualified")}, toIntercom: none, toSalesforce: none},
		}},
		{"F3.2 restricted picklist refuses, and the change is retried next time", []step{
			{changes: []RecordChange{ic(0, "custom_attributes.industry", "Travel")}, toIntercom: none, toSalesforce: none, failed: 1},
			{changes: []RecordChange{ic(0, "custom_attributes.industry", "Travel")}, toIntercom: none, toSalesforce: none, failed: 1},
			{changes: []RecordChange{ic(1, "custom_attributes.industry", "retail")}, toIntercom: none, toSalesforce: map[string]any{"Industry": "Retail"}},
			{changes: []RecordChange{sf(2, "Industry", "Retail")}, toIntercom: none, toSalesforce: none},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ms := planMappings()
			state := RecordState{}
			for i, s := range tt.steps {
				p := Plan(ms, state, s.changes)
				if !reflect.DeepEqual(p.ToIntercom, s.toIntercom) {
					t.Errorf("step %d: ToIntercom = %v, want %v (decisions %+v)", i, p.ToIntercom, s.toIntercom, p.Decisions)
				}
				if !reflect.DeepEqual(p.ToSalesforce, s.toSalesforce) {
					t.Errorf("step %d: ToSalesforce = %v, want %v (decisions %+v)", i, p.ToSalesforce, s.toSalesforce, p.Decisions)
				}
				if !reflect.DeepEqual(p.AddOptions, s.addOptions) {
					t.Errorf("step %d: AddOptions = %v, want %v", i, p.AddOptions, s.addOptions)
				}
				if n := len(p.Failures()); n != s.failed {
					t.Errorf("step %d: %d failures, want %d: %+v", i, n, s.failed, p.Failures())
				}
				state = p.State()
			}
		})
	}
}

// TestPlanWhileAnotherBatchWrites: a batch wrote Salesforce's newer B to
// Intercom (marked before it is sent) and has not stored Salesforce's B
// yet, whose previous value is ferry's write of Intercom's A. Another batch
// meanwhile sees Intercom's webhook from before that write (A) and
// Salesforce's B as read for its own write check: nothing is written again
// either way (F3.5).
func TestPlanWhileAnotherBatchWrites(t *testing.T) {
	t.Parallel()
	state := RecordState{
		Intercom:   map[string]FieldState{"phone": {Value: "B", Origin: OriginFerry, ChangedAt: at(5), WrittenHash: HashValue("B")}},
		Salesforce: map[string]FieldState{"Phone": {Value: "A", Origin: OriginFerry, ChangedAt: at(1), WrittenHash: HashValue("A")}},
	}
	for _, tt := range []struct {
		name    string
		changes []RecordChange
	}{
		{"the late webhook", []RecordChange{ic(3, "phone", "A")}},
		{"Salesforce's value read again", []RecordChange{sf(5, "Phone", "B")}},
		{"both", []RecordChange{ic(3, "phone", "A"), sf(5, "Phone", "B")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Plan(planMappings(), state, tt.changes)
			if len(p.ToIntercom) != 0 || len(p.ToSalesforce) != 0 {
				t.Errorf("ToIntercom = %v, ToSalesforce = %v, want nothing written (decisions %+v)", p.ToIntercom, p.ToSalesforce, p.Decisions)
			}
		})
	}
}

func TestPlanDoesNotModifyState(t *testing.T) {
	t.Parallel()
	ms := planMappings()
	state := Plan(ms, RecordState{}, []RecordChange{ic(0, "phone", "A")}).State()
	before := state.clone()
	Plan(ms, state, []RecordChange{sf(5, "Phone", "B"), ic(6, "phone", "C")})
	if !reflect.DeepEqual(state, before) {
		t.Errorf("Plan modified its input state")
	}
}

func TestPlanCommit(t *testing.T) {
	t.Parallel()
	ms := planMappings()
	state := Plan(ms, RecordState{}, []RecordChange{ic(0, "phone", "A")}).State()
	// Intercom changes the phone, Salesforce the employees: one write each way.
	p := Plan(ms, state, []RecordChange{ic(5, "phone", "B"), sf(6, "NumberOfEmployees", 40.0)})
	if p.Empty() || len(p.ToIntercom) != 1 || len(p.ToSalesforce) != 1 {
		t.Fatalf("plan = %+v", p)
	}
	// The Salesforce write failed: the phone is planned again next time,
	// the employee count is not.
	next := p.Commit(true, false)
	again := Plan(ms, next, []RecordChange{ic(5, "phone", "B"), sf(6, "NumberOfEmployees", 40.0)})
	if !reflect.DeepEqual(again.ToSalesforce, map[string]any{"Phone": "B"}) || len(again.ToIntercom) != 0 {
		t.Errorf("after a failed Salesforce write: ToSalesforce %v, ToIntercom %v; want the phone again and nothing else", again.ToSalesforce, again.ToIntercom)
	}
	done := Plan(ms, p.State(), []RecordChange{ic(5, "phone", "B"), sf(6, "NumberOfEmployees", 40.0)})
	if !done.Empty() {
		t.Errorf("after both writes succeeded the same changes planned %v / %v", done.ToIntercom, done.ToSalesforce)
	}
}

func TestStateJSON(t *testing.T) {
	t.Parallel()
	state := Plan(planMappings(), RecordState{}, []RecordChange{ic(0, "phone", "A")}).State()
	b, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	var back RecordState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, state) {
		t.Errorf("state JSON round trip:\n got %+v\nwant %+v", back, state)
	}
}
