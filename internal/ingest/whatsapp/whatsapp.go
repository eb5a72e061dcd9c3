// Package whatsapp reads WhatsApp "Export chat" text files: one chat's .txt
// file, a folder of them, or the .zip WhatsApp produces (the chat text plus
// media).
//
// WhatsApp exports carry no ids and no time zone. Activities are keyed by a
// hash of what the line shows (see Parse), and times are read in the zone
// given by Options.Location.
package whatsapp

import (
	"archive/zip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Options configures the reader.
type Options struct {
	// Location is the time zone of the phone that made the export: the
	// export writes local wall-clock times with no zone. Nil means UTC.
	Location *time.Location
}

// New returns the "whatsapp" format, reading times as UTC.
func New() ingest.Format { return NewWithOptions(Options{}) }

// NewWithOptions returns the "whatsapp" format with the given options.
func NewWithOptions(opts Options) ingest.Format {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	return format{opts: opts}
}

type format struct{ opts Options }

func (format) Name() string               { return "whatsapp" }
func (format) Platform() coterie.Platform { return coterie.PlatformWhatsApp }

// Read reads a chat .txt file, a WhatsApp .zip, or a folder holding either.
func (f format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if isZip(path) {
			return f.readZip(ctx, path, sink)
		}
		return f.readFile(ctx, path, chatNameForFile(path), sink)
	}

	// In a folder, prefer files named like chat exports: an unzipped export
	// also holds the media, which may include .txt documents people shared.
	var named, other, zips []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), "._") {
			return nil // macOS resource forks, not chats
		}
		switch {
		case isZip(p):
			zips = append(zips, p)
		case strings.EqualFold(filepath.Ext(p), ".txt"):
			if isChatFileName(filepath.Base(p)) {
				named = append(named, p)
			} else {
				other = append(other, p)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	txts := named
	if len(txts) == 0 {
		txts = other
	}
	for _, p := range txts {
		if err := f.readFile(ctx, p, chatNameForFile(p), sink); err != nil {
			return err
		}
	}
	for _, p := range zips {
		if err := f.readZip(ctx, p, sink); err != nil {
			return err
		}
	}
	return nil
}

func isZip(p string) bool { return strings.EqualFold(filepath.Ext(p), ".zip") }

// readFile reads one chat text file as one file unit.
func (f format) readFile(ctx context.Context, p, chat string, sink ingest.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sink.BeginFile(p); err != nil {
		return err
	}
	r, err := os.Open(p)
	if err != nil {
		return sink.EndFile(&ingest.FileError{File: p, Message: err.Error()})
	}
	defer r.Close()
	return endFile(sink, p, Parse(ctx, r, p, chat, f.opts, sink))
}

// readZip reads the chat text files of one WhatsApp .zip; each is a file
// unit. A zip that cannot be opened is reported as a damaged file.
func (f format) readZip(ctx context.Context, p string, sink ingest.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		if err := sink.BeginFile(p); err != nil {
			return err
		}
		return sink.EndFile(&ingest.FileError{File: p, Message: "cannot open zip: " + err.Error()})
	}
	defer zr.Close()

	var named, other []*zip.File
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(zf.Name), ".txt") || strings.HasPrefix(baseName(zf.Name), "._") {
			continue
		}
		if isChatFileName(baseName(zf.Name)) {
			named = append(named, zf)
		} else if !strings.Contains(strings.TrimSuffix(zf.Name, "/"), "/") {
			other = append(other, zf)
		}
	}
	files := named
	if len(files) == 0 {
		files = other
	}
	zipChat := chatNameForFile(p)
	for _, zf := range files {
		name := p + "/" + zf.Name
		chat := zipChat
		if c, ok := chatNameFromBase(baseName(zf.Name)); ok {
			chat = c
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sink.BeginFile(name); err != nil {
			return err
		}
		rc, err := zf.Open()
		if err != nil {
			if err := sink.EndFile(&ingest.FileError{File: name, Message: err.Error()}); err != nil {
				return err
			}
			continue
		}
		perr := Parse(ctx, rc, name, chat, f.opts, sink)
		rc.Close()
		if err := endFile(sink, name, perr); err != nil {
			return err
		}
	}
	return nil
}

// endFile closes a file unit after Parse returned perr: a FileError damages
// only this file, anything else (the sink's or ctx's error) stops the read.
func endFile(sink ingest.Sink, name string, perr error) error {
	var fe *ingest.FileError
	switch {
	case perr == nil:
		return sink.EndFile(nil)
	case errors.As(perr, &fe):
		return sink.EndFile(fe)
	default:
		return perr
	}
}

func baseName(zipPath string) string {
	if i := strings.LastIndexByte(zipPath, '/'); i >= 0 {
		return zipPath[i+1:]
	}
	return zipPath
}

// chatPrefixes are the start of the export's file name in the languages
// WhatsApp is most used in; the chat's name follows.
var chatPrefixes = []string{
	"whatsapp chat with ",
	"whatsapp chat - ",
	"whatsapp chat mit ",
	"whatsapp-chat met ",
	"whatsapp chat met ",
	"chat de whatsapp con ",
	"discussion whatsapp avec ",
	"conversa do whatsapp com ",
	"chat whatsapp con ",
	"chat whatsapp com ",
}

// copySuffix is the " (1)" a browser or file manager adds to a second
// download of the same export; dropping it keeps the chat's key stable.
var copySuffix = regexp.MustCompile(`\s*\(\d+\)$`)

// chatNameFromBase extracts the chat name from an export's file name and
// reports whether the name had a known export prefix.
func chatNameFromBase(base string) (string, bool) {
	name := strings.TrimSuffix(base, filepath.Ext(base))
	name = copySuffix.ReplaceAllString(name, "")
	lower := strings.ToLower(name)
	for _, p := range chatPrefixes {
		if strings.HasPrefix(lower, p) && len(name) > len(p) {
			return strings.TrimSpace(name[len(p):]), true
		}
	}
	return strings.TrimSpace(name), false
}

// isChatFileName reports whether a .txt file is named like a chat export.
func isChatFileName(base string) bool {
	if strings.EqualFold(base, "_chat.txt") {
		return true
	}
	_, ok := chatNameFromBase(base)
	return ok
}

// chatNameForFile names the chat of a file on disk: from its own name, or
// for "_chat.txt" (iOS) from its folder or zip name.
func chatNameForFile(p string) string {
	base := filepath.Base(p)
	if strings.EqualFold(base, "_chat.txt") {
		base = filepath.Base(filepath.Dir(p))
		if base == "." || base == string(filepath.Separator) {
			return "chat"
		}
		base += ".txt"
	}
	name, _ := chatNameFromBase(base)
	if name == "" {
		return "chat"
	}
	return name
}

// ChatKey is the channel external id of a chat name: lower case, spaces
// collapsed, so "WhatsApp Chat with Vegan Beauty.txt" and a re-export named
// "WhatsApp Chat with Vegan  beauty (1).txt" land in the same channel.
func ChatKey(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

func fileErrorf(file string, line int, format string, args ...any) error {
	return ingest.AtLine(file, line, format, args...)
}
