//go:build !linux

package output

// Without renameat2 a folder is replaced by two renames (see swapOne).
func exchangeAt(a, b string) error { return errNoExchange }

func renameNoReplaceAt(from, to string) error { return renameIfAbsent(from, to) }
