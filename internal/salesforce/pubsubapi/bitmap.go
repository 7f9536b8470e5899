package pubsubapi

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Field is one top-level field of a change event schema, in schema order,
// as the changedFields, nulledFields and diffFields bitmaps count them.
// Children are the field names of its record type (a compound field such as
// Name or BillingAddress), empty for a plain field.
type Field struct {
	Name     string
	Children []string
}

// SchemaFields lists the top-level fields of an Avro record schema in JSON
// (as GetSchema returns it), with the fields of each record-typed field,
// after unwrapping unions such as ["null", record] or ["null", "string",
// record] and following references to named types defined earlier.
func SchemaFields(schemaJSON string) ([]Field, error) {
	var root any
	if err := json.Unmarshal([]byte(schemaJSON), &root); err != nil {
		return nil, fmt.Errorf("pubsubapi: schema is not JSON: %w", err)
	}
	named := map[string][]string{}
	rec, ok := root.(map[string]any)
	if !ok || rec["type"] != "record" {
		return nil, fmt.Errorf("pubsubapi: schema is not an Avro record")
	}
	ns, _ := rec["namespace"].(string)
	raw, _ := rec["fields"].([]any)
	out := make([]Field, 0, len(raw))
	for i, f := range raw {
		fm, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("pubsubapi: schema field %d is not an object", i)
		}
		name, _ := fm["name"].(string)
		out = append(out, Field{Name: name, Children: recordChildren(fm["type"], ns, named)})
	}
	return out, nil
}

// recordChildren returns the field names of t when t is, or is a union
// holding, a record (defined inline or by an earlier name), and records
// every named record it meets in named.
func recordChildren(t any, ns string, named map[string][]string) []string {
	switch v := t.(type) {
	case string:
		if c, ok := named[v]; ok {
			return c
		}
		return named[ns+"."+v]
	case []any:
		var found []string
		for _, b := range v {
			if c := recordChildren(b, ns, named); c != nil && found == nil {
				found = c
			}
		}
		return found
	case map[string]any:
		if v["type"] != "record" {
			return nil
		}
		fs, _ := v["fields"].([]any)
		names := make([]string, 0, len(fs))
		for _, f := range fs {
			if fm, ok := f.(map[string]any); ok {
				n, _ := fm["name"].(string)
				names = append(names, n)
				recordChildren(fm["type"], ns, named)
			}
		}
		if n, _ := v["name"].(string); n != "" {
			named[n] = names
			if rns, _ := v["namespace"].(string); rns != "" {
				named[rns+"."+n] = names
			} else if !strings.Contains(n, ".") && ns != "" {
				named[ns+"."+n] = names
			}
		}
		return names
	}
	return nil
}

// EncodeBitmap writes field names as Salesforce's bitmap list: element 0 is
// "0x" and the uppercase, even-length hex of a big-endian integer whose bit
// i (least significant first) marks top-level field i; a child of a
// compound field, named "Parent.Child", goes into an element "P-0xHEX"
// where P is the parent's index and the bits count the parent's record
// fields. The parent's own bit is not set for a child. No names give an
// empty list. An unknown name is an error.
func EncodeBitmap(fields []Field, names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{}, nil
	}
	index := make(map[string]int, len(fields))
	for i, f := range fields {
		index[f.Name] = i
	}
	top := new(big.Int)
	children := map[int]*big.Int{}
	for _, n := range names {
		parent, child, nested := strings.Cut(n, ".")
		i, ok := index[parent]
		if !ok {
			return nil, fmt.Errorf("pubsubapi: field %q is not in the schema", n)
		}
		if !nested {
			top.SetBit(top, i, 1)
			continue
		}
		j := indexOf(fields[i].Children, child)
		if j < 0 {
			return nil, fmt.Errorf("pubsubapi: field %q is not in the schema", n)
		}
		if children[i] == nil {
			children[i] = new(big.Int)
		}
		children[i].SetBit(children[i], j, 1)
	}
	out := []string{hexBits(top)}
	for i := range fields {
		if c := children[i]; c != nil {
			out = append(out, strconv.Itoa(i)+"-"+hexBits(c))
		}
	}
	return out, nil
}

// DecodeBitmap reads a bitmap list back into field names, in schema order:
// top-level fields by name, children of compound fields as "Parent.Child".
// A top-level bit of a compound field that also has a child element is
// covered by its children. Odd-length hex is accepted.
func DecodeBitmap(fields []Field, bitmap []string) ([]string, error) {
	var top *big.Int
	children := map[int]*big.Int{}
	for _, s := range bitmap {
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			n, err := parseHex(s)
			if err != nil {
				return nil, err
			}
			top = n
			continue
		}
		p, h, ok := strings.Cut(s, "-")
		i, err := strconv.Atoi(p)
		if !ok || err != nil || i < 0 || i >= len(fields) {
			return nil, fmt.Errorf("pubsubapi: bitmap element %q is not P-0xHEX with a field index", s)
		}
		n, err := parseHex(h)
		if err != nil {
			return nil, err
		}
		children[i] = n
	}
	var out []string
	for i, f := range fields {
		if c := children[i]; c != nil {
			for j := 0; j < c.BitLen(); j++ {
				if c.Bit(j) == 0 {
					continue
				}
				if j >= len(f.Children) {
					return nil, fmt.Errorf("pubsubapi: bitmap names child %d of %s, which has %d", j, f.Name, len(f.Children))
				}
				out = append(out, f.Name+"."+f.Children[j])
			}
			continue
		}
		if top != nil && top.Bit(i) == 1 {
			out = append(out, f.Name)
		}
	}
	if top != nil && top.BitLen() > len(fields) {
		return nil, fmt.Errorf("pubsubapi: bitmap names field %d, the schema has %d", top.BitLen()-1, len(fields))
	}
	return out, nil
}

func parseHex(s string) (*big.Int, error) {
	if len(s) < 3 || (s[:2] != "0x" && s[:2] != "0X") {
		return nil, fmt.Errorf("pubsubapi: bitmap element %q is not 0xHEX", s)
	}
	n, ok := new(big.Int).SetString(s[2:], 16)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("pubsubapi: bitmap element %q is not 0xHEX", s)
	}
	return n, nil
}

// hexBits is "0x" and n in uppercase hex of even length (at least "00"),
// which Salesforce's Java sample parses pairwise.
func hexBits(n *big.Int) string {
	h := strings.ToUpper(n.Text(16))
	if len(h)%2 == 1 {
		h = "0" + h
	}
	return "0x" + h
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
