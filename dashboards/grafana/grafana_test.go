package grafana_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/grafana"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
)

// fakeGrafana implements the part of Grafana's HTTP API that Push calls:
// GET and POST /api/folders and POST /api/dashboards/db. It decodes
// bodies as Grafana does (Go's encoding/json, field names matched without
// regard to case) and keeps what it was sent.
type fakeGrafana struct {
	t     *testing.T
	token string
	mu    sync.Mutex
	// folders by uid, with their ids.
	folders []map[string]any
	// dashboards by uid: the JSON sent, the folder id and the version.
	dashboards map[string]stored
	// failWith, when set, is the reply to every dashboard upload.
	failWith *http.Response
	failBody string
	// redirects answers "METHOD /path" with a redirect to the URL given.
	redirects map[string]redirect
}

type redirect struct {
	status   int
	location string
}

type stored struct {
	board    map[string]any
	folderID int
	version  int
}

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		// Echoes what it got, as some proxies do.
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"message":"Unauthorized","got":%q}`, r.Header.Get("Authorization"))
		return
	}
	if to, ok := g.redirects[r.Method+" "+r.URL.Path]; ok {
		w.Header().Set("Location", to.location)
		w.WriteHeader(to.status)
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/folders":
		json.NewEncoder(w).Encode(g.folders)
	case r.Method == http.MethodPost && r.URL.Path == "/api/folders":
		var f struct{ UID, Title string }
		if err := json.Unmarshal(body, &f); err != nil || f.Title == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		folder := map[string]any{"id": len(g.folders) + 7, "uid": f.UID, "title": f.Title}
		g.folders = append(g.folders, folder)
		json.NewEncoder(w).Encode(folder)
	case r.Method == http.MethodPost && (r.URL.Path == "/api/dashboards/db" || r.URL.Path == "/moved/api/dashboards/db"):
		if g.failWith != nil {
			w.WriteHeader(g.failWith.StatusCode)
			fmt.Fprint(w, g.failBody)
			return
		}
		var req struct {
			Dashboard map[string]any `json:"dashboard"`
			FolderID  int            `json:"folderId"`
			Overwrite bool           `json:"overwrite"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":%q}`, err.Error())
			return
		}
		uid, _ := req.Dashboard["uid"].(string)
		prev, exists := g.dashboards[uid]
		if exists && !req.Overwrite {
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}`)
			return
		}
		g.dashboards[uid] = stored{board: req.Dashboard, folderID: req.FolderID, version: prev.version + 1}
		fmt.Fprintf(w, `{"id":1,"uid":%q,"url":"/d/%s/x","status":"success","version":%d}`, uid, uid, prev.version+1)
	default:
		g.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

func boards(t *testing.T) []dashboards.Dashboard {
	t.Helper()
	l, errs := loader.Load("small")
	if l == nil {
		t.Fatal(errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := dashboards.Embedded().Build(c, rules.Build(c))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPushCreatesFolderAndOverwrites(t *testing.T) {
	fake := &fakeGrafana{t: t, token: "tok", dashboards: map[string]stored{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	bs := boards(t)

	for round := 1; round <= 2; round++ {
		res, err := grafana.Push(context.Background(), srv.URL, "tok", "Istio", bs, srv.Client())
		if err != nil {
			t.Fatalf("push %d: %v", round, err)
		}
		if len(res) != len(bs) {
			t.Fatalf("push %d: %d results for %d dashboards", round, len(res), len(bs))
		}
		for _, r := range res {
			if r.Version != round || !strings.HasPrefix(r.URL, "/d/"+r.UID) {
				t.Errorf("push %d: %+v", round, r)
			}
		}
	}
	if len(fake.folders) != 1 || fake.folders[0]["title"] != "Istio" || fake.folders[0]["uid"] != grafana.FolderUID("Istio") {
		t.Fatalf("folders: %v (want one, created once)", fake.folders)
	}
	for _, d := range bs {
		got, ok := fake.dashboards[d.UID]
		if !ok {
			t.Fatalf("dashboard %s was not uploaded", d.UID)
		}
		if got.folderID != 7 {
			t.Errorf("%s went to folder %d, want the created folder 7", d.Name, got.folderID)
		}
		// The JSON arrives whole; only id is reset, so Grafana matches by uid.
		var want map[string]any
		if err := json.Unmarshal(d.JSON, &want); err != nil {
			t.Fatal(err)
		}
		want["id"] = float64(0)
		if !reflect.DeepEqual(got.board, want) {
			t.Errorf("%s: the uploaded dashboard differs from the generated one", d.Name)
		}
	}
}

func TestPushErrors(t *testing.T) {
	bs := boards(t)
	huge := `{"message":"` + strings.Repeat("A", 50<<20) + `"}`
	cases := []struct {
		name, token string
		status      int
		body, want  string
	}{
		{"bad token, echoed", "wrong-token", 0, "", `listing folders: HTTP error 401: returns {"message":"Unauthorized","got":"Bearer ***"}`},
		{"basic auth, echoed", "meshuser:hunter2", 0, "", `listing folders: HTTP error 401: returns {"message":"Unauthorized","got":"Basic ***"}`},
		{"refused with a message", "tok", http.StatusBadRequest, `{"message":"Dashboard title cannot be empty"}`, "uploading dashboard {board}: HTTP error 400: returns Dashboard title cannot be empty"},
		{"refused without a message", "tok", http.StatusInternalServerError, `{}`, "uploading dashboard {board}: grafana refused the dashboard without saying why"},
		{"not JSON", "tok", http.StatusBadGateway, `<html>bad gateway</html>`, "uploading dashboard {board}: invalid character '<' looking for beginning of value"},
		{"control characters", "tok", http.StatusBadRequest, `{"message":"bad\u001b[2J\r\nforged: ok\u202e"}`, `uploading dashboard {board}: HTTP error 400: returns bad\x1b[2J\r\nforged: ok\u202e`},
		{"long message", "tok", http.StatusBadRequest, `{"message":"` + strings.Repeat("B", 10000) + `"}`,
			"uploading dashboard {board}: HTTP error 400: returns " + strings.Repeat("B", 400-24) + "… (truncated from 10024 bytes)"},
		{"50 MB error body", "tok", http.StatusInternalServerError, huge,
			"uploading dashboard {board}: POST /api/dashboards/db: the HTTP 500 response is longer than 1 MiB; meshslo stopped reading it there; it began with " + huge[:160] + "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeGrafana{t: t, token: "tok", dashboards: map[string]stored{}, failBody: tc.body}
			if tc.status != 0 {
				fake.failWith = &http.Response{StatusCode: tc.status}
			}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			_, err := grafana.Push(context.Background(), srv.URL, tc.token, "Istio", bs, srv.Client())
			want := strings.ReplaceAll(tc.want, "{board}", fmt.Sprintf("%s (%s)", bs[0].Name, bs[0].UID))
			if err == nil || err.Error() != want {
				t.Fatalf("want the error\n%.600s\ngot\n%.600v", want, err)
			}
		})
	}
}

// Push follows a redirect only within the origin (scheme, host and port)
// it was given, and never one that would turn an upload into a GET.
func TestPushRedirects(t *testing.T) {
	bs := boards(t)
	cases := []struct {
		name string
		// redirects are "METHOD /path" to a status and a location, in
		// which {self} and {other} stand for the two servers.
		redirects map[string]redirect
		// other is how the location names the second server.
		other    string
		want     string
		uploaded int
	}{
		{"GET to another port", map[string]redirect{"GET /api/folders": {http.StatusFound, "{other}/api/folders"}}, "127.0.0.1",
			"listing folders: GET /api/folders: Grafana redirected it (302) to {other}/api/folders, another origin than {self}; meshslo does not follow such redirects (give the final address as --grafana-url)", 0},
		{"307 POST to another host", map[string]redirect{"POST /api/dashboards/db": {http.StatusTemporaryRedirect, "{other}/api/dashboards/db"}}, "localhost",
			"uploading dashboard {board}: POST /api/dashboards/db: Grafana redirected it (307) to {other}/api/dashboards/db, another origin than {self}; meshslo does not follow such redirects (give the final address as --grafana-url)", 0},
		{"308 POST to https", map[string]redirect{"POST /api/folders": {http.StatusPermanentRedirect, "https://{selfhost}/api/folders"}}, "127.0.0.1",
			"creating folder \"Istio\": POST /api/folders: Grafana redirected it (308) to https://{selfhost}/api/folders, another origin than {self}; meshslo does not follow such redirects (give the final address as --grafana-url)", 0},
		{"302 POST on the same origin", map[string]redirect{"POST /api/dashboards/db": {http.StatusFound, "/moved/api/dashboards/db"}}, "127.0.0.1",
			"uploading dashboard {board}: POST /api/dashboards/db: Grafana redirected it (302) to {self}/moved/api/dashboards/db, which would resend it as GET without its body; meshslo does not follow such redirects (give the final address as --grafana-url)", 0},
		{"307 POST on the same origin", map[string]redirect{"POST /api/dashboards/db": {http.StatusTemporaryRedirect, "/moved/api/dashboards/db"}}, "127.0.0.1", "", len(bs)},
		{"a loop", map[string]redirect{"GET /api/folders": {http.StatusFound, "/api/folders"}}, "127.0.0.1",
			"listing folders: GET /api/folders: stopped after 5 redirects", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string // requests the other server got, with their Authorization
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				body, _ := io.ReadAll(r.Body)
				seen = append(seen, fmt.Sprintf("%s %s Authorization=%q body=%.40q", r.Method, r.URL.Path, r.Header.Get("Authorization"), body))
			}))
			defer other.Close()
			fake := &fakeGrafana{t: t, token: "tok", dashboards: map[string]stored{}, redirects: map[string]redirect{}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			otherURL := strings.Replace(other.URL, "127.0.0.1", tc.other, 1)
			expand := strings.NewReplacer("{self}", srv.URL, "{selfhost}", strings.TrimPrefix(srv.URL, "http://"), "{other}", otherURL,
				"{board}", fmt.Sprintf("%s (%s)", bs[0].Name, bs[0].UID)).Replace
			for k, v := range tc.redirects {
				fake.redirects[k] = redirect{v.status, expand(v.location)}
			}
			_, err := grafana.Push(context.Background(), srv.URL, "tok", "Istio", bs, srv.Client())
			if tc.want == "" && err != nil {
				t.Fatalf("want no error, got %v", err)
			}
			if tc.want != "" && (err == nil || err.Error() != expand(tc.want)) {
				t.Errorf("want the error\n%s\ngot\n%v", expand(tc.want), err)
			}
			if len(seen) > 0 {
				t.Errorf("the other server was sent %q", seen)
			}
			if len(fake.dashboards) != tc.uploaded {
				t.Errorf("%d dashboard(s) uploaded, want %d", len(fake.dashboards), tc.uploaded)
			}
		})
	}
}

// An endless answer stops at the cap: Push reads 1 MiB, not what the
// server would send.
func TestPushEndlessBody(t *testing.T) {
	const bound = 64 << 20 // where the server stops, so the unfixed code ends
	chunk := []byte(`{"id":1,"uid":"x","title":"endless"},`)
	var written int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := w.Write([]byte("["))
		written += int64(n)
		for written < bound {
			n, err := w.Write(chunk)
			written += int64(n)
			if err != nil {
				return
			}
		}
	}))
	_, err := grafana.Push(context.Background(), srv.URL, "tok", "Istio", boards(t), srv.Client())
	srv.Close() // waits for the handler
	head := "[" + strings.Repeat(string(chunk), 5)
	want := "listing folders: GET /api/folders: the HTTP 200 response is longer than 1 MiB; meshslo stopped reading it there; it began with " + head[:160] + "…"
	if err == nil || err.Error() != want {
		t.Errorf("want the error\n%s\ngot\n%.600v", want, err)
	}
	t.Logf("the server wrote %d bytes before Push hung up", written)
	// What the server got out beyond the cap sits in socket buffers.
	if written > 16<<20 {
		t.Errorf("the server wrote %d bytes before Push hung up", written)
	}
}

// The URL Grafana reports for a dashboard is printed by push: it comes back
// with control characters escaped.
func TestPushResultURLEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/api/folders" {
			fmt.Fprint(w, `[{"id":3,"uid":"x","title":"Istio"}]`)
			return
		}
		fmt.Fprint(w, `{"uid":"u","url":"/d/u/x\u001b]8;;https://evil\u0007\r\n","version":1,"status":"success"}`)
	}))
	defer srv.Close()
	res, err := grafana.Push(context.Background(), srv.URL, "tok", "Istio", boards(t)[:1], srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if want := `/d/u/x\x1b]8;;https://evil\a\r\n`; res[0].URL != want {
		t.Errorf("URL %q, want %q", res[0].URL, want)
	}
}
