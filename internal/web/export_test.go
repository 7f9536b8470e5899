package web

// PlainWords exposes plainWords to the external tests.
var PlainWords = plainWords
