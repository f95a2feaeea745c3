// Public declarations of Go files, read with the standard library's go/parser and go/ast.
//
// Reads file paths (one a line) on stdin and prints one JSON object a line:
// {"file": path, "decls": [...]} or {"file": path, "error": message}; each
// declaration is {"name", "kind", "line", "full", "head", "value"} (see
// truth_python.py).
//
// Public: exported (capitalised) functions; methods whose name and receiver
// type are exported; exported types (struct, interface or other), each in a
// grouped type ( ... ) block too; their exported named fields (embedded
// fields declare no new name) and interface methods; exported constants and
// variables, in grouped blocks too, every name of a multi-name spec.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
)

type decl struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Line  int    `json:"line"`
	Full  string `json:"full"`
	Head  string `json:"head"`
	Value bool   `json:"value"`
}

type reader struct {
	fset  *token.FileSet
	src   []byte
	decls []decl
}

func (r *reader) off(p token.Pos) int { return r.fset.Position(p).Offset }

func (r *reader) add(name, kind string, start, headEnd, end token.Pos, value bool) {
	full := string(r.src[r.off(start):r.off(end)])
	head := full
	if headEnd.IsValid() {
		head = string(r.src[r.off(start):r.off(headEnd)])
	}
	r.decls = append(r.decls, decl{name, kind, r.fset.Position(start).Line, full, head, value})
}

func receiver(field *ast.FieldList) string {
	if field == nil || len(field.List) == 0 {
		return ""
	}
	t := field.List[0].Type
	for {
		switch v := t.(type) {
		case *ast.StarExpr:
			t = v.X
		case *ast.IndexExpr:
			t = v.X
		case *ast.IndexListExpr:
			t = v.X
		case *ast.ParenExpr:
			t = v.X
		case *ast.Ident:
			return v.Name
		default:
			return ""
		}
	}
}

func (r *reader) read(file *ast.File) {
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			var bodyStart token.Pos
			if d.Body != nil {
				bodyStart = d.Body.Lbrace
			}
			if d.Recv == nil {
				r.add(d.Name.Name, "function", d.Pos(), bodyStart, d.End(), false)
			} else if recv := receiver(d.Recv); ast.IsExported(recv) {
				r.add(recv+"."+d.Name.Name, "method", d.Pos(), bodyStart, d.End(), false)
			}
		case *ast.GenDecl:
			grouped := d.Lparen.IsValid()
			for _, spec := range d.Specs {
				var start, end token.Pos = d.Pos(), d.End()
				if grouped {
					start, end = spec.Pos(), spec.End()
				}
				switch s := spec.(type) {
				case *ast.TypeSpec:
					r.typeSpec(s, start, end)
				case *ast.ValueSpec:
					kind := "variable"
					if d.Tok == token.CONST {
						kind = "constant"
					}
					var valueStart token.Pos
					if len(s.Values) > 0 {
						valueStart = s.Values[0].Pos()
					}
					for _, name := range s.Names {
						if name.IsExported() {
							r.add(name.Name, kind, start, valueStart, end, true)
						}
					}
				}
			}
		}
	}
}

func (r *reader) typeSpec(s *ast.TypeSpec, start, end token.Pos) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name
	if s.Assign.IsValid() {
		r.add(name, "type", start, token.NoPos, end, false)
		return
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		r.add(name, "struct", start, t.Fields.Opening, end, false)
		for _, field := range t.Fields.List {
			for _, fieldName := range field.Names {
				if fieldName.IsExported() {
					r.add(name+"."+fieldName.Name, "field", field.Pos(), token.NoPos, field.End(), false)
				}
			}
		}
	case *ast.InterfaceType:
		r.add(name, "interface", start, t.Methods.Opening, end, false)
		for _, method := range t.Methods.List {
			if _, ok := method.Type.(*ast.FuncType); !ok {
				continue
			}
			for _, methodName := range method.Names {
				if methodName.IsExported() {
					r.add(name+"."+methodName.Name, "method", method.Pos(), token.NoPos, method.End(), false)
				}
			}
		}
	default:
		r.add(name, "type", start, token.NoPos, end, false)
	}
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		path := scanner.Text()
		src, err := os.ReadFile(path)
		if err != nil {
			out.Encode(map[string]string{"file": path, "error": err.Error()})
			continue
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			out.Encode(map[string]string{"file": path, "error": fmt.Sprint(err)})
			continue
		}
		r := &reader{fset: fset, src: src, decls: []decl{}}
		r.read(file)
		out.Encode(map[string]any{"file": path, "decls": r.decls})
	}
}
