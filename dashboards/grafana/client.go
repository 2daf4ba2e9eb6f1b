package grafana

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBody caps every response body Push reads: Grafana's answers are a few
// kilobytes, and the sdk reads bodies whole (io.ReadAll), so an endless
// answer would otherwise fill memory.
const MaxBody = 1 << 20

// MaxRedirects is how many redirects within the origin Push follows for
// one request.
const MaxRedirects = 5

// maxText caps what Push prints of text a server sent (error messages),
// headLen what it shows of a body that exceeded MaxBody.
const (
	maxText = 400
	headLen = 160
)

// ErrCredentials is CheckURL's error for a URL with user:password@.
var ErrCredentials = errors.New("holds credentials (user:password@); give them as the token instead")

// CheckURL parses a Grafana base URL: http or https, with a host and
// without user:password@ (credentials come from the token alone: in the
// URL they would end in shell history and process listings, and the sdk
// would ignore them anyway). Its errors never repeat the URL's userinfo.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(raw, "@") {
			return nil, fmt.Errorf("%q is not a URL: %v", raw, ue.Err)
		}
		return nil, errors.New("not a URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %w", Redact(raw), ErrCredentials)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL with a host", raw)
	}
	return u, nil
}

// Redact is raw without user:password@, for printing. A string that does
// not parse as a URL becomes "(not a URL)", since it may hold anything.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	u.User = nil
	return u.String()
}

// origin is a URL's scheme, host and port, the port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// redirectError is why a redirect was not followed; it names the request
// that was redirected, so it replaces net/http's wrapping.
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// harden returns a copy of client that follows redirects only within
// base's origin (net/http forwards Authorization to other ports of the same
// host and replays a 307/308 POST anywhere), never one that would resend an
// upload as a GET (301, 302 and 303 drop a POST's body), and that caps
// every response body at MaxBody.
func harden(client *http.Client, base *url.URL) *http.Client {
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = capTransport{next: next, limit: MaxBody}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0]
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		what := fmt.Sprintf("%s %s: Grafana redirected it (%d) to %s", first.Method, first.URL.EscapedPath(), status, sanitize(Redact(req.URL.String()), maxText))
		switch {
		case origin(req.URL) != origin(base):
			return &redirectError{fmt.Sprintf("%s, another origin than %s; meshslo does not follow such redirects (give the final address as --grafana-url)", what, Redact((&url.URL{Scheme: base.Scheme, Host: base.Host}).String()))}
		case req.Method != first.Method:
			return &redirectError{fmt.Sprintf("%s, which would resend it as %s without its body; meshslo does not follow such redirects (give the final address as --grafana-url)", what, req.Method)}
		case len(via) > MaxRedirects:
			return &redirectError{fmt.Sprintf("%s %s: stopped after %d redirects", first.Method, first.URL.EscapedPath(), MaxRedirects)}
		}
		return nil
	}
	return c
}

// capTransport replaces every response body with one that fails once it
// has given limit bytes.
type capTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.limit, limit: t.limit, method: req.Method, path: req.URL.EscapedPath(), status: resp.StatusCode}
	return resp, nil
}

type cappedBody struct {
	rc           io.ReadCloser
	left, limit  int64
	method, path string
	status       int
	head         []byte
	err          error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.err = &BodyTooLargeError{Method: b.method, Path: b.path, Status: b.status, Limit: b.limit, Head: string(append(b.head, p[:n]...))}
		err = b.err
	}
	b.left -= int64(n)
	if room := headLen - len(b.head); room > 0 {
		b.head = append(b.head, p[:min(n, room)]...)
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// BodyTooLargeError is a response body longer than the cap; Head is how it
// began.
type BodyTooLargeError struct {
	Method, Path string
	Status       int
	Limit        int64
	Head         string
}

func (e *BodyTooLargeError) Error() string {
	head := e.Head
	if len(head) > headLen {
		head = head[:headLen]
	}
	return fmt.Sprintf("%s %s: the HTTP %d response is longer than %s; meshslo stopped reading it there; it began with %s…",
		e.Method, e.Path, e.Status, size(e.Limit), sanitize(head, headLen*4))
}

func size(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// cleanError is an error of the sdk or net/http made fit to print:
// without credentials, control characters or megabytes of server text.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// describe cleans err. secrets (the token, and what Basic auth makes of
// it) are replaced by *** wherever a server echoed them.
func describe(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	var msg string
	var re *redirectError
	var big *BodyTooLargeError
	var ue *url.Error
	switch {
	case errors.As(err, &re):
		msg = re.msg
	case errors.As(err, &big):
		msg = big.Error()
	case errors.As(err, &ue):
		// net/http puts the URL in, with user:*** for a password.
		msg = fmt.Sprintf("%s %s: %v", strings.ToUpper(ue.Op), Redact(ue.URL), ue.Err)
	default:
		msg = err.Error()
	}
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return &cleanError{msg: sanitize(msg, maxText), err: err}
}

// secretsOf lists what a token may show up as in an echo: itself, the
// password and the Basic auth encoding of user:password.
func secretsOf(token string) []string {
	out := []string{token}
	if user, pass, ok := strings.Cut(token, ":"); ok {
		req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
		req.SetBasicAuth(user, pass)
		out = append(out, strings.TrimPrefix(req.Header.Get("Authorization"), "Basic "), pass)
	}
	return out
}

// sanitize escapes control and format characters (terminal escapes,
// newlines, bidi overrides) and bytes that are not UTF-8, and truncates
// the result to max bytes, saying so.
func sanitize(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && n == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		default:
			piece = s[i : i+n]
		}
		if b.Len()+len(piece) > max {
			return b.String() + fmt.Sprintf("… (truncated from %d bytes)", len(s))
		}
		b.WriteString(piece)
		i += n
	}
	return b.String()
}
