package intercom_test

import (
	"strings"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

// canvasOf wraps components (a JSON array's inside) in a response.
func canvasOf(components string) string {
	return `{"canvas":{"content":{"components":[` + components + `]}}}`
}

func TestValidateCanvasResponse(t *testing.T) {
	t.Parallel()
	// The reference's sample inbox canvas, every component type, and the
	// optional parts of a response.
	sample := `{"canvas":{"content":{"components":[
 {"type":"text","text":"Salesforce Contact","style":"header"},
 {"type":"data-table","items":[{"type":"field-value","field":"Name","value":"Jane Doe"},{"type":"field-value","field":"Account owner","value":"Sam Lee"}]},
 {"type":"list","items":[{"type":"item","id":"opp_006X","title":"Renewal 2025","subtitle":"Negotiation","tertiary_text":"$12,000","action":{"type":"submit"}}]},
 {"type":"button","id":"open_sf","label":"Open in Salesforce","style":"link","action":{"type":"url","url":"https://x.lightning.force.com/006X"}},
 {"type":"divider"},
 {"type":"button","id":"new_case","label":"New Case","style":"secondary","action":{"type":"submit"}}]},
 "stored_data":{"sf_contact_id":"003X"}}}`
	every := canvasOf(`{"type":"text","text":"**Hi** [there](https://example.com)","align":"center","style":"muted","bottom_margin":"none","id":"t1"},
 {"type":"input","id":"i1","label":"Name","placeholder":"…","value":"Ann","action":{"type":"submit"},"save_state":"saved","disabled":false},
 {"type":"textarea","id":"ta","label":"Notes","error":true},
 {"type":"dropdown","id":"dd","label":"Pick","value":"b","options":[{"type":"option","id":"a","text":"A"},{"type":"option","id":"b","text":"B","disabled":true}]},
 {"type":"single-select","id":"ss","options":[{"type":"option","id":"a","text":"A"},{"type":"option","id":"b","text":"B"}],"action":{"type":"submit"}},
 {"type":"checkbox","id":"cb","label":"Teams","options":[{"type":"option","id":"x","text":"X"}],"value":["x"]},
 {"type":"spacer","size":"xl"},{"type":"divider","bottom_margin":"none"},
 {"type":"image","url":"https://example.com/a.png","width":40,"height":40,"align":"full_width","rounded":true,"action":{"type":"url","url":"https://example.com"}},
 {"type":"list","disabled":true,"items":[{"type":"item","id":"li","title":"T","image":"https://example.com/i.png","image_width":20,"image_height":20,"rounded_image":true}]}`)
	big := canvasOf(`{"type":"text","text":"` + strings.Repeat("x", 70_000) + `"}`)
	bigData := `{"canvas":{"content":{"components":[{"type":"divider"}]},"stored_data":{"k":"` + strings.Repeat("x", 70_000) + `"}}}`

	for _, tc := range []struct {
		name, body string
		problem    string // "" valid; else a part of the error
	}{
		{"reference sample", sample, ""},
		{"every component", every, ""},
		{"event completed and card creation options", `{"canvas":{"content":{"components":[{"type":"divider"}]}},"event":{"type":"completed"},"card_creation_options":{"a":1}}`, ""},
		{"checkbox with the singular option key", canvasOf(`{"type":"checkbox","id":"cb","label":"L","option":[{"type":"option","id":"x","text":"X"}]}`), ""},
		{"stored_data null", `{"canvas":{"content":{"components":[{"type":"divider"}]},"stored_data":null}}`, ""},

		{"not JSON", `{"canvas":`, "not a JSON object"},
		{"trailing data", canvasOf(`{"type":"divider"}`) + `{}`, "not a JSON object"},
		{"no canvas", `{"content":{"components":[]}}`, "canvas is required"},
		{"unknown top-level field", `{"canvas":{"content":{"components":[{"type":"divider"}]}},"sheet":1}`, `unknown field "sheet"`},
		{"other event", `{"canvas":{"content":{"components":[{"type":"divider"}]}},"event":{"type":"closed"}}`, "event.type"},
		{"live canvas", `{"canvas":{"content_url":"https://example.com/live"}}`, "Messenger apps only"},
		{"no content", `{"canvas":{"stored_data":{}}}`, "canvas.content is required"},
		{"components not an array", `{"canvas":{"content":{"components":{}}}}`, "must be an array"},
		{"no components", canvasOf(``), "at least one component"},
		{"stored_data not an object", `{"canvas":{"content":{"components":[{"type":"divider"}]},"stored_data":"x"}}`, "stored_data: must be a JSON object"},
		{"content over 64 KB", big, "over the 64 KB limit"},
		{"stored_data over 64 KB", bigData, "stored_data: 70008 bytes"},
		{"unknown component", canvasOf(`{"type":"carousel","id":"c"}`), "unknown component type"},
		{"unknown field", canvasOf(`{"type":"text","text":"a","colour":"red"}`), `unknown field "colour"`},
		{"text without text", canvasOf(`{"type":"text","style":"header"}`), "text is required"},
		{"text style not documented", canvasOf(`{"type":"text","text":"a","style":"body"}`), `"body" is not one of`},
		{"button without id", canvasOf(`{"type":"button","label":"Go","action":{"type":"submit"}}`), "id is required"},
		{"button without action", canvasOf(`{"type":"button","id":"b","label":"Go"}`), "action is required"},
		{"sheet action in the inbox", canvasOf(`{"type":"button","id":"b","label":"Go","action":{"type":"sheet","url":"https://example.com"}}`), "Messenger apps only"},
		{"url action without url", canvasOf(`{"type":"button","id":"b","label":"Go","action":{"type":"url"}}`), "url is required"},
		{"url action to a relative address", canvasOf(`{"type":"button","id":"b","label":"Go","action":{"type":"url","url":"/x"}}`), "not an absolute web address"},
		{"unknown action", canvasOf(`{"type":"button","id":"b","label":"Go","action":{"type":"open_url","url":"https://x"}}`), "is not submit or url"},
		{"duplicate ids", canvasOf(`{"type":"button","id":"b","label":"A","action":{"type":"submit"}},{"type":"input","id":"b"}`), `id "b" is used twice`},
		{"list item id clashing with a button", canvasOf(`{"type":"button","id":"b","label":"A","action":{"type":"submit"}},{"type":"list","items":[{"type":"item","id":"b","title":"T"}]}`), "used twice"},
		{"empty id", canvasOf(`{"type":"input","id":" "}`), "id must not be empty"},
		{"data-table item of another type", canvasOf(`{"type":"data-table","items":[{"type":"row","field":"a","value":"b"}]}`), `type "field-value"`},
		{"data-table value not a string", canvasOf(`{"type":"data-table","items":[{"type":"field-value","field":"a","value":3}]}`), "must be a string"},
		{"list item without title", canvasOf(`{"type":"list","items":[{"type":"item","id":"i"}]}`), "title is required"},
		{"list image without size", canvasOf(`{"type":"list","items":[{"type":"item","id":"i","title":"T","image":"https://example.com/i.png"}]}`), "image_width and image_height"},
		{"dropdown with one option", canvasOf(`{"type":"dropdown","id":"d","options":[{"type":"option","id":"a","text":"A"}]}`), "2 to 10 options"},
		{"dropdown with eleven options", canvasOf(`{"type":"dropdown","id":"d","options":[` + strings.TrimSuffix(strings.Repeat(`{"type":"option","id":"§","text":"A"},`, 11), ",") + `]}`), "2 to 10 options"},
		{"dropdown value not an option", canvasOf(`{"type":"dropdown","id":"d","value":"z","options":[{"type":"option","id":"a","text":"A"},{"type":"option","id":"b","text":"B"}]}`), `value "z" is not one of its options`},
		{"option ids repeated", canvasOf(`{"type":"single-select","id":"d","options":[{"type":"option","id":"a","text":"A"},{"type":"option","id":"a","text":"B"}]}`), `option id "a" is used twice`},
		{"checkbox without options", canvasOf(`{"type":"checkbox","id":"c","label":"L"}`), "options is required"},
		{"checkbox without label", canvasOf(`{"type":"checkbox","id":"c","options":[{"type":"option","id":"x","text":"X"}]}`), "label is required"},
		{"checkbox value not an array", canvasOf(`{"type":"checkbox","id":"c","label":"L","options":[{"type":"option","id":"x","text":"X"}],"value":"x"}`), "array of option ids"},
		{"textarea error not a bool", canvasOf(`{"type":"textarea","id":"t","error":"yes"}`), "true or false"},
		{"input save state not documented", canvasOf(`{"type":"input","id":"i","save_state":"saving"}`), `"saving" is not one of`},
		{"spacer size not documented", canvasOf(`{"type":"spacer","size":"xxl"}`), `"xxl" is not one of`},
		{"image over http", canvasOf(`{"type":"image","url":"http://example.com/a.png","width":1,"height":1}`), "must be an https address"},
		{"image without size", canvasOf(`{"type":"image","url":"https://example.com/a.png"}`), "width is required"},
		{"image width not whole", canvasOf(`{"type":"image","url":"https://example.com/a.png","width":1.5,"height":1}`), "positive whole number"},
		{"image with a submit action", canvasOf(`{"type":"image","url":"https://example.com/a.png","width":1,"height":1,"action":{"type":"submit"}}`), "only be a url action"},
		{"component not an object", canvasOf(`"text"`), "must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := intercom.ValidateCanvasResponse([]byte(tc.body))
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("refused a valid canvas: %v", err)
			case tc.problem == "" && len(c.Components) == 0:
				t.Fatalf("no components decoded")
			case tc.problem != "" && err == nil:
				t.Fatalf("accepted an invalid canvas, want a problem with %q", tc.problem)
			case tc.problem != "" && !strings.Contains(err.Error(), tc.problem):
				t.Fatalf("error %q does not say %q", err, tc.problem)
			}
		})
	}
}

func TestValidateCanvasResponseKeepsStoredDataAndEvent(t *testing.T) {
	t.Parallel()
	c, err := intercom.ValidateCanvasResponse([]byte(`{"canvas":{"content":{"components":[{"type":"divider"}]},"stored_data":{"a":"1","n":2}},"event":{"type":"completed"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.StoredData["a"] != "1" || c.StoredData["n"] != float64(2) || c.Event != "completed" || !strings.Contains(string(c.Raw), `"stored_data"`) {
		t.Fatalf("canvas %+v", c)
	}
}
