package history

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/knative-preview/action/internal/report"
)

// decode on any data under the history's key: a failure wraps errCorrupt
// (Record then starts afresh); a history read is kept, at any size, as
// valid JSON within the budget that reads back as the points kept.
func FuzzDecode(f *testing.F) {
	_, two := bound([]report.Point{fat(0, 3), fat(1, 150)}, DefaultSize)
	f.Add(string(two), uint16(DefaultSize))
	f.Add(string(two), uint16(1))
	for _, s := range []string{
		``, ` `, `[]`, `null`, `{}`, `[1]`, `"x"`, `[{"time": 5}]`, `[{"cold-start-ms": [1e400]}]`, `[{`,
		`[{"cold-start-ms": [-1, 0, 1e308, 4.9e-324], "warm-ms": [1.5, -0]}]`,
		`[{"time": "\u2028<b>|` + "`" + `", "revision": "hello-00001"}, {}]`,
	} {
		f.Add(s, uint16(DefaultSize))
	}
	f.Fuzz(func(t *testing.T, data string, size uint16) {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName("hello"), Namespace: "default", Labels: labels("hello")},
			Data:       map[string]string{key: data},
		}
		ps, err := decode(cm)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v does not wrap errCorrupt", err)
			}
			return
		}
		n := int(size)%maxSize + 1
		kept, enc := bound(ps, n)
		if len(enc) > budget {
			t.Fatalf("%d points kept in %d bytes, over the budget of %d", len(kept), len(enc), budget)
		}
		if len(kept) > n || (len(ps) > 0 && len(kept) == 0) {
			t.Fatalf("%d of %d points kept at size %d", len(kept), len(ps), n)
		}
		var again []report.Point
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("the history kept is not JSON (%v): %q", err, enc)
		}
		if len(again) != len(kept) || (len(kept) > 0 && !reflect.DeepEqual(again, kept)) {
			t.Fatalf("the history kept reads back as\n%+v\nnot\n%+v", again, kept)
		}
	})
}
