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
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Unauthorized"}`)
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
	case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
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
	cases := []struct {
		name, token string
		status      int
		body, want  string
	}{
		{"bad token", "wrong", 0, "", "listing folders: HTTP error 401"},
		{"refused with a message", "tok", http.StatusBadRequest, `{"message":"Dashboard title cannot be empty"}`, "Dashboard title cannot be empty"},
		{"refused without a message", "tok", http.StatusInternalServerError, `{}`, "without saying why"},
		{"not JSON", "tok", http.StatusBadGateway, `<html>bad gateway</html>`, "uploading dashboard"},
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
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
