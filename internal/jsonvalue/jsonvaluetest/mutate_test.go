package jsonvaluetest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMutate(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"b":[1],"a":{"x":true}}`), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	Mutate(doc, []any{"m"}, func(p string) bool { return !strings.HasPrefix(p, "/a/") }, func(p string) {
		b, _ := json.Marshal(doc)
		got = append(got, p+" "+string(b))
	})
	want := []string{
		`/a deleted {"b":[1]}`,
		`/a {"a":"m","b":[1]}`,
		`/b deleted {"a":{"x":true}}`,
		`/b {"a":{"x":true},"b":"m"}`,
		`/b/0 {"a":{"x":true},"b":["m"]}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b, _ := json.Marshal(doc); string(b) != `{"a":{"x":true},"b":[1]}` {
		t.Errorf("doc not restored: %s", b)
	}
}
