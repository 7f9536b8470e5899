package salesforce

import "net/url"

// MaxRequestBytes is Salesforce's limit on a REST call's URI and headers
// together. A longer URI is refused with 414 URI Too Long, a longer URI and
// headers with 431 Request Header Fields Too Large; either way the call
// never reaches the API.
const MaxRequestBytes = 16384

// queryHeaderReserve is the part of MaxRequestBytes a query's URI leaves to
// the request's headers (host, token, Accept, User-Agent, call options),
// which take a few hundred bytes.
const queryHeaderReserve = 2048

// QueryURIBytes is how long the request URI of Query(soql) is: the query
// resource's path and the URL-encoded q parameter.
func (c *Client) QueryURIBytes(soql string) int {
	return len(c.dataPath("query")) + len("?q=") + len(url.QueryEscape(soql))
}

// MaxQueryURIBytes is how long the URI of a query may be so that Salesforce
// takes it, with room left for the request's headers.
func (c *Client) MaxQueryURIBytes() int { return MaxRequestBytes - queryHeaderReserve }

// FitInLists groups values for the IN list of a query that build returns
// with the list in place (build("('a','b')")), so that every query's URI
// fits (see MaxQueryURIBytes) and holds at most maxValues values.
// Duplicates are dropped. A value that cannot fit even alone is returned in
// tooLong and never sent: Salesforce would refuse the query, and with it
// every other value in it. Make each group a list with InList.
func (c *Client) FitInLists(values []string, maxValues int, build func(list string) string) (groups [][]string, tooLong []string) {
	room := c.MaxQueryURIBytes() - c.QueryURIBytes(build(""))
	return splitInLists(values, maxValues, room, func(s string) int { return len(url.QueryEscape(s)) })
}
