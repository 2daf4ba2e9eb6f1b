package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
)

// push says what a 401, 403 or 404 most likely means instead of the raw
// answer. The server answers with Grafana's own bodies: authn's
// errAPIKeyInvalid (pkg/services/authn/clients/api_key.go) and the access
// control middleware's 403 (pkg/middleware/auth.go, accessForbidden),
// through the real grafana-tools/sdk client.
func TestPushExplainsHTTPErrors(t *testing.T) {
	const (
		invalidKey = `{"message":"Invalid API key","messageId":"api-key.invalid","statusCode":401,"traceID":""}`
		denied     = `{"accessErrorId":"ACE4182046359","message":"You'll need additional permissions to perform this action. Permissions needed: %s","title":"Access denied"}`
	)
	cases := []struct {
		name string
		// answer gives the status and body for a request, 0 for the
		// normal answer.
		answer func(r *http.Request) (int, string)
		want   string
	}{
		{"401 listing folders", func(r *http.Request) (int, string) { return 401, invalidKey },
			`listing folders: HTTP 401 Unauthorized ("Invalid API key"): Grafana did not accept the token in GRAFANA_TOKEN: check that it is a service account token of this Grafana (or user:password of one of its users), that it has not expired or been revoked, and that --grafana-url is the Grafana that issued it`},
		{"403 creating the folder", func(r *http.Request) (int, string) {
			if r.Method == http.MethodPost && r.URL.Path == "/api/folders" {
				return 403, fmt.Sprintf(denied, "folders:create")
			}
			return 0, ""
		}, `creating folder "Mesh": HTTP 403 Forbidden ("You'll need additional permissions to perform this action. Permissions needed: folders:create"): Grafana accepted the token, but its role may not create folder "Mesh" (folders:create); create it in Grafana, or pass --folder with one the token may write to: give the service account the Editor role, or Edit permission on the folder`},
		{"403 uploading", func(r *http.Request) (int, string) {
			if r.URL.Path == "/api/dashboards/db" {
				return 403, fmt.Sprintf(denied, "any of dashboards:create, dashboards:write")
			}
			return 0, ""
		}, `uploading dashboard debug (` + "%UID%" + `): HTTP 403 Forbidden ("You'll need additional permissions to perform this action. Permissions needed: any of dashboards:create, dashboards:write"): Grafana accepted the token, but its role may not upload dashboards into folder "Mesh" (dashboards:create and dashboards:write there): give the service account the Editor role, or Edit permission on the folder`},
		{"404: not Grafana's base URL", func(r *http.Request) (int, string) { return 404, "404 page not found\n" },
			`listing folders: HTTP 404 Not Found ("404 page not found"): nothing at %URL%/api/folders: is --grafana-url Grafana's base URL, the address of its home page (with the sub-path when Grafana is served under one, such as https://example.com/grafana)?`},
		{"404 uploading", func(r *http.Request) (int, string) {
			if r.URL.Path == "/api/dashboards/db" {
				return 404, `{"message":"Folder not found","status":"not-found"}`
			}
			return 0, ""
		}, `uploading dashboard debug (%UID%): HTTP 404 Not Found ("Folder not found"): Grafana found no folder to put it in: check that folder "Mesh" still exists (it may have been deleted during the push) and that --grafana-url is Grafana's base URL`},
		{"500 stays as it was", func(r *http.Request) (int, string) { return 500, "boom" },
			`listing folders: HTTP error 500: returns boom`},
	}
	t.Setenv(TokenEnv, "glsa_0123456789")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if code, body := tc.answer(r); code != 0 {
					w.WriteHeader(code)
					fmt.Fprint(w, body)
					return
				}
				switch {
				case r.URL.Path == "/api/folders" && r.Method == http.MethodGet:
					fmt.Fprint(w, `[]`)
				case r.URL.Path == "/api/folders":
					fmt.Fprint(w, `{"id": 7, "uid": "m", "title": "Mesh"}`)
				default:
					fmt.Fprint(w, `{"uid": "u", "url": "/d/u/x", "version": 1, "status": "success"}`)
				}
			}))
			defer srv.Close()
			code, _, stderr := run(t, "push", "--grafana-url", srv.URL, "--folder", "Mesh", "-p", "small")
			want := strings.NewReplacer("%URL%", srv.URL, "%UID%", uidOf(t, "small", "debug")).Replace(
				"meshslo: push to " + srv.URL + ": " + tc.want + "\n")
			if code != ExitInvalid || stderr != want {
				t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, stderr, want)
			}
		})
	}
}

func uidOf(t *testing.T, profileName, name string) string {
	t.Helper()
	return dashboards.UID(profileName, name)
}
