package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// importKind orders the groups of an import block: the standard library,
// then other modules, then this module's packages.
func importKind(path string) int {
	switch {
	case strings.HasPrefix(path, "github.com/knative-preview/action/"):
		return 2
	case !strings.Contains(strings.Split(path, "/")[0], "."):
		return 0
	}
	return 1
}

// Every Go file groups its imports as CONTRIBUTING.md says: the standard
// library, other modules, this module, each group apart (gofmt sorts
// within a group but never moves an import between groups).
func TestImportGroups(t *testing.T) {
	names := []string{"the standard library", "another module", "this module"}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() != ".." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		prevLine, prevKind, groupKind := 0, -1, -1
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			k, line := importKind(p), fset.Position(imp.Pos()).Line
			if imp.Doc != nil {
				line = fset.Position(imp.Doc.Pos()).Line
			}
			newGroup := prevKind < 0 || line > prevLine+1
			switch {
			case !newGroup && k != groupKind:
				t.Errorf("%s: %s (%s) is in a group of %s: give each its own group", path, p, names[k], names[groupKind])
			case newGroup && k < prevKind:
				t.Errorf("%s: %s (%s) comes after imports of %s: the standard library first, this module last", path, p, names[k], names[prevKind])
			}
			if newGroup {
				groupKind = k
			}
			prevLine, prevKind = fset.Position(imp.End()).Line, k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// maxFuncLines is the longest a function of the program may be, counted
// from its func line to its closing brace: longer, it reads as a story
// rather than as a list of named steps.
const maxFuncLines = 80

// No function or function literal outside the tests is longer than
// maxFuncLines.
func TestFunctionsReadAsLists(t *testing.T) {
	for _, root := range []string{"../../cmd", "../../internal"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				var name string
				switch fn := n.(type) {
				case *ast.FuncDecl:
					if fn.Body == nil {
						return true
					}
					name = fn.Name.Name
				case *ast.FuncLit:
					name = "a function literal"
				default:
					return true
				}
				start, end := fset.Position(n.Pos()), fset.Position(n.End())
				if lines := end.Line - start.Line + 1; lines > maxFuncLines {
					t.Errorf("%s:%d: %s is %d lines, over %d: split it into named steps", path, start.Line, name, lines, maxFuncLines)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
