package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/app"
)

// usageDays is how many days the usage page charts.
const usageDays = 30

// usagePurposes are the chart's series, bottom to top, with their colours.
var usagePurposes = []struct{ Name, Label, Color string }{
	{"background", "Background sync", "#1f5fd6"},
	{"inbox", "Inbox actions", "#17803d"},
	{"backfill", "Backfill", "#a15c00"},
	{"setup", "Setup (schema reads)", "#7a5af8"},
}

// usagePage is GET /usage: Salesforce API calls by day and purpose for the
// last 30 days, ferry's budget and lanes, the org's limit.
func (s *Server) usagePage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	u, err := s.app.Usage(ctx, p.Conn.ID, usageDays)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	b, err := s.app.Budget(ctx, p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	var total int64
	for _, d := range u.Days {
		total += d.Total
	}
	p.Title = "API usage"
	p.Data = struct {
		Usage   app.UsageView
		Budget  app.BudgetToday
		Chart   template.HTML
		Total   int64
		Legend  any
		Table   []app.UsageDay
		Purpose []string
	}{u, b, usageChart(u, p.Now), total, usagePurposes, reversed(u.Days), purposeNames()}
	s.render(w, r, http.StatusOK, "usage", p)
}

func purposeNames() []string {
	out := make([]string, 0, len(usagePurposes))
	for _, pu := range usagePurposes {
		out = append(out, pu.Name)
	}
	return out
}

func reversed(days []app.UsageDay) []app.UsageDay {
	out := make([]app.UsageDay, len(days))
	for i, d := range days {
		out[len(days)-1-i] = d
	}
	return out
}

// usageChart draws calls per day as stacked bars by purpose, in inline
// SVG with a title per bar for screen readers and hovering.
func usageChart(u app.UsageView, now time.Time) template.HTML {
	const width, height, left, bottom, top = 1100, 260, 56, 28, 10
	byDay := map[string]app.UsageDay{}
	var most int64 = 1
	for _, d := range u.Days {
		byDay[d.Day] = d
		most = max(most, d.Total)
	}
	scale := niceCeil(most)
	plotH := float64(height - bottom - top)
	barW := float64(width-left-10) / usageDays
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">`, width, height)
	sb.WriteString(`<title id="chart-title">Salesforce API calls per day by purpose, last 30 days</title>`)
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		y := float64(top) + plotH - plotH*float64(v)/float64(scale)
		fmt.Fprintf(&sb, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e7ec"/>`, left, width-10, y, y)
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" font-size="12" text-anchor="end" fill="#5b6475">%d</text>`, left-6, y+4, v)
	}
	start := now.UTC().AddDate(0, 0, -(usageDays - 1))
	for i := 0; i < usageDays; i++ {
		day := start.AddDate(0, 0, i).Format("2006-01-02")
		d := byDay[day]
		x := float64(left) + float64(i)*barW + 2
		y := float64(top) + plotH
		var parts []string
		for _, pu := range usagePurposes {
			n := d.ByPurpose[pu.Name]
			if n == 0 {
				continue
			}
			h := plotH * float64(n) / float64(scale)
			y -= h
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, barW-4, h, pu.Color)
			parts = append(parts, fmt.Sprintf("%s %d", pu.Label, n))
		}
		label := day + ": " + fmt.Sprint(d.Total) + " calls"
		if len(parts) > 0 {
			label += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%d" width="%.1f" height="%.0f" fill="transparent"><title>%s</title></rect>`,
			x, top, barW-4, plotH, template.HTMLEscapeString(label))
		if i%5 == 0 || i == usageDays-1 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle" fill="#5b6475">%s</text>`, x+barW/2-2, height-8, day[5:])
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // built from numbers and escaped labels only
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten.
func niceCeil(n int64) int64 {
	p := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
		p *= 10
	}
}
