package intercom

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// Pages is Intercom's pagination object ("type":"pages").
type Pages struct {
	// Page is the 1-based page number.
	Page int `json:"page"`
	// PerPage is the page size.
	PerPage int `json:"per_page"`
	// TotalPages is the number of pages (where Intercom computes it).
	TotalPages int `json:"total_pages"`
	// Next points at the next page; nil on the last page.
	Next *NextPage `json:"next,omitempty"`
}

// NextPage is the "next" member of Pages. Cursor endpoints give
// {"page":2,"starting_after":"…"}; older ones give a URL string, from which
// the cursor is taken.
type NextPage struct {
	// Page is the next page number.
	Page int `json:"page,omitempty"`
	// StartingAfter is the cursor to send for the next page.
	StartingAfter string `json:"starting_after,omitempty"`
	// URL is set when Intercom gave the next page as a URL.
	URL string `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler for both shapes of "next".
func (n *NextPage) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n.URL = s
		if u, err := url.Parse(s); err == nil {
			n.StartingAfter = u.Query().Get("starting_after")
		}
		return nil
	}
	type plain NextPage
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*n = NextPage(p)
	return nil
}

// ListOptions tunes a list or search iterator.
type ListOptions struct {
	// PerPage is the page size (Intercom allows up to 150); 0 uses
	// Intercom's default.
	PerPage int
	// Total, if set, is called with the listing's total_count from each
	// page's answer (lists that carry one: contacts, companies), so a
	// caller can show progress as a share of records. With Prefetch it
	// is called from the goroutine fetching the next page.
	Total func(n int)
	// Prefetch fetches each next page while the caller works through the
	// current one: for callers that read a whole listing and do slow work
	// per page. A caller that stops early has made one call for nothing.
	Prefetch bool
}

// list is the envelope of Intercom's cursor-paged lists.
type list[T any] struct {
	Type       string `json:"type"`
	Data       []T    `json:"data"`
	TotalCount int    `json:"total_count"`
	Pages      *Pages `json:"pages"`
}

// next returns the cursor of the next page, "" on the last one.
func (l *list[T]) next() string {
	if l.Pages == nil || l.Pages.Next == nil {
		return ""
	}
	return l.Pages.Next.StartingAfter
}

// paginate turns a page fetcher into an iterator that follows cursors until
// the last page. An error is yielded once, with the zero T, and ends the
// iteration. With ahead, the next page is fetched while the caller works
// through the current one (ListOptions.Prefetch).
func paginate[T any](ctx context.Context, ahead bool, fetch func(ctx context.Context, cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	type page struct {
		items []T
		next  string
		err   error
	}
	get := func(ctx context.Context, cursor string) page {
		items, next, err := fetch(ctx, cursor)
		return page{items, next, err}
	}
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{}
		cur := get(ctx, "")
		for {
			if cur.err != nil {
				yield(zero, cur.err)
				return
			}
			more := cur.next != "" && len(cur.items) > 0
			// A server that repeats a cursor would loop forever.
			repeated := more && seen[cur.next]
			var pending chan page
			stop := func() {}
			if more && !repeated && ahead {
				pctx, cancel := context.WithCancel(ctx)
				pending = make(chan page, 1)
				go func(cursor string) { pending <- get(pctx, cursor) }(cur.next)
				stop = func() { cancel(); <-pending }
			}
			for _, it := range cur.items {
				if !yield(it, nil) {
					stop()
					return
				}
			}
			if repeated {
				yield(zero, fmt.Errorf("intercom: pagination: cursor %q repeated", cur.next))
				return
			}
			if !more {
				return
			}
			seen[cur.next] = true
			if pending != nil {
				cur = <-pending
			} else {
				cur = get(ctx, cur.next)
			}
		}
	}
}

// paginatePages is paginate for the older page-numbered lists (companies,
// company contacts): the cursor is the next page's number, and it stops
// after total_pages or an empty page.
func paginatePages[T any](ctx context.Context, ahead bool, fetch func(ctx context.Context, page int) ([]T, *Pages, error)) iter.Seq2[T, error] {
	return paginate(ctx, ahead, func(ctx context.Context, cursor string) ([]T, string, error) {
		page := 1
		if cursor != "" {
			page, _ = strconv.Atoi(cursor) // one we made
		}
		items, pages, err := fetch(ctx, page)
		if err != nil {
			return nil, "", err
		}
		// Stop at the last page, and also when the server answered a
		// different page than asked (it ignores paging), which would
		// otherwise repeat items.
		if pages == nil || pages.TotalPages <= page || (pages.Page != 0 && pages.Page != page) {
			return items, "", nil
		}
		return items, strconv.Itoa(page + 1), nil
	})
}

func perPageQuery(q url.Values, perPage int) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if perPage > 0 {
		q.Set("per_page", fmt.Sprint(perPage))
	}
	return q
}
