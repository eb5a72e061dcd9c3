// Package reddit reads Reddit dumps in the Pushshift / Arctic Shift form:
// newline-delimited JSON of comments and/or submissions, plain or compressed
// with zstd, as one file or a folder of such files.
//
// The dumps span Reddit's whole history and their fields drifted over the
// years (created_utc an int, a float or a string; edited false or an epoch;
// scores as strings), so drifting fields are decoded by tolerant types. Each
// file is one file unit: a bad line fails that file and reading goes on with
// the next.
package reddit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Format is the "reddit" import format.
type Format struct{}

// New returns the Reddit dump format.
func New() ingest.Format { return Format{} }

// Name implements ingest.Format.
func (Format) Name() string { return "reddit" }

// Platform implements ingest.Format.
func (Format) Platform() coterie.Platform { return coterie.PlatformReddit }

// maxWindow is the largest zstd window accepted. Pushshift and Arctic
// Shift compress with --long=31, a 2 GiB window, above the decoder's
// default limit.
const maxWindow = 1 << 31

// maxLine bounds one record; a longer line is taken for a damaged file
// rather than exhausting memory.
const maxLine = 64 << 20

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Read implements ingest.Format. path is one dump file or a folder whose
// *.json, *.jsonl, *.ndjson and *.zst files (at any depth) are read in name
// order.
func (Format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	files, err := ingest.Files(path, ".json", ".jsonl", ".ndjson", ".zst")
	if err != nil {
		return err
	}
	for _, name := range files {
		if err := readFile(ctx, name, sink); err != nil {
			return err
		}
	}
	return nil
}

// readFile reads one file as one file unit.
func readFile(ctx context.Context, name string, sink ingest.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := sink.BeginFile(name); err != nil {
		return err
	}
	err = Parse(ctx, f, name, sink)
	var fe *ingest.FileError
	switch {
	case err == nil:
		return sink.EndFile(nil)
	case errors.As(err, &fe):
		return sink.EndFile(fe)
	default:
		return err
	}
}

// Parse reads one dump file from r, plain NDJSON or zstd-compressed (told
// apart by the zstd magic number, whatever the file is called), and reports
// its subreddits and activities to sink. file names the file in errors. It
// returns a *ingest.FileError for damaged input (a bad line, a truncated
// stream), or the error of ctx or of the sink.
func Parse(ctx context.Context, r io.Reader, file string, sink ingest.Sink) error {
	br := bufio.NewReaderSize(r, 256<<10)
	if head, _ := br.Peek(len(zstdMagic)); bytes.Equal(head, zstdMagic) {
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxWindow))
		if err != nil {
			return &ingest.FileError{File: file, Message: "zstd: " + err.Error()}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	p := parser{file: file, sink: sink, channels: map[string]struct{}{}}
	var long []byte // a line longer than br's buffer, assembled
	for n := 1; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if len(long) > maxLine {
					return ingest.AtLine(file, n, "line longer than %d bytes", maxLine)
				}
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			// A truncated or corrupt zstd stream, or a read error.
			return ingest.AtLine(file, n, "read failed (truncated or corrupt file?): %v", err)
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			if err := p.line(trimmed, n); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// parser holds the state of one file: the subreddits already reported.
type parser struct {
	file     string
	sink     ingest.Sink
	channels map[string]struct{}
	rec      record
}

// line parses one record and reports it.
func (p *parser) line(data []byte, n int) error {
	a, ch, err := p.decode(data)
	if err != nil {
		return ingest.AtLine(p.file, n, "%v", err)
	}
	if ch.ExternalID != "" {
		if _, ok := p.channels[ch.ExternalID]; !ok {
			p.channels[ch.ExternalID] = struct{}{}
			if err := p.sink.Channel(ch); err != nil {
				return err
			}
		}
	}
	return p.sink.Activity(a)
}

// decode turns one NDJSON line into an activity and its subreddit.
func (p *parser) decode(data []byte) (ingest.Activity, ingest.Channel, error) {
	rec := &p.rec
	*rec = record{}
	if err := rec.unmarshal(data); err != nil {
		return ingest.Activity{}, ingest.Channel{}, err
	}
	return rec.activity()
}

// ParseLine decodes one NDJSON record into its activity and subreddit. It
// is what Parse does per line, exposed for benchmarks and tools.
func ParseLine(data []byte) (ingest.Activity, ingest.Channel, error) {
	var p parser
	return p.decode(data)
}

// errNoKind is returned for a record that is neither a submission nor a
// comment.
var errNoKind = errors.New("neither a submission (title, t3_) nor a comment (body, parent_id, t1_)")
