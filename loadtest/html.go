package loadtest

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
	"time"
)

// WriteHTML writes the report as one self-contained HTML page: charts are
// inline SVG, nothing is fetched from the network.
func (rep *Report) WriteHTML(w io.Writer) error {
	rate := make([]point, 0, len(rep.Timeline))
	p50 := make([]point, 0, len(rep.Timeline))
	p99 := make([]point, 0, len(rep.Timeline))
	for _, b := range rep.Timeline {
		x := b.At + b.Width/2
		rate = append(rate, point{x, float64(b.Count) / b.Width})
		if b.Count > 0 {
			p50 = append(p50, point{x, float64(b.P50us) / 1000})
			p99 = append(p99, point{x, float64(b.P99us) / 1000})
		}
	}
	bars := make([]point, len(rep.Histogram))
	labels := make([]string, len(rep.Histogram))
	for i, b := range rep.Histogram {
		bars[i] = point{float64(i), float64(b.Count)}
		labels[i] = us(b.FromUs)
	}
	hours := make([]point, 24)
	hourLabels := make([]string, 24)
	for h, n := range rep.ByHour {
		hours[h] = point{float64(h), float64(n)}
		hourLabels[h] = fmt.Sprintf("%dh", h)
	}
	return page.Execute(w, map[string]any{
		"Curve":   barChart("transactions by business hour (the daily curve, Vietnam time)", hours, hourLabels),
		"R":       rep,
		"Rate":    lineChart("transactions per second", "s", "tx/s", []series{{"tx/s", "#2a6fdb", rate}}),
		"Latency": lineChart("latency over time", "s", "ms", []series{{"p50", "#2a9d4b", p50}, {"p99", "#d9480f", p99}}),
		"Hist":    barChart("latency distribution (logarithmic buckets)", bars, labels),
	})
}

type point struct{ x, y float64 }

type series struct {
	name, color string
	pts         []point
}

const (
	chartW, chartH = 760.0, 240.0
	padL, padB     = 60.0, 30.0
)

// lineChart draws series against a shared linear scale starting at 0.
func lineChart(title, xunit, yunit string, ss []series) template.HTML {
	var maxX, maxY float64
	for _, s := range ss {
		for _, p := range s.pts {
			maxX, maxY = max(maxX, p.x), max(maxY, p.y)
		}
	}
	maxX, maxY = max(maxX, 1e-9), max(maxY*1.1, 1e-9)
	var b strings.Builder
	svgOpen(&b, title, maxY, yunit)
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="ax">0</text><text x="%g" y="%g" class="ax" text-anchor="end">%.4g %s</text>`,
		padL, chartH-8, chartW-4, chartH-8, maxX, xunit)
	for i, s := range ss {
		var pts []string
		for _, p := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", padL+(chartW-padL-4)*p.x/maxX, (chartH-padB)*(1-p.y/maxY)+4))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, s.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%g" y="%d" fill="%s" class="ax">%s</text>`, chartW-120+float64(i)*50, 16, s.color, html.EscapeString(s.name))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String()) // built from numbers and escaped names only
}

// barChart draws one bar per point, labelling every few bars.
func barChart(title string, bars []point, labels []string) template.HTML {
	var maxY float64
	for _, p := range bars {
		maxY = max(maxY, p.y)
	}
	maxY = max(maxY*1.1, 1)
	var b strings.Builder
	svgOpen(&b, title, maxY, "tx")
	n := float64(max(len(bars), 1))
	bw := (chartW - padL - 4) / n
	for i, p := range bars {
		x := padL + float64(i)*bw
		h := (chartH - padB) * p.y / maxY
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2a6fdb"><title>%s: %d</title></rect>`,
			x, chartH-padB+4-h, max(bw-1, 1), h, html.EscapeString(labels[i]), int64(p.y))
		if i%max(len(bars)/8, 1) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="ax">%s</text>`, x, chartH-8, html.EscapeString(labels[i]))
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String()) // built from numbers and escaped labels only
}

func svgOpen(b *strings.Builder, title string, maxY float64, yunit string) {
	fmt.Fprintf(b, `<svg viewBox="0 0 %g %g" width="%g" height="%g" role="img"><title>%s</title>`, chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<line x1="%g" y1="4" x2="%g" y2="%g" stroke="#999"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#999"/>`,
		padL, padL, chartH-padB+4, padL, chartH-padB+4, chartW-4, chartH-padB+4)
	fmt.Fprintf(b, `<text x="4" y="14" class="ax">%s %s</text><text x="4" y="%g" class="ax">0</text>`, nice(maxY), html.EscapeString(yunit), chartH-padB+4)
}

// nice formats an axis maximum: whole numbers from 100 up.
func nice(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"us":  us,
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"dur": func(s float64) string {
		return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ndxp load test {{.R.RunID}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:900px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.ax{font-size:11px;fill:#555}.green{color:#2a9d4b}.red{color:#c92a2a}svg{display:block;margin:1em 0}
</style></head><body>
<h1>ndxp load test {{.R.RunID}}</h1>
<p>Profile <b>{{.R.Profile}}</b>{{if .R.Source}} ({{.R.Source}}){{end}}; mode {{.R.Mode}}, speed {{.R.Speed}}, scale {{.R.Scale}},
{{.R.Connections}} connection(s), concurrency {{.R.Concurrency}}; started {{.R.Started.Format "2006-01-02 15:04:05 MST"}}, ran {{dur .R.DurationS}}{{if .R.Interrupted}} (<b>interrupted</b>){{end}}.</p>
{{if and .R.Green .R.ReconcileSkipped}}<p class="green"><b>GREEN</b> (the hub's counters were not read).</p>
{{else if .R.Green}}<p class="green"><b>GREEN</b>: every transaction sent was counted once by the hub with its outcome.</p>
{{else}}<p class="red"><b>FAILED</b>:</p><ul>{{range .R.Failures}}<li class="red">{{.}}</li>{{end}}</ul>{{end}}
<p>{{.R.Sent}} of {{.R.Planned}} planned transactions sent, {{.R.Succeeded}} succeeded, {{.R.Failed}} failed;
{{printf "%.0f" .R.Throughput}} tx/s ({{printf "%.3g" .R.DaysPerMinute}} national days a minute). Latency p50 {{us .R.Latency.P50us}}, p90 {{us .R.Latency.P90us}}, p99 {{us .R.Latency.P99us}},
p99.9 {{us .R.Latency.P999us}}, max {{us .R.Latency.MaxUs}}.</p>
<h2>Days</h2>
<table><tr><th>day</th><th>published</th><th>planned</th><th>sent</th><th>succeeded</th><th>failed</th><th>nested hops</th><th>counted</th><th>counted succeeded</th><th>match</th></tr>
{{range .R.Days}}<tr><td>{{.Day}}</td><td>{{.Published}}</td><td>{{.Planned}}</td><td>{{.Sent}}</td><td>{{.Succeeded}}</td><td>{{.Failed}}</td><td>{{.Nested}}</td><td>{{.Counted}}</td><td>{{.CountedSucceeded}}</td><td>{{if .OK}}yes{{else}}<b class="red">NO</b>{{end}}</td></tr>
{{end}}</table>
<h2>Business time</h2>{{.Curve}}
<h2>Throughput</h2>{{.Rate}}
<h2>Latency</h2>{{.Latency}}{{.Hist}}
<h2>Services</h2>
<table><tr><th>service</th><th>share</th><th>succeeded</th><th>failed</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>
{{range .R.Services}}<tr><td>{{.Service}}</td><td>{{pct .Share}}</td><td>{{.Succeeded}}</td><td>{{.Failed}}</td><td>{{us .Latency.P50us}}</td><td>{{us .Latency.P90us}}</td><td>{{us .Latency.P99us}}</td><td>{{us .Latency.MaxUs}}</td></tr>
{{end}}</table>
{{if .R.Unregistered}}<p>Not registered at the hub, not sent: {{range $i, $s := .R.Unregistered}}{{if $i}}, {{end}}{{$s}}{{end}}.</p>{{end}}
{{if .R.Errors}}<h2>Errors</h2><table><tr><th>code</th><th>count</th></tr>{{range $k, $v := .R.Errors}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))
