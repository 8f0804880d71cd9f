package input

import (
	"fmt"
	"strings"
)

// wordsAccepted says what Words accepts.
const wordsAccepted = `arguments separated by spaces or new lines; "double" or 'single' quotes keep spaces; \ escapes the next character`

// Words reads a list of words split as a shell splits them, without
// expansions: spaces and new lines separate words, quotes keep spaces, a
// backslash outside single quotes escapes the next character. Nil when
// blank.
func (r *Reader) Words(name string) []string {
	v := r.Raw(name)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	words, err := splitWords(v)
	if err != nil {
		r.Bad(name, "", err.Error(), wordsAccepted)
	}
	return words
}

func splitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("ends with a lone \\")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("has an unterminated %c quote", quote)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
