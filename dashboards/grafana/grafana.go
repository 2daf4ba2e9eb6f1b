// Package grafana uploads dashboards to a Grafana server with
// grafana-tools/sdk's HTTP client, sending meshslo's JSON as it is: the
// sdk's dashboard types would drop fields of the current model.
package grafana

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/grafana-tools/sdk"

	"github.com/meshslo/meshslo/dashboards"
)

// Result is one uploaded dashboard, as Grafana reports it.
type Result struct {
	Name, Title, UID, URL string
	Version               int
}

// Push creates the folder titled folder unless it exists, then uploads
// every dashboard into it, overwriting what has the same uid. token is a
// service account token, or user:password for basic auth. client (nil for
// net/http's default) is copied and hardened: redirects are followed only
// within the origin of url and never when they would turn an upload into
// a GET, response bodies are capped at MaxBody, and errors carry neither
// credentials nor control characters nor more than a few hundred bytes of
// what the server said. ctx bounds the whole push.
func Push(ctx context.Context, url, token, folder string, boards []dashboards.Dashboard, client *http.Client) ([]Result, error) {
	base, err := CheckURL(url)
	if err != nil {
		return nil, fmt.Errorf("grafana url: %v", err)
	}
	c, err := sdk.NewClient(base.String(), token, harden(client, base))
	if err != nil {
		return nil, fmt.Errorf("grafana url %s: %v", Redact(url), err)
	}
	secrets := secretsOf(token)
	f, err := ensureFolder(ctx, c, folder, secrets)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, d := range boards {
		msg, err := setDashboard(ctx, c, sdk.RawBoardRequest{
			Dashboard:  d.JSON,
			Parameters: sdk.SetDashboardParams{FolderID: f.ID, Overwrite: true},
		})
		if err != nil {
			return out, fmt.Errorf("uploading dashboard %s (%s): %w", d.Name, d.UID, describe(err, secrets))
		}
		r := Result{Name: d.Name, Title: d.Title, UID: d.UID}
		if msg.URL != nil {
			r.URL = sanitize(*msg.URL, maxText)
		}
		if msg.Version != nil {
			r.Version = *msg.Version
		}
		out = append(out, r)
	}
	return out, nil
}

// FolderUID is the uid meshslo gives a folder it creates: stable, so
// two pushes that race create one folder, not two.
func FolderUID(title string) string {
	sum := sha256.Sum256([]byte("meshslo-folder/" + title))
	return "meshslo-" + hex.EncodeToString(sum[:])[:12]
}

func ensureFolder(ctx context.Context, c *sdk.Client, title string, secrets []string) (sdk.Folder, error) {
	folders, err := c.GetAllFolders(ctx)
	if err != nil {
		return sdk.Folder{}, fmt.Errorf("listing folders: %w", describe(err, secrets))
	}
	for _, f := range folders {
		if f.Title == title {
			return f, nil
		}
	}
	f, err := c.CreateFolder(ctx, sdk.Folder{Title: title, UID: FolderUID(title)})
	if err != nil {
		return sdk.Folder{}, fmt.Errorf("creating folder %q: %w", title, describe(err, secrets))
	}
	return f, nil
}

// setDashboard calls the sdk, which dereferences a missing error message
// in Grafana's reply; that becomes an error here, not a crash.
func setDashboard(ctx context.Context, c *sdk.Client, req sdk.RawBoardRequest) (msg sdk.StatusMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("grafana refused the dashboard without saying why")
		}
	}()
	return c.SetRawDashboardWithParam(ctx, req)
}
