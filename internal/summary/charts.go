package summary

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The charts' colours. Each has a contrast of at least 3:1 both with the
// white of Mermaid's light themes and with the #333 of its dark theme (and
// GitHub's dark #0d1117), so a bar or a line reads in either; blue, purple
// and orange are told apart by hue, and the words under each chart name
// them, so that a chart is read the same whichever theme draws it.
const (
	grey   = "#888888"
	blue   = "#3b82f6"
	purple = "#a463f2"
	orange = "#d97706"
)

// colourName is how the text under a chart calls a colour.
var colourName = map[string]string{grey: "grey", blue: "blue", purple: "purple", orange: "orange"}

// capital is s with its first letter in upper case (ASCII).
func capital(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// series is one bar or line series of an xychart.
type series struct {
	kind   string // "bar" or "line"
	colour string
	values []float64
}

// xyChart is a Mermaid xychart: its labels are quoted already (label), one
// per value of each series. Its y-axis starts at 0 and ends at a round
// number above every value, so that a bar's or a point's height is its
// value and a small change looks small.
type xyChart struct {
	title, xTitle string
	labels        []string
	series        []series
}

func (c xyChart) write(b *strings.Builder) {
	colours := make([]string, len(c.series))
	top := 0.0
	for i, s := range c.series {
		colours[i] = s.colour
		for _, v := range s.values {
			top = max(top, finite(v))
		}
	}
	// Mermaid colours the series in order from plotColorPalette.
	fmt.Fprintf(b, "\n```mermaid\n%%%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"%s\"}}}}%%%%\n", strings.Join(colours, ", "))
	fmt.Fprintf(b, "xychart-beta\n    title %q\n    x-axis %q [%s]\n    y-axis \"ms\" 0 --> %s\n", c.title, c.xTitle, strings.Join(c.labels, ", "), axisTop(top))
	for _, s := range c.series {
		fmt.Fprintf(b, "    %s [%s]\n", s.kind, numbers(s.values))
	}
	b.WriteString("```\n")
}

// axisTop is the top of a y-axis that starts at 0 and shows v: the
// smallest round number (1, 1.2, 1.4, ..., 2, 2.5, 3, 3.5, 4, 5, ..., 9 or
// 10 times a power of ten) that leaves a little room above v, so that the
// values fill most of the height.
func axisTop(v float64) string {
	v = finite(v)
	if v <= 0 {
		return "1"
	}
	room := v * 1.05
	if math.IsInf(room, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	exp := math.Floor(math.Log10(room))
	unit := math.Pow(10, exp)
	// Tenths of a unit below 1, where m*unit is not exact: 0.1*3.5 is
	// 0.35000000000000003.
	scale := math.Pow(10, max(1-exp, 0))
	for _, m := range []float64{1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10} {
		if top := math.Round(m*unit*scale) / scale; top >= room {
			return strconv.FormatFloat(top, 'f', -1, 64)
		}
	}
	return strconv.FormatFloat(room, 'f', -1, 64)
}

// flat is v as a series of n equal values: a level line across the chart.
func flat(v float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = v
	}
	return vs
}

// ganttDay is the day, at midnight, on which the stages' gantt chart
// starts, written without a time zone. Mermaid reads a gantt's dates in
// the viewer's time zone (dayjs) and writes its axis in it too (d3's
// timeFormat), so a date without a zone comes back on the axis as it was
// written, in any time zone, as long as the zone's clocks do not change
// during the chart: no zone of the tz database changes them on this day
// (TestGanttDayHasNoClockChange; drawn in several zones with
// hack/render-charts.sh). Times since 1970 (dateFormat x) were read back
// as the viewer's wall clock at those instants: 30:00 at the start in
// India, for 00:00.
var ganttDay = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ganttSpan is the longest run of stages that the chart shows: the clocks
// are steady through ganttDay, and the axis shows hours and minutes at
// most.
const ganttSpan = 24 * time.Hour

// ganttTime is the date at after ganttDay, as the gantt's dateFormat
// reads it. The time zone is only a calendar here: the date has none.
func ganttTime(after time.Duration) string {
	return ganttDay.Add(after).Format("2006-01-02 15:04:05.000")
}

// ganttTask is a stage that ran, in milliseconds since the first began.
type ganttTask struct {
	name       string
	id         int
	failed     bool
	start, end float64
}

// writeGantt writes the stages that ran as a gantt chart whose axis reads
// the time since the first began; nothing when they took a day or more.
func writeGantt(b *strings.Builder, tasks []ganttTask) {
	if len(tasks) == 0 {
		return
	}
	end := tasks[len(tasks)-1].end
	if end >= float64(ganttSpan.Milliseconds()) {
		b.WriteString("\nThe stages took a day or more in all, longer than the chart shows; the table has their times.\n")
		return
	}
	axis, unit := "%M:%S", "minutes:seconds"
	if end >= float64(time.Hour.Milliseconds()) {
		axis, unit = "%H:%M", "hours:minutes"
	}
	fmt.Fprintf(b, "\n```mermaid\ngantt\n    title Stages, %s from the start\n    dateFormat YYYY-MM-DD HH:mm:ss.SSS\n    axisFormat %s\n    todayMarker off\n", unit, axis)
	for _, t := range tasks {
		tag := ""
		if t.failed {
			tag = "crit, "
		}
		fmt.Fprintf(b, "    %s :%ss%d, %s, %s\n", t.name, tag, t.id,
			ganttTime(time.Duration(t.start)*time.Millisecond), ganttTime(time.Duration(t.end)*time.Millisecond))
	}
	b.WriteString("```\n")
}

// ranges is ns, ascending, as a list of single numbers and spans: "3",
// "7-9".
func ranges(ns []int) []string {
	var out []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if i == j {
			out = append(out, strconv.Itoa(ns[i]))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return out
}

// and is items joined as in a sentence: "a", "a and b", "a, b and c".
func and(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
