package curltest

import (
	"io"
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TOKEN": "abc.def"}
	got := Split(t, `curl -i -H "Authorization: Bearer $TOKEN" -d '{"a":"$X"}' http://h/p`, env)
	want := []string{"curl", "-i", "-H", "Authorization: Bearer abc.def", "-d", `{"a":"$X"}`, "http://h/p"}
	if !slices.Equal(got, want) {
		t.Errorf("Split = %q\nwant    %q", got, want)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	c := Parse(t, `curl -i -X POST -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:1/v1/items  # 201`, nil)
	body, _ := io.ReadAll(c.Request.Body)
	if c.Want != 201 || c.Request.Method != "POST" || c.Request.URL.Path != "/v1/items" ||
		c.Request.Header.Get("Content-Type") != "application/json" || string(body) != `{"n":1}` {
		t.Errorf("Parse = %+v, body %q", c, body)
	}
	if c := Parse(t, `curl -i -d 'x' http://h/  # 400`, nil); c.Request.Method != "POST" {
		t.Errorf("-d without -X: method %q, want POST as curl sends", c.Request.Method)
	}
}
