package input

import (
	"fmt"
	"sort"
	"strings"
)

// Unknown returns a warning for each INPUT_* variable of environ (the
// step's environment, KEY=VALUE) that names none of defs, with the closest
// input's name: a typo such as INPUT_SERVING_VERSION is otherwise ignored
// without a word. The runner names inputs INPUT_<NAME>, upper-cased, with
// hyphens kept.
func Unknown(defs []Def, environ []string) []string {
	known := map[string]bool{}
	for _, d := range defs {
		known[strings.ToUpper(d.Name)] = true
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "INPUT_")
		if !ok || name == "" || known[name] {
			continue
		}
		w := fmt.Sprintf("%s is not an input of this action: it is ignored", k)
		if near := closest(strings.ToLower(name), defs); near != "" {
			w += fmt.Sprintf(" (did you mean %s?)", near)
		}
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// closest is the name of defs nearest to name by edit distance, when it is
// near enough to be a typo of it, or the one input whose name ends in it as
// a word (args: container-args).
func closest(name string, defs []Def) string {
	best, bestD := "", len(name)/2+2
	var ending []string
	for _, d := range defs {
		if strings.HasSuffix(d.Name, "-"+strings.ReplaceAll(name, "_", "-")) {
			ending = append(ending, d.Name)
		}
	}
	if len(ending) == 1 {
		return ending[0]
	}
	for _, d := range defs {
		if dist := distance(name, d.Name); dist < bestD {
			best, bestD = d.Name, dist
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, with '_' and '-'
// counted as the same character.
func distance(a, b string) int {
	norm := func(s string) []rune { return []rune(strings.ReplaceAll(s, "_", "-")) }
	x, y := norm(a), norm(b)
	prev := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur := make([]int, len(y)+1)
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(y)]
}
