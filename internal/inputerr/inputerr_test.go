package inputerr

import "testing"

func TestError(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Input: "port", Value: "http", Problem: "is not a port", Accepted: "1 to 65535"}, `input "port": "http" is not a port (accepted: 1 to 65535)`},
		{Error{Input: "env", Problem: "line 2: no =", Flag: true}, `--env: line 2: no =`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}
