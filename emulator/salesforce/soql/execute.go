package soql

import (
	"container/heap"
	"slices"
	"time"
)

// Execute validates q against src and returns the matching records in
// order, after OFFSET and LIMIT. When the WHERE clause is an equality or
// IN on a plain field (alone or as a term of a top-level AND), it asks
// src.Lookup for candidates first and only scans if no such field is
// indexed. Errors are *Error.
func Execute(q *Query, src Source, opts ExecOptions) (*Result, error) {
	if err := Validate(q, src); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var m matcher
	if q.Where != nil {
		m = compileExpr(q.Where, src, now)
	}

	c := newCollector(q, src)
	visit := func(r Record) bool {
		if m != nil && !m.match(r) {
			return true
		}
		return c.add(r)
	}
	if cands, ok := lookup(q, src, opts.IncludeDeleted); ok {
		for _, r := range cands {
			if !visit(r) {
				break
			}
		}
	} else {
		src.Scan(q.Object, opts.IncludeDeleted, visit)
	}
	return c.result(), nil
}

// lookup tries the indexable terms of the WHERE clause in order of
// expected selectivity (ids, then text) and returns the first indexed
// answer.
func lookup(q *Query, src Source, includeDeleted bool) ([]Record, bool) {
	terms := conjuncts(q.Where, nil)
	var best []*Condition
	for _, pass := range []fieldKind{kindID, kindText, kindNumber} {
		for _, t := range terms {
			c, ok := t.(*Condition)
			if !ok || len(c.Field.Relationships) != 0 || kindOf(c.Field.Type) != pass {
				continue
			}
			if c.Op != OpEqual && c.Op != OpIn {
				continue
			}
			best = append(best, c)
		}
	}
	for _, c := range best {
		vals := c.Values
		if c.Op == OpEqual {
			vals = []Value{c.Value}
		}
		keys := make([]any, 0, len(vals))
		seen := make(map[any]bool, len(vals))
		usable := true
		for _, v := range vals {
			var k any
			switch v.Kind {
			case ValueString:
				if v.Str == "" {
					usable = false // '' means null, which no index holds
				}
				k = v.Str
			case ValueNumber:
				k = v.Num
			case ValueNull:
				// Null is not indexed; skip it, the scan path handles it.
				usable = false
			default:
				usable = false
			}
			if !usable {
				break
			}
			// Dedupe under SOQL equality so that the store, which
			// matches the same way, returns each record once.
			dk := k
			if s, ok := k.(string); ok {
				if kindOf(c.Field.Type) == kindID {
					dk = idKey(s)
				} else {
					dk = lowerFold(s)
				}
			}
			if !seen[dk] {
				seen[dk] = true
				keys = append(keys, k)
			}
		}
		if !usable {
			continue
		}
		if recs, ok := src.Lookup(q.Object, c.Field.Field, keys, includeDeleted); ok {
			return recs, true
		}
	}
	return nil, false
}

// conjuncts lists the terms that every match must satisfy: e itself, or
// the terms of an AND, flattening nested ANDs ("(a AND b) AND c").
func conjuncts(e Expr, into []Expr) []Expr {
	if l, ok := e.(*Logical); ok && l.Op == "AND" {
		for _, t := range l.Terms {
			into = conjuncts(t, into)
		}
		return into
	}
	if e != nil {
		into = append(into, e)
	}
	return into
}

// collector gathers matches. With ORDER BY and LIMIT it keeps only the
// best OFFSET+LIMIT records in a heap, so a large scan allocates only for
// records that enter it; without ORDER BY it stops the scan as soon as it
// has enough.
type collector struct {
	q     *Query
	src   RecordGetter
	count int
	want  int // OFFSET+LIMIT, or -1 for all
	recs  []Record
	sort  *sorter
}

func newCollector(q *Query, src RecordGetter) *collector {
	c := &collector{q: q, src: src, want: -1}
	if q.Limit != NoLimit {
		c.want = q.Offset + q.Limit
	}
	if len(q.OrderBy) > 0 && !q.IsCount {
		c.sort = newSorter(q.OrderBy, src, c.want)
	}
	return c
}

// add takes one matching record and reports whether the scan should go on.
func (c *collector) add(r Record) bool {
	if c.q.IsCount {
		c.count++
		return true
	}
	if c.sort != nil {
		c.sort.add(r)
		return true
	}
	if c.want >= 0 && len(c.recs) >= c.want {
		return false
	}
	c.recs = append(c.recs, r)
	return c.want < 0 || len(c.recs) < c.want
}

func (c *collector) result() *Result {
	if c.q.IsCount {
		n := max(c.count-c.q.Offset, 0)
		if c.q.Limit != NoLimit {
			n = min(n, c.q.Limit)
		}
		return &Result{Count: n}
	}
	recs := c.recs
	if c.sort != nil {
		recs = c.sort.sorted()
	}
	if c.q.Offset >= len(recs) {
		recs = nil
	} else {
		recs = recs[c.q.Offset:]
	}
	if c.q.Limit != NoLimit && len(recs) > c.q.Limit {
		recs = recs[:c.q.Limit]
	}
	return &Result{Records: recs, Count: len(recs)}
}

// sortKey is one ORDER BY value extracted from a record.
type sortKey struct {
	null bool
	s    string
	n    float64
	t    instant
}

type sortItem struct {
	rec  Record
	seq  int // arrival order, so equal keys keep scan order
	keys []sortKey
}

type sorter struct {
	orders  []Order
	kinds   []fieldKind
	src     RecordGetter
	limit   int // keep at most this many; -1 keeps all
	items   []*sortItem
	scratch []sortKey
	seq     int
}

func newSorter(orders []Order, src RecordGetter, limit int) *sorter {
	s := &sorter{orders: orders, src: src, limit: limit, scratch: make([]sortKey, len(orders))}
	s.kinds = make([]fieldKind, len(orders))
	for i, o := range orders {
		s.kinds[i] = kindOf(o.Field.Type)
	}
	return s
}

func (s *sorter) extract(r Record, into []sortKey) {
	for i, o := range s.orders {
		var v any
		if len(o.Field.FKFields) == 0 {
			v = r.Get(o.Field.Field)
		} else {
			v = o.Field.Value(s.src, r)
		}
		k := sortKey{}
		switch s.kinds[i] {
		case kindNumber:
			k.n, k.null = storedNumber(v)
			k.null = !k.null
		case kindDate, kindDateTime:
			k.t, k.null = storedTime(v)
			k.null = !k.null
		case kindBool:
			b, ok := v.(bool)
			k.null = !ok
			if b {
				k.n = 1
			}
		default:
			str, ok := v.(string)
			k.s, k.null = str, !ok || str == ""
		}
		into[i] = k
	}
}

// less orders key rows per ORDER BY, nulls placed per term.
func (s *sorter) less(a []sortKey, aseq int, b []sortKey, bseq int) bool {
	for i, o := range s.orders {
		ka, kb := a[i], b[i]
		if ka.null || kb.null {
			if ka.null == kb.null {
				continue
			}
			return ka.null == o.nullsFirst()
		}
		var cmp int
		switch s.kinds[i] {
		case kindNumber, kindBool:
			cmp = cmpOrdered(ka.n, kb.n)
		case kindDate, kindDateTime:
			cmp = ka.t.compare(kb.t)
		case kindID:
			cmp = cmpOrdered(ka.s, kb.s)
		default:
			cmp = compareFold(ka.s, kb.s)
		}
		if cmp == 0 {
			continue
		}
		if o.Desc {
			return cmp > 0
		}
		return cmp < 0
	}
	return aseq < bseq
}

func (s *sorter) add(r Record) {
	seq := s.seq
	s.seq++
	if s.limit == 0 {
		return
	}
	if s.limit < 0 || len(s.items) < s.limit {
		keys := make([]sortKey, len(s.orders))
		s.extract(r, keys)
		it := &sortItem{rec: r, seq: seq, keys: keys}
		if s.limit < 0 {
			s.items = append(s.items, it)
			return
		}
		heap.Push((*worstHeap)(s), it)
		return
	}
	// Full: compare with the worst kept record, reusing its storage.
	s.extract(r, s.scratch)
	worst := s.items[0]
	if !s.less(s.scratch, seq, worst.keys, worst.seq) {
		return
	}
	worst.rec, worst.seq = r, seq
	copy(worst.keys, s.scratch)
	heap.Fix((*worstHeap)(s), 0)
}

func (s *sorter) sorted() []Record {
	slices.SortFunc(s.items, func(a, b *sortItem) int {
		if s.less(a.keys, a.seq, b.keys, b.seq) {
			return -1
		}
		if s.less(b.keys, b.seq, a.keys, a.seq) {
			return 1
		}
		return 0
	})
	out := make([]Record, len(s.items))
	for i, it := range s.items {
		out[i] = it.rec
	}
	return out
}

// worstHeap is a max-heap on the ORDER BY: the root is the record that
// would be dropped first.
type worstHeap sorter

func (h *worstHeap) Len() int { return len(h.items) }
func (h *worstHeap) Less(i, j int) bool {
	s := (*sorter)(h)
	return s.less(s.items[j].keys, s.items[j].seq, s.items[i].keys, s.items[i].seq)
}
func (h *worstHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *worstHeap) Push(x any)    { h.items = append(h.items, x.(*sortItem)) }
func (h *worstHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}
