// Package docs embeds the runbooks, so that every generated profile folder
// carries them (runbooks/<alert>.md) and its alerts link to them by
// default.
package docs

import "embed"

// Runbooks holds runbooks/<alert>.md for every alert and the index
// runbooks/README.md.
//
//go:embed runbooks/*.md
var Runbooks embed.FS
