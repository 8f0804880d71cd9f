package input

import (
	"errors"
	"testing"
)

func TestError(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Input: "port", Value: "http", Problem: "is not a port", Accepted: "1 to 65535"}, `input "port": "http" is not a port (accepted: 1 to 65535)`},
		{Error{Input: "env", Problem: "line 2: no =", Flag: true}, `--env: line 2: no =`},
		{Error{Input: "image", Value: "https://robot:tok3n@registry.example/o/app", Problem: "is not an image reference (https://robot:tok3n@registry.example)"}, `input "image": "https://***@registry.example/o/app" is not an image reference (https://***@registry.example)`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}

func TestList(t *testing.T) {
	a, b, c := &Error{Input: "a"}, &Error{Input: "b"}, &Error{Input: "c"}
	got := List(errors.Join(a, errors.Join(b, c)))
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Errorf("List = %v, want the three problems in order", got)
	}
	if got := List(a); len(got) != 1 || got[0] != a {
		t.Errorf("List(one) = %v", got)
	}
	if List(nil) != nil {
		t.Error("List(nil) is not empty")
	}
}
