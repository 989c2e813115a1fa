// Package jsonvaluetest makes test inputs from JSON documents decoded by
// jsonvalue, for tests that hold a compiled schema check to a reference
// validator.
package jsonvaluetest

import (
	"fmt"
	"sort"
)

// Mutate calls f once for every document made from doc by replacing one
// value with one of mutations, and once for every document made by
// deleting one object member. Paths are JSON-pointer-like ("/v/0/dn"); a
// deletion's path ends in " deleted". want selects the paths (both kinds)
// to mutate; Mutate descends everywhere and visits object members in
// sorted order, so runs are repeatable. doc is changed in place while f
// runs and restored before Mutate returns; f must not keep it.
func Mutate(doc any, mutations []any, want func(path string) bool, f func(path string)) {
	var walk func(path string, cur any, set func(any))
	walk = func(path string, cur any, set func(any)) {
		if path != "" && want(path) {
			for _, m := range mutations {
				set(m)
				f(path)
			}
			set(cur)
		}
		switch x := cur.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				e := x[k]
				if want(path + "/" + k + " deleted") {
					delete(x, k)
					f(path + "/" + k + " deleted")
					x[k] = e
				}
				walk(path+"/"+k, e, func(v any) { x[k] = v })
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", path, i), e, func(v any) { x[i] = v })
			}
		}
	}
	walk("", doc, func(any) {})
}
