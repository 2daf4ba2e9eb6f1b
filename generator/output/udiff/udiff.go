// Package udiff writes unified diffs (the format of diff -u and patch),
// line by line, from Myers' O(ND) difference algorithm ("An O(ND)
// Difference Algorithm and Its Variations", 1986). It has no dependencies,
// so the CLI can print what generate --check --diff finds.
package udiff

import (
	"fmt"
	"strings"
)

// MaxEdits bounds the search for a shortest edit script: past it the
// differing middle (after the common head and tail) is written as removed
// and added whole. The diff stays correct, only longer than it could be;
// the bound keeps time and memory (MaxEdits² ints) small for files that
// share little.
const MaxEdits = 2000

// Unified returns the unified diff from a to b with context lines around
// each change, headed --- from and +++ to, or "" when they are equal. A last
// line without a newline is marked "\ No newline at end of file", as
// diff -u does, so patch reproduces b exactly.
func Unified(from, to string, a, b []byte, context int) string {
	if string(a) == string(b) {
		return ""
	}
	al, bl := Lines(string(a)), Lines(string(b))
	ops := Edits(al, bl)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	for _, h := range hunks(ops, context) {
		writeHunk(&sb, h, al, bl)
	}
	return sb.String()
}

// Lines splits s after each newline; the last line may lack one.
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Op is one line of an edit script: Kind ' ' keeps a[A] (= b[B]), '-'
// removes a[A], '+' adds b[B].
type Op struct {
	Kind byte
	A, B int
}

// Edits returns an edit script from a to b, in order: shortest when it
// takes at most MaxEdits removals and additions.
func Edits(a, b []string) []Op {
	var ops []Op
	// The common head and tail are kept as they are, which also makes the
	// usual case (a few changed lines in a long file) cheap.
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		ops = append(ops, Op{' ', head, head})
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	ops = append(ops, middle(a[head:len(a)-tail], b[head:len(b)-tail], head)...)
	for i := tail; i > 0; i-- {
		ops = append(ops, Op{' ', len(a) - i, len(b) - i})
	}
	return ops
}

// middle is Myers' greedy forward search, keeping each round's furthest
// reaching paths to walk the shortest script back. Indices are offset by
// off (a and b start at the same line of the whole files).
func middle(a, b []string, off int) []Op {
	n, m := len(a), len(b)
	whole := func() []Op {
		var ops []Op
		for i := range a {
			ops = append(ops, Op{'-', off + i, off})
		}
		for j := range b {
			ops = append(ops, Op{'+', off + n, off + j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return whole()
	}
	limit := min(n+m, MaxEdits)
	// v[k+limit+1] is the furthest x on diagonal k = x - y.
	v := make([]int, 2*limit+3)
	at := func(k int) *int { return &v[k+limit+1] }
	var trace [][]int // trace[d] is v over diagonals -d..d before round d
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[limit+1-d:limit+2+d]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && *at(k - 1) < *at(k + 1)) {
				x = *at(k + 1) // down: add b[y]
			} else {
				x = *at(k - 1) + 1 // right: remove a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			*at(k) = x
			if x >= n && y >= m {
				return backtrack(trace, n, m, off)
			}
		}
	}
	return whole()
}

func backtrack(trace [][]int, n, m, off int) []Op {
	var rev []Op
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d] // v before round d: diagonals -(d-1)..d-1, stored from -d
		get := func(k int) int { return prev[k+d] }
		k := x - y
		var pk int
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := get(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, Op{' ', off + x, off + y})
		}
		if pk == k+1 {
			y--
			rev = append(rev, Op{'+', off + x, off + y})
		} else {
			x--
			rev = append(rev, Op{'-', off + x, off + y})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Op{' ', off + x, off + y})
	}
	ops := make([]Op, len(rev))
	for i, o := range rev {
		ops[len(rev)-1-i] = o
	}
	return ops
}

// hunks groups ops into runs of changes with context lines of unchanged
// text around them; changes closer than 2*context share a hunk.
func hunks(ops []Op, context int) [][]Op {
	var out [][]Op
	start, end := -1, -1 // current hunk, ops[start:end]
	for i, o := range ops {
		if o.Kind == ' ' {
			continue
		}
		lo := max(0, i-context)
		if start >= 0 && lo <= end {
			end = min(len(ops), i+1+context)
			continue
		}
		if start >= 0 {
			out = append(out, ops[start:end])
		}
		start, end = lo, min(len(ops), i+1+context)
	}
	if start >= 0 {
		out = append(out, ops[start:end])
	}
	return out
}

func writeHunk(sb *strings.Builder, h []Op, a, b []string) {
	var na, nb int
	for _, o := range h {
		switch o.Kind {
		case ' ':
			na, nb = na+1, nb+1
		case '-':
			na++
		case '+':
			nb++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", span(h[0].A, na), span(h[0].B, nb))
	for _, o := range h {
		line := ""
		switch o.Kind {
		case ' ', '-':
			line = a[o.A]
		case '+':
			line = b[o.B]
		}
		sb.WriteByte(o.Kind)
		sb.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// span is a hunk's range as diff -u writes it: 1-based start, the count
// left out when it is 1, and for an empty range the line before it.
func span(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
