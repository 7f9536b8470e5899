package soql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error codes, as Salesforce returns them in errorCode.
const (
	CodeMalformedQuery          = "MALFORMED_QUERY"
	CodeInvalidField            = "INVALID_FIELD"
	CodeInvalidType             = "INVALID_TYPE"
	CodeNumberOutsideValidRange = "NUMBER_OUTSIDE_VALID_RANGE"
	// CodeInvalidQueryFilterOperator is what Salesforce returns for a
	// malformed id literal ("invalid ID field: 123").
	CodeInvalidQueryFilterOperator = "INVALID_QUERY_FILTER_OPERATOR"
)

// Error is a query error as Salesforce reports it. The emulator sends
// [{"message": Message, "errorCode": Code}] with HTTP 400.
type Error struct {
	// Code is the errorCode, e.g. MALFORMED_QUERY.
	Code string
	// Row and Column are 1-based and point at the offending token; both are
	// 0 for errors Salesforce reports without a position.
	Row, Column int
	// Text is the bare explanation, e.g. "unexpected token: 'FROM'".
	Text string
	// Message is the full message in Salesforce's layout: a newline, the
	// query line, a caret under the column, "ERROR at Row:R:Column:C" and
	// Text, separated by newlines. It equals Text when there is no position.
	Message string
}

// Error returns the code, the position and the bare text on one line.
func (e *Error) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("soql: %s: %s", e.Code, e.Text)
	}
	return fmt.Sprintf("soql: %s at row %d column %d: %s", e.Code, e.Row, e.Column, e.Text)
}

// newError builds an *Error pointing at byte offset pos of query.
func newError(query string, pos int, code, text string) *Error {
	if pos < 0 {
		pos = 0
	}
	if pos > len(query) {
		pos = len(query)
	}
	lineStart := strings.LastIndexByte(query[:pos], '\n') + 1
	row := strings.Count(query[:lineStart], "\n") + 1
	lineEnd := strings.IndexByte(query[pos:], '\n')
	if lineEnd < 0 {
		lineEnd = len(query)
	} else {
		lineEnd += pos
	}
	line := strings.TrimSuffix(query[lineStart:lineEnd], "\r")
	col := utf8.RuneCountInString(query[lineStart:pos]) + 1
	msg := "\n" + line + "\n" + strings.Repeat(" ", col-1) + "^\nERROR at Row:" +
		fmt.Sprint(row) + ":Column:" + fmt.Sprint(col) + "\n" + text
	return &Error{Code: code, Row: row, Column: col, Text: text, Message: msg}
}
