package soql

import "strings"

// Validate resolves q against schema: the object, every path (with
// canonical names, the objects hopped through and field types) and the
// type of every WHERE literal. It rewrites q in place and is idempotent.
// Errors are *Error with Salesforce's codes and wording.
func Validate(q *Query, schema Schema) error {
	if q.validated {
		return nil
	}
	if err := validate(q, schema); err != nil {
		return err
	}
	q.validated = true
	return nil
}

func validate(q *Query, schema Schema) *Error {
	obj, ok := schema.Object(q.Object)
	if !ok {
		return newError(q.text, q.objectPos, CodeInvalidType, "sObject type '"+q.Object+
			"' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.")
	}
	q.Object = obj
	seen := make(map[string]bool, len(q.Fields))
	for i := range q.Fields {
		if err := resolvePath(q, schema, &q.Fields[i]); err != nil {
			return err
		}
		key := strings.ToLower(q.Fields[i].String())
		if seen[key] {
			// Salesforce reports this one without the positional layout.
			text := "duplicate field selected: " + q.Fields[i].String()
			return &Error{Code: CodeInvalidField, Text: text, Message: text}
		}
		seen[key] = true
	}
	if q.Where != nil {
		if err := validateExpr(q, schema, q.Where); err != nil {
			return err
		}
	}
	for i := range q.OrderBy {
		if err := resolvePath(q, schema, &q.OrderBy[i].Field); err != nil {
			return err
		}
	}
	return nil
}

// resolvePath fills p's canonical names, Objects, FKFields and Type.
func resolvePath(q *Query, schema Schema, p *Path) *Error {
	if p.Objects != nil {
		return nil // already resolved
	}
	rels := p.Relationships
	// "SELECT Lead.Email FROM Lead" may prefix paths with the object name.
	if len(rels) > 0 && strings.EqualFold(rels[0], q.Object) {
		if _, _, ok := schema.Relationship(q.Object, rels[0]); !ok {
			rels = rels[1:]
		}
	}
	obj := q.Object
	objects := make([]string, 0, len(rels)+1)
	fks := make([]string, 0, len(rels))
	names := make([]string, 0, len(rels))
	objects = append(objects, obj)
	for _, rel := range rels {
		target, fk, ok := schema.Relationship(obj, rel)
		if !ok {
			return newError(q.text, p.pos, CodeInvalidField, "Didn't understand relationship '"+rel+
				"' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.")
		}
		names = append(names, relationshipName(fk, rel))
		fks = append(fks, fk)
		objects = append(objects, target)
		obj = target
	}
	f, ok := schema.Field(obj, p.Field)
	if !ok {
		return newError(q.text, p.pos, CodeInvalidField, "No such column '"+p.Field+"' on entity '"+obj+
			"'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.")
	}
	p.Relationships, p.FKFields, p.Objects = names, fks, objects
	p.Field, p.Type = f.Name, f.Type
	return nil
}

// relationshipName derives the canonical relationship name from its
// reference field the way Salesforce names them (OwnerId → Owner,
// Partner__c → Partner__r), falling back to the spelling in the query.
func relationshipName(fk, asWritten string) string {
	switch {
	case len(fk) > 2 && strings.HasSuffix(fk, "Id"):
		if name := fk[:len(fk)-2]; strings.EqualFold(name, asWritten) {
			return name
		}
	case strings.HasSuffix(fk, "__c"):
		if name := fk[:len(fk)-3] + "__r"; strings.EqualFold(name, asWritten) {
			return name
		}
	}
	return asWritten
}

func validateExpr(q *Query, schema Schema, e Expr) *Error {
	switch e := e.(type) {
	case *Logical:
		for _, t := range e.Terms {
			if err := validateExpr(q, schema, t); err != nil {
				return err
			}
		}
	case *Not:
		return validateExpr(q, schema, e.X)
	case *Condition:
		if err := resolvePath(q, schema, &e.Field); err != nil {
			return err
		}
		return validateCondition(q, e)
	}
	return nil
}

// fieldKind groups describe types by how they compare.
type fieldKind int

const (
	kindText fieldKind = iota
	kindID
	kindBool
	kindNumber
	kindDate
	kindDateTime
)

func kindOf(describeType string) fieldKind {
	switch strings.ToLower(describeType) {
	case "id", "reference":
		return kindID
	case "boolean":
		return kindBool
	case "int", "double", "currency", "percent", "long":
		return kindNumber
	case "date":
		return kindDate
	case "datetime":
		return kindDateTime
	}
	return kindText
}

func validateCondition(q *Query, c *Condition) *Error {
	k := kindOf(c.Field.Type)
	name := c.Field.String()
	if c.Op == OpLike && k != kindText && k != kindID {
		return newError(q.text, c.Field.pos, CodeInvalidField, "invalid operator on "+describeName(c.Field.Type)+" field: "+name)
	}
	if k == kindBool && c.Op != OpEqual && c.Op != OpNotEqual && c.Op != OpIn && c.Op != OpNotIn {
		return newError(q.text, c.Field.pos, CodeInvalidField, "invalid operator on boolean field: "+name)
	}
	vals := c.Values
	if c.Op != OpIn && c.Op != OpNotIn {
		vals = []Value{c.Value}
	}
	for _, v := range vals {
		if k == kindID && v.Kind == ValueString && v.Str != "" && c.Op != OpLike && !validIDSyntax(v.Str) {
			return newError(q.text, v.pos, CodeInvalidQueryFilterOperator, "invalid ID field: "+v.Str)
		}
		if v.Kind == ValueNull || valueFits(k, v.Kind) {
			continue
		}
		return newError(q.text, v.pos, CodeInvalidField, "value of filter criterion for field '"+name+
			"' must be of type "+criterionType(c.Field.Type)+quoteAdvice(k))
	}
	return nil
}

func valueFits(k fieldKind, v ValueKind) bool {
	switch k {
	case kindText, kindID:
		return v == ValueString
	case kindBool:
		return v == ValueBool
	case kindNumber:
		return v == ValueNumber
	case kindDate:
		return v == ValueDate || v == ValueRelativeDate
	case kindDateTime:
		return v == ValueDateTime || v == ValueRelativeDate
	}
	return false
}

// criterionType is the type name Salesforce uses in filter errors.
func criterionType(describeType string) string {
	switch strings.ToLower(describeType) {
	case "datetime":
		return "dateTime"
	case "int":
		return "integer"
	case "currency", "percent":
		return "double"
	case "id", "reference":
		return "id"
	case "boolean", "double", "date", "long":
		return strings.ToLower(describeType)
	}
	return "string"
}

func quoteAdvice(k fieldKind) string {
	if k == kindText || k == kindID {
		return " and should be enclosed in quotes"
	}
	return " and should not be enclosed in quotes"
}

func describeName(t string) string {
	if t == "" {
		return "unknown"
	}
	return strings.ToLower(t)
}

// validIDSyntax reports whether s looks like a 15- or 18-character id;
// Salesforce rejects anything else compared with an id field.
func validIDSyntax(s string) bool {
	if !isIDLength(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && !(c|0x20 >= 'a' && c|0x20 <= 'z') {
			return false
		}
	}
	return true
}
