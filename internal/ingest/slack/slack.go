// Package slack reads an official Slack workspace export, as the .zip file
// Slack produces or as the folder it unpacks to.
//
// An export holds users.json, channels.json (and, in exports that include
// private conversations, groups.json, mpims.json and dms.json) and one folder
// per conversation of YYYY-MM-DD.json day files. Every metadata file and every
// day file is one file unit for the pipeline, so a damaged day file costs
// only that day.
package slack

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Format is the "slack" import format.
type Format struct{}

// New returns the Slack export format.
func New() ingest.Format { return Format{} }

// Name implements ingest.Format.
func (Format) Name() string { return "slack" }

// Platform implements ingest.Format.
func (Format) Platform() coterie.Platform { return coterie.PlatformSlack }

// dayFile matches day files only: an export keeps other JSON files (canvases,
// lists) beside them that are not message arrays.
var dayFile = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.json$`)

// conversationFiles are the metadata files that list conversations, in the
// order they are read, with the channel kind each one's entries get.
var conversationFiles = []struct{ file, kind string }{
	{"channels.json", "channel"},
	{"groups.json", "group"},
	{"mpims.json", "mpim"},
	{"dms.json", "dm"},
}

// Read implements ingest.Format. path is an export .zip or an unpacked
// export folder.
func (Format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return ReadFS(ctx, os.DirFS(path), sink)
	}
	// zip.OpenReader reads the central directory and opens entries on
	// demand, so a multi-gigabyte export is never loaded whole.
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s: not a Slack export zip: %w", path, err)
	}
	defer zr.Close()
	return ReadFS(ctx, &zr.Reader, sink)
}

// ReadFS reads an export laid out in fsys (a folder or a zip archive). When
// the export sits under a single top-level folder, as it does in a zip that
// was re-packed from an unpacked export, that folder is used as the root.
func ReadFS(ctx context.Context, fsys fs.FS, sink ingest.Sink) error {
	root, err := exportRoot(fsys)
	if err != nil {
		return err
	}
	if root != "." {
		if fsys, err = fs.Sub(fsys, root); err != nil {
			return err
		}
	}
	r := &reader{fsys: fsys, sink: sink, users: map[string]ingest.Person{}}
	return r.read(ctx)
}

// exportRoot finds the folder holding the export: the root itself, or the
// only folder below it (at most two levels down) that holds users.json or
// channels.json.
func exportRoot(fsys fs.FS) (string, error) {
	dir := "."
	for depth := 0; depth < 3; depth++ {
		if isExportDir(fsys, dir) {
			return dir, nil
		}
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return "", err
		}
		var only string
		n := 0
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "__MACOSX" {
				only = e.Name()
				n++
			}
		}
		if n != 1 {
			break
		}
		dir = path.Join(dir, only)
	}
	// No metadata at all: read the top level as an export made only of
	// conversation folders.
	return ".", nil
}

func isExportDir(fsys fs.FS, dir string) bool {
	for _, name := range []string{"users.json", "channels.json"} {
		if _, err := fs.Stat(fsys, path.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// reader holds the state of one export read.
type reader struct {
	fsys  fs.FS
	sink  ingest.Sink
	users map[string]ingest.Person
	// byName and byID find the conversation of a folder: channels, groups
	// and multi-person DMs are foldered by name, DMs by id.
	byName map[string]ingest.Channel
	byID   map[string]ingest.Channel
}

func (r *reader) read(ctx context.Context) error {
	if err := r.readUsers(ctx); err != nil {
		return err
	}
	if err := r.readConversations(ctx); err != nil {
		return err
	}
	entries, err := fs.ReadDir(r.fsys, ".")
	if err != nil {
		return err
	}
	for _, e := range entries { // fs.ReadDir sorts by name
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "__MACOSX" {
			continue
		}
		if err := r.readFolder(ctx, e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// fileUnit runs parse as one file unit named name. parse returns a
// *ingest.FileError when the file is damaged (the unit then ends with that
// error and reading goes on) or any other error to stop the read.
func (r *reader) fileUnit(ctx context.Context, name string, parse func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.sink.BeginFile(name); err != nil {
		return err
	}
	err := parse()
	var fe *ingest.FileError
	switch {
	case err == nil:
		return r.sink.EndFile(nil)
	case errors.As(err, &fe):
		return r.sink.EndFile(fe)
	default:
		return err
	}
}

func (r *reader) readUsers(ctx context.Context) error {
	const name = "users.json"
	f, err := r.fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	return r.fileUnit(ctx, name, func() error {
		people, err := ParseUsers(f, name)
		if err != nil {
			return err
		}
		for _, p := range people {
			if err := r.sink.Person(p); err != nil {
				return err
			}
		}
		// Only an intact users.json informs authorship: a damaged one is
		// discarded whole, as the pipeline discards its people. Authors
		// need only who the account is; the full profile went to the sink
		// above, and keeping it for every account of a large workspace
		// would hold hundreds of MB for the whole import.
		for _, p := range people {
			r.users[p.ID] = ingest.Person{ID: p.ID, Username: p.Username, DisplayName: p.DisplayName,
				IsBot: p.IsBot, IsDeleted: p.IsDeleted}
		}
		return nil
	})
}

func (r *reader) readConversations(ctx context.Context) error {
	r.byName = map[string]ingest.Channel{}
	r.byID = map[string]ingest.Channel{}
	for _, cf := range conversationFiles {
		f, err := r.fsys.Open(cf.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		err = r.fileUnit(ctx, cf.file, func() error {
			chans, err := ParseChannels(f, cf.file, cf.kind, r.users)
			if err != nil {
				return err
			}
			for _, c := range chans {
				if err := r.sink.Channel(c.Channel); err != nil {
					return err
				}
			}
			for _, c := range chans {
				if c.Folder != "" {
					r.byName[c.Folder] = c.Channel
				}
				r.byID[c.ExternalID] = c.Channel
			}
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readFolder reads the day files of one conversation folder in date order,
// so that thread parents come before their replies.
func (r *reader) readFolder(ctx context.Context, folder string) error {
	entries, err := fs.ReadDir(r.fsys, folder)
	if err != nil {
		return err
	}
	var days []string
	for _, e := range entries {
		if !e.IsDir() && dayFile.MatchString(e.Name()) {
			days = append(days, e.Name())
		}
	}
	if len(days) == 0 {
		return nil
	}
	sort.Strings(days)

	ch, known := r.byName[folder]
	if !known {
		ch, known = r.byID[folder]
	}
	if !known {
		// channels.json may lack a channel that has a folder (it was
		// deleted or renamed before the export): the folder name is all
		// there is to know it by.
		ch = ingest.Channel{ExternalID: folder, Name: folder, Kind: "channel"}
	}
	cp := NewChannelParser(ch.ExternalID, r.users)
	for _, day := range days {
		name := folder + "/" + day
		err := r.fileUnit(ctx, name, func() error {
			if !known {
				// Sent with every day file so that the channel exists
				// whichever of its days survive.
				if err := r.sink.Channel(ch); err != nil {
					return err
				}
			}
			f, err := r.fsys.Open(name)
			if err != nil {
				return &ingest.FileError{File: name, Message: err.Error()}
			}
			defer f.Close()
			return cp.ParseDay(f, name, r.sink)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonError turns a decoding error into a FileError with the byte offset
// where decoding failed.
func jsonError(file string, data []byte, err error) *ingest.FileError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return ingest.AtOffset(file, se.Offset, "invalid JSON: %v", err)
	case errors.As(err, &te):
		return ingest.AtOffset(file, te.Offset, "unexpected JSON type: %v", err)
	default:
		return ingest.AtOffset(file, int64(len(data)), "%v", err)
	}
}

// readJSON decodes the JSON document r into v. Export files are JSON
// documents (not streams), so each is decoded whole.
func readJSON(r io.Reader, file string, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return &ingest.FileError{File: file, Message: err.Error()}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(file, data, err)
	}
	return nil
}
