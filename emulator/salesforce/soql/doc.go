// Package soql parses, validates and evaluates the subset of Salesforce's
// SOQL that the Salesforce emulator serves on /query and /queryAll.
//
// The emulator owns the record store and the JSON projection; this package
// owns the language. The flow is Parse, then Execute (which validates the
// query against the Source's schema before touching any record). Every
// failure is an *Error whose Message is laid out exactly like Salesforce's
// ("\n<query line>\n   ^\nERROR at Row:1:Column:4\n<text>").
package soql
