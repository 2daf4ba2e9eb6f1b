package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/grafana"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/profiles"
)

// TokenEnv holds the Grafana token: a flag would leave it in shell history
// and process listings.
const TokenEnv = "GRAFANA_TOKEN"

func init() { extraCommands = append(extraCommands, newPushCmd) }

type pushOptions struct {
	url, folder, templates string
	profiles               []string
	timeout                time.Duration
}

func newPushCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Upload the Grafana dashboards of one or more profiles to a Grafana server",
		Long: `Push builds the dashboards of each profile (as generate does) and uploads them to
Grafana's HTTP API: it creates the folder unless it exists and overwrites dashboards
with the same uid. The token (a service account token, or user:password) is read
from the ` + TokenEnv + ` environment variable, never from the URL.

Redirects are followed only within the origin (scheme, host and port) of
--grafana-url, and an upload never by a redirect that would resend it as a
GET; answers longer than 1 MiB are not read. --timeout bounds the whole
push, all requests together.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "grafana-url", "", "Grafana base URL, such as https://grafana.example.com (required)")
	f.StringVar(&o.folder, "folder", render.DashboardFolder, "Grafana folder to upload into; created if missing")
	f.StringArrayVarP(&o.profiles, "profile", "p", nil, "built-in profile name or profile file; may repeat (default "+profiles.Default+")")
	f.StringVar(&o.templates, "templates", "", "directory of jsonnet templates that replace or add to the built-in ones")
	f.DurationVar(&o.timeout, "timeout", time.Minute, "give up on Grafana after this long, for the whole push (must be positive)")
	return cmd
}

func (o *pushOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.url == "" {
		return fail(ExitUsage, "push: --grafana-url is required")
	}
	if _, err := grafana.CheckURL(o.url); errors.Is(err, grafana.ErrCredentials) {
		return fail(ExitUsage, "push: --grafana-url %s holds credentials (user:password@), which would show in shell history and process listings; set %s to user:password instead", grafana.Redact(o.url), TokenEnv)
	} else if err != nil {
		return fail(ExitUsage, "push: --grafana-url: %v", err)
	}
	if o.timeout <= 0 {
		return fail(ExitUsage, "push: --timeout must be positive, such as 30s or 2m (got %s)", o.timeout)
	}
	if o.folder == "" {
		return fail(ExitUsage, "push: --folder must not be empty")
	}
	token := os.Getenv(TokenEnv)
	if token == "" {
		return fail(ExitUsage, "push: set %s to a Grafana service account token (or user:password)", TokenEnv)
	}
	templates, err := templateSource(o.templates)
	if err != nil {
		return err
	}
	refs := o.profiles
	if len(refs) == 0 {
		refs = []string{profiles.Default}
	}
	loaded, err := loadAll(refs, false, stderr)
	if err != nil {
		return err
	}
	var boards []dashboards.Dashboard
	for _, l := range loaded {
		b, err := generate.New(l.Profile, l.Origin, generate.Options{Templates: templates, NoTests: true})
		if err != nil {
			return fail(ExitInvalid, "%s: %v; nothing was uploaded", l.File, err)
		}
		boards = append(boards, b.Boards...)
	}
	if err := dashboards.CheckUIDs(boards); err != nil {
		return fail(ExitInvalid, "%v; nothing was uploaded", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	results, err := grafana.Push(ctx, o.url, token, o.folder, boards, nil)
	for _, r := range results {
		fmt.Fprintf(stdout, "uploaded %q (uid %s, version %d) %s\n", r.Title, r.UID, r.Version, r.URL)
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fail(ExitInvalid, "push to %s: gave up after --timeout %s: %v", grafana.Redact(o.url), o.timeout, err)
	}
	if err != nil {
		return fail(ExitInvalid, "push to %s: %s", grafana.Redact(o.url), explainPushError(err.Error(), o.url, o.folder))
	}
	fmt.Fprintf(stdout, "%d dashboard(s) in folder %q\n", len(results), o.folder)
	return nil
}

// sdkHTTPError is how grafana-tools/sdk reports an answer other than 200
// (rest-folder.go, rest-dashboard.go: "HTTP error %d: returns %s", the body
// or, for an upload, Grafana's message), after dashboards/grafana has made
// it fit to print.
var sdkHTTPError = regexp.MustCompile(`^(.*?)HTTP error (\d{3}): returns (.*)$`)

// explainPushError turns the sdk's report of a 401, 403 or 404 into what
// it most likely means and what to check; other errors stay as they are.
// The message stays one line.
func explainPushError(msg, url, folder string) string {
	m := sdkHTTPError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	op, body := strings.TrimSuffix(m[1], ": "), m[3]
	status, _ := strconv.Atoi(m[2])
	said := grafanaMessage(body)
	var hint string
	switch status {
	case http.StatusUnauthorized:
		hint = "Grafana did not accept the token in " + TokenEnv + ": check that it is a service account token of this Grafana " +
			"(or user:password of one of its users), that it has not expired or been revoked, and that --grafana-url is the Grafana that issued it"
	case http.StatusForbidden:
		what := "upload dashboards into folder " + strconv.Quote(folder) + " (dashboards:create and dashboards:write there)"
		switch {
		case strings.HasPrefix(op, "listing folders"):
			what = "list folders (folders:read)"
		case strings.HasPrefix(op, "creating folder"):
			what = "create folder " + strconv.Quote(folder) + " (folders:create); create it in Grafana, or pass --folder with one the token may write to"
		}
		hint = "Grafana accepted the token, but its role may not " + what +
			": give the service account the Editor role, or Edit permission on the folder"
	case http.StatusNotFound:
		if strings.HasPrefix(op, "uploading dashboard") {
			hint = "Grafana found no folder to put it in: check that folder " + strconv.Quote(folder) +
				" still exists (it may have been deleted during the push) and that --grafana-url is Grafana's base URL"
		} else {
			hint = "nothing at " + strings.TrimSuffix(grafana.Redact(url), "/") + "/api/folders: is --grafana-url Grafana's base URL, " +
				"the address of its home page (with the sub-path when Grafana is served under one, such as https://example.com/grafana)?"
		}
	default:
		return msg
	}
	if said != "" {
		said = " (" + strconv.Quote(said) + ")"
	}
	return fmt.Sprintf("%s: HTTP %d %s%s: %s", op, status, http.StatusText(status), said, hint)
}

// grafanaMessage is the message of a Grafana error body ({"message": ...}),
// the body itself when it is not JSON, cut to a line's worth.
func grafanaMessage(body string) string {
	var v struct {
		Message string `json:"message"`
	}
	// The body arrives made printable: a final newline as \n.
	text := strings.TrimSpace(body)
	for _, esc := range []string{`\n`, `\r`} {
		text = strings.TrimSpace(strings.TrimSuffix(text, esc))
	}
	if json.Unmarshal([]byte(text), &v) == nil && v.Message != "" {
		text = v.Message
	}
	if r := []rune(text); len(r) > 160 {
		text = string(r[:160]) + "…"
	}
	return text
}
