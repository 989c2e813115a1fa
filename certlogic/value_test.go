package certlogic

import (
	"testing"
	"time"
)

func TestPlusTimeLeapDaysAndOffsets(t *testing.T) {
	cases := []struct {
		in     string
		amount int64
		unit   string
		want   string
	}{
		{"2020-02-29", 1, "day", "2020-03-01T00:00:00.000Z"},
		{"2020-02-29", 1, "month", "2020-03-29T00:00:00.000Z"},
		{"2020-02-29", 1, "year", "2021-03-01T00:00:00.000Z"},
		{"2021-01-31", 1, "month", "2021-03-03T00:00:00.000Z"},
		{"2021-06-01T00:00:00+00:00", 40, "hour", "2021-06-02T16:00:00.000Z"},
		{"2021-06-01T12:00:00+2", 0, "hour", "2021-06-01T10:00:00.000Z"},
		{"2021-06-01T12:00:00-130", 0, "hour", "2021-06-01T13:30:00.000Z"},
		{"2021-06-01T12:00:00+1:30", 0, "hour", "2021-06-01T10:30:00.000Z"},
		{"2021-06-01T12:00:00.123456Z", 0, "day", "2021-06-01T12:00:00.123Z"},
		{"2021-06-01T12:00:00.5+0100", 0, "day", "2021-06-01T11:00:00.500Z"},
		{"2004", 0, "year", "2004-12-31T00:00:00.000Z"},
		{"2004-02", 0, "year", "2004-02-29T00:00:00.000Z"},
	}
	for _, c := range cases {
		d, err := ParseDateTime(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got, err := plusTime(d, c.amount, c.unit)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if s := got.UTC().Format("2006-01-02T15:04:05.000Z"); s != c.want {
			t.Errorf("plusTime(%s, %d, %s) = %s, want %s", c.in, c.amount, c.unit, s, c.want)
		}
	}
	for _, bad := range []string{"2021-09-99", "2022-13", "2021-06-01T25:00:00Z", "yesterday", "2021-06-01 12:00:00", "2021-06-01T12:00Z"} {
		if _, err := ParseDateTime(bad); err == nil {
			t.Errorf("ParseDateTime(%q) succeeded", bad)
		}
	}
	if _, err := plusTime(DateTime{time.Now()}, 1<<40, "hour"); err == nil {
		t.Error("a huge plusTime amount was accepted")
	}
}

func TestEvaluateRejectsInvalidExpressions(t *testing.T) {
	for _, src := range []string{
		`null`, `1.5`, `{}`, `{"a":[1],"b":[2]}`, `{"nope":[1]}`, `{"if":[true,1]}`, `{"and":[true]}`,
		`{"+":[1,"2"]}`, `{"<":[1,"2"]}`, `{"after":[1,2]}`, `{"in":["a","abc"]}`, `{"!":[{"plusTime":["2021-01-01",0,"day"]}]}`,
		`{"plusTime":["2021-01-01","1","day"]}`, `{"plusTime":["2021-01-01",1,"week"]}`, `{"plusTime":[null,1,"day"]}`,
		`{"reduce":[5,1,0]}`, `{"extractFromUVCI":[5,1]}`, `{"extractFromUVCI":["a","1"]}`, `{"var":true}`,
	} {
		expr, err := ParseJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if v, err := Evaluate(expr, nil); err == nil {
			t.Errorf("%s evaluated to %v; want an error", src, v)
		}
	}
	deep := `true`
	for i := 0; i < MaxDepth+5; i++ {
		deep = `{"!":[` + deep + `]}`
	}
	expr, _ := ParseJSON([]byte(deep))
	if _, err := Evaluate(expr, nil); err == nil {
		t.Error("an expression nested beyond MaxDepth evaluated")
	}
}

func TestEvaluateBoundsWork(t *testing.T) {
	// Three nested reductions over a 1,000-element array carried in the
	// accumulator: 10^9 steps unless the budget stops it.
	inner := `{"reduce":[{"var":"accumulator"},{"var":"accumulator"},{"var":"accumulator"}]}`
	mid := `{"reduce":[{"var":"accumulator"},` + inner + `,{"var":"accumulator"}]}`
	expr, err := ParseJSON([]byte(`{"reduce":[{"var":"x"},` + mid + `,{"var":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]any, 1000)
	for i := range x {
		x[i] = int64(i)
	}
	if _, err := Evaluate(expr, map[string]any{"x": x}); err == nil || !IsEvalError(err) {
		t.Fatalf("an exponential evaluation was not stopped: %v", err)
	}
}
