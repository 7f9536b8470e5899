package intercom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// canvasMaxBytes is Intercom's limit on a canvas's content and on its
// stored_data: "Max Size is 64KB" each.
const canvasMaxBytes = 64 << 10

// Canvas is a canvas an inbox app answered with, once validated: what the
// inbox shows, and what it sends back as current_canvas.
type Canvas struct {
	// Components are the content's components, decoded as JSON objects.
	Components []map[string]any
	// StoredData is the canvas's stored_data object ({} when absent).
	StoredData map[string]any
	// Raw is the canvas object exactly as the app sent it.
	Raw json.RawMessage
	// Event is the response's event type ("completed") or "".
	Event string
}

// ValidateCanvasResponse checks an Initialize or Submit response body of an
// inbox app against Canvas Kit's documented shapes: {"canvas":…} with an
// optional event and card_creation_options; a canvas with content (a live
// canvas's content_url is for the Messenger only) and an optional
// stored_data object, each at most 64 KB; only documented components with
// their required fields present, only their documented fields, values of
// the documented kinds and enumerations, component and list item ids unique
// in the canvas. Intercom shows "Something went wrong" instead of a canvas
// that fails; the error lists every problem found.
func ValidateCanvasResponse(body []byte) (Canvas, error) {
	var out Canvas
	var top map[string]json.RawMessage
	if err := strictJSON(body, &top); err != nil {
		return out, fmt.Errorf("the response is not a JSON object: %w", err)
	}
	v := &canvasValidator{ids: map[string]bool{}}
	for k := range top {
		if !slices.Contains([]string{"canvas", "event", "card_creation_options"}, k) {
			v.fail("response: unknown field %q", k)
		}
	}
	if raw, ok := top["event"]; ok {
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil || ev == nil {
			v.fail("event: must be an object")
		} else if ev["type"] != "completed" {
			v.fail(`event.type: must be "completed", not %v`, ev["type"])
		} else {
			out.Event = "completed"
		}
	}
	if raw, ok := top["card_creation_options"]; ok {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m == nil {
			v.fail("card_creation_options: must be an object")
		}
	}
	raw, ok := top["canvas"]
	if !ok {
		v.fail("response: canvas is required")
		return out, v.err()
	}
	out.Raw = raw
	var c map[string]json.RawMessage
	if err := json.Unmarshal(raw, &c); err != nil || c == nil {
		v.fail("canvas: must be an object")
		return out, v.err()
	}
	for k := range c {
		switch k {
		case "content", "stored_data":
		case "content_url":
			v.fail("canvas.content_url: a live canvas is for Messenger apps only, not the inbox")
		default:
			v.fail("canvas: unknown field %q", k)
		}
	}
	out.StoredData = map[string]any{}
	if sd, ok := c["stored_data"]; ok {
		if len(compact(sd)) > canvasMaxBytes {
			v.fail("canvas.stored_data: %d bytes, over the 64 KB limit", len(compact(sd)))
		}
		var m map[string]any
		if err := json.Unmarshal(sd, &m); err != nil || (m == nil && !bytes.Equal(bytes.TrimSpace(sd), []byte("null"))) {
			v.fail("canvas.stored_data: must be a JSON object")
		} else if m != nil {
			out.StoredData = m
		}
	}
	content, ok := c["content"]
	if !ok {
		v.fail("canvas.content is required")
		return out, v.err()
	}
	if n := len(compact(content)); n > canvasMaxBytes {
		v.fail("canvas.content: %d bytes, over the 64 KB limit", n)
	}
	var ct map[string]json.RawMessage
	if err := json.Unmarshal(content, &ct); err != nil || ct == nil {
		v.fail("canvas.content: must be an object")
		return out, v.err()
	}
	for k := range ct {
		if k != "components" {
			v.fail("canvas.content: unknown field %q", k)
		}
	}
	var comps []any
	if err := json.Unmarshal(ct["components"], &comps); err != nil || comps == nil {
		v.fail("canvas.content.components: must be an array")
		return out, v.err()
	}
	if len(comps) == 0 {
		v.fail("canvas.content.components: a canvas needs at least one component")
	}
	for i, x := range comps {
		at := fmt.Sprintf("components[%d]", i)
		m, ok := x.(map[string]any)
		if !ok {
			v.fail("%s: must be an object", at)
			continue
		}
		v.component(at, m)
		out.Components = append(out.Components, m)
	}
	return out, v.err()
}

// strictJSON decodes one JSON value, refusing trailing data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// canvasValidator collects the problems of one canvas.
type canvasValidator struct {
	problems []string
	ids      map[string]bool // component and list item ids seen
}

func (v *canvasValidator) fail(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *canvasValidator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return errors.New("invalid canvas: " + strings.Join(v.problems, "; "))
}

// field kinds of the component schema.
type fieldKind int

const (
	kString fieldKind = iota + 1
	kBool
	kInt
	kAction
	kItems   // data-table items
	kList    // list items
	kOptions // dropdown, single-select and checkbox options
	kStrings // checkbox value
)

// fieldSpec is one field of a component: its kind, whether it is required,
// and its allowed values when it is an enumeration.
type fieldSpec struct {
	kind     fieldKind
	required bool
	enum     []string
}

var (
	optID       = fieldSpec{kind: kString}
	reqID       = fieldSpec{kind: kString, required: true}
	saveState   = fieldSpec{kind: kString, enum: []string{"unsaved", "saved", "failed"}}
	disabled    = fieldSpec{kind: kBool}
	bottomSpace = fieldSpec{kind: kString, enum: []string{"none"}}
)

// componentSchema is Canvas Kit's documented components and their fields.
var componentSchema = map[string]map[string]fieldSpec{
	"text": {"id": optID, "text": {kind: kString, required: true},
		"align": {kind: kString, enum: []string{"left", "center", "right"}},
		"style": {kind: kString, enum: []string{"header", "paragraph", "muted", "error"}}, "bottom_margin": bottomSpace},
	"button": {"id": reqID, "label": {kind: kString, required: true}, "action": {kind: kAction, required: true},
		"style": {kind: kString, enum: []string{"primary", "secondary", "link"}}, "disabled": disabled},
	"data-table": {"id": optID, "items": {kind: kItems, required: true}},
	"list":       {"id": optID, "items": {kind: kList, required: true}, "disabled": disabled},
	"input": {"id": reqID, "label": {kind: kString}, "placeholder": {kind: kString}, "value": {kind: kString},
		"action": {kind: kAction}, "save_state": saveState, "disabled": disabled},
	"textarea": {"id": reqID, "label": {kind: kString}, "placeholder": {kind: kString}, "value": {kind: kString},
		"error": {kind: kBool}, "disabled": disabled},
	"dropdown": {"id": reqID, "options": {kind: kOptions, required: true}, "label": {kind: kString}, "value": {kind: kString},
		"save_state": saveState, "disabled": disabled},
	"single-select": {"id": reqID, "options": {kind: kOptions, required: true}, "label": {kind: kString}, "value": {kind: kString},
		"save_state": saveState, "disabled": disabled, "action": {kind: kAction}},
	"checkbox": {"id": reqID, "label": {kind: kString, required: true}, "options": {kind: kOptions}, "option": {kind: kOptions},
		"value": {kind: kStrings}, "save_state": saveState, "disabled": disabled},
	"divider": {"id": optID, "bottom_margin": bottomSpace},
	"spacer":  {"id": optID, "size": {kind: kString, enum: []string{"xs", "s", "m", "l", "xl"}}},
	"image": {"id": optID, "url": {kind: kString, required: true}, "width": {kind: kInt, required: true},
		"height": {kind: kInt, required: true}, "align": {kind: kString, enum: []string{"left", "center", "right", "full_width"}},
		"rounded": {kind: kBool}, "bottom_margin": bottomSpace, "action": {kind: kAction}},
}

// component checks one component at path at.
func (v *canvasValidator) component(at string, m map[string]any) {
	typ, _ := m["type"].(string)
	schema, ok := componentSchema[typ]
	if !ok {
		v.fail("%s: unknown component type %v", at, m["type"])
		return
	}
	at += " (" + typ + ")"
	v.fields(at, m, schema)
	if id, ok := m["id"].(string); ok {
		v.uniqueID(at, id)
	}
	switch typ {
	case "dropdown", "single-select":
		v.optionValue(at, m, m["options"])
	case "checkbox":
		opts, hasOpts := m["options"]
		if alt, ok := m["option"]; ok {
			if hasOpts {
				v.fail("%s: give the options once, as options", at)
			}
			opts, hasOpts = alt, true
		}
		if !hasOpts {
			v.fail("%s: options is required", at)
		} else if list, _ := opts.([]any); len(list) < 1 {
			v.fail("%s: a checkbox needs at least 1 option", at)
		}
		if vals, ok := m["value"].([]any); ok {
			ids := optionIDs(opts)
			for _, x := range vals {
				if s, _ := x.(string); !ids[s] {
					v.fail("%s: value %v is not one of its options", at, x)
				}
			}
		}
	case "image":
		v.imageURL(at, m["url"])
		if a, ok := m["action"].(map[string]any); ok && a["type"] != "url" {
			v.fail("%s: an image's action can only be a url action", at)
		}
	}
}

// fields checks m's fields against schema: "type" plus documented fields
// only, required ones present, each of its kind.
func (v *canvasValidator) fields(at string, m map[string]any, schema map[string]fieldSpec) {
	for k := range m {
		if _, ok := schema[k]; !ok && k != "type" {
			v.fail("%s: unknown field %q", at, k)
		}
	}
	for _, k := range sortedKeys(schema) {
		spec := schema[k]
		x, present := m[k]
		if !present || x == nil {
			if spec.required {
				v.fail("%s: %s is required", at, k)
			}
			continue
		}
		v.value(at+"."+k, x, spec)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// value checks one field's value against its spec.
func (v *canvasValidator) value(at string, x any, spec fieldSpec) {
	switch spec.kind {
	case kString:
		s, ok := x.(string)
		if !ok {
			v.fail("%s: must be a string", at)
			return
		}
		if spec.enum != nil && !slices.Contains(spec.enum, s) {
			v.fail("%s: %q is not one of %s", at, s, strings.Join(spec.enum, ", "))
		}
	case kBool:
		if _, ok := x.(bool); !ok {
			v.fail("%s: must be true or false", at)
		}
	case kInt:
		if f, ok := x.(float64); !ok || f != float64(int64(f)) || f <= 0 {
			v.fail("%s: must be a positive whole number", at)
		}
	case kAction:
		v.action(at, x)
	case kItems:
		v.objects(at, x, "field-value", func(iat string, m map[string]any) {
			v.fields(iat, m, map[string]fieldSpec{"field": {kind: kString, required: true}, "value": {kind: kString, required: true}})
		})
	case kList:
		v.objects(at, x, "item", func(iat string, m map[string]any) {
			v.fields(iat, m, listItemSchema)
			if id, ok := m["id"].(string); ok {
				v.uniqueID(iat, id)
			}
			if _, ok := m["image"]; ok {
				v.imageURL(iat+".image", m["image"])
				if m["image_width"] == nil || m["image_height"] == nil {
					v.fail("%s: image_width and image_height are required with an image", iat)
				}
			}
		})
	case kOptions:
		seen := map[string]bool{}
		v.objects(at, x, "option", func(oat string, m map[string]any) {
			v.fields(oat, m, optionSchema)
			if id, ok := m["id"].(string); ok {
				if seen[id] {
					v.fail("%s: option id %q is used twice", oat, id)
				}
				seen[id] = true
			}
		})
	case kStrings:
		list, ok := x.([]any)
		if !ok {
			v.fail("%s: must be an array of option ids", at)
			return
		}
		for _, s := range list {
			if _, ok := s.(string); !ok {
				v.fail("%s: must be an array of option ids", at)
				return
			}
		}
	}
}

// objects checks that x is an array of objects of type typ and calls each
// for every one, with its path.
func (v *canvasValidator) objects(at string, x any, typ string, each func(at string, m map[string]any)) {
	list, ok := x.([]any)
	if !ok {
		v.fail("%s: must be an array", at)
		return
	}
	for i, o := range list {
		m, ok := o.(map[string]any)
		oat := fmt.Sprintf("%s[%d]", at, i)
		if !ok || m["type"] != typ {
			v.fail(`%s: must be an object of type %q`, oat, typ)
			continue
		}
		each(oat, m)
	}
}

var listItemSchema = map[string]fieldSpec{
	"id": reqID, "title": {kind: kString, required: true}, "subtitle": {kind: kString}, "tertiary_text": {kind: kString},
	"image": {kind: kString}, "image_width": {kind: kInt}, "image_height": {kind: kInt}, "rounded_image": {kind: kBool},
	"disabled": disabled, "action": {kind: kAction},
}

var optionSchema = map[string]fieldSpec{"id": reqID, "text": {kind: kString, required: true}, "disabled": disabled}

// action checks an action object: submit, or url with an absolute URL;
// sheets are for Messenger apps only.
func (v *canvasValidator) action(at string, x any) {
	a, ok := x.(map[string]any)
	if !ok {
		v.fail("%s: must be an object", at)
		return
	}
	switch a["type"] {
	case "submit":
		v.fields(at, a, map[string]fieldSpec{})
	case "url":
		v.fields(at, a, map[string]fieldSpec{"url": {kind: kString, required: true}})
		if s, ok := a["url"].(string); ok {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				v.fail("%s.url: %q is not an absolute web address", at, s)
			}
		}
	case "sheet":
		v.fail("%s: sheet actions are for Messenger apps only, not the inbox", at)
	default:
		v.fail("%s.type: %v is not submit or url", at, a["type"])
	}
}

// optionValue checks that a dropdown's or single-select's value is one of
// its options and that it has 2 to 10 of them.
func (v *canvasValidator) optionValue(at string, m map[string]any, opts any) {
	list, _ := opts.([]any)
	if n := len(list); n < 2 || n > 10 {
		v.fail("%s: needs 2 to 10 options, has %d", at, n)
	}
	if val, ok := m["value"].(string); ok && !optionIDs(opts)[val] {
		v.fail("%s: value %q is not one of its options", at, val)
	}
}

func optionIDs(opts any) map[string]bool {
	ids := map[string]bool{}
	list, _ := opts.([]any)
	for _, o := range list {
		if m, ok := o.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				ids[id] = true
			}
		}
	}
	return ids
}

func (v *canvasValidator) uniqueID(at, id string) {
	if strings.TrimSpace(id) == "" {
		v.fail("%s: id must not be empty", at)
		return
	}
	if v.ids[id] {
		v.fail("%s: id %q is used twice in the canvas", at, id)
	}
	v.ids[id] = true
}

// imageURL checks an image address: images must be served over HTTPS.
func (v *canvasValidator) imageURL(at string, x any) {
	s, _ := x.(string)
	if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
		v.fail("%s: image %q must be an https address", at, s)
	}
}
