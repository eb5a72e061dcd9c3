package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
)

// Writer is where the pipeline puts records: whole files at a time, as
// community.Writer does.
type Writer interface {
	BeginFile(ctx context.Context) error
	Channel(ctx context.Context, c Channel) error
	Person(ctx context.Context, p Person) error
	Activity(ctx context.Context, a *Activity, enc Encoded) error
	EndFile(ctx context.Context, ok bool) error
}

// Encoded holds an activity's open-ended fields already encoded as JSON
// ("" when empty). The parser's goroutine encodes them, so the writer, the
// import's bottleneck, does not.
type Encoded struct {
	Attributes  string
	Attachments string
	Err         error
}

func encode(a *Activity) Encoded {
	var e Encoded
	if len(a.Attributes) > 0 {
		b, err := json.Marshal(a.Attributes)
		if err != nil {
			e.Err = fmt.Errorf("attributes of %s: %w", a.ExternalID, err)
		}
		e.Attributes = string(b)
	}
	if len(a.Attachments) > 0 {
		b, err := json.Marshal(a.Attachments)
		if err != nil {
			e.Err = fmt.Errorf("attachments of %s: %w", a.ExternalID, err)
		}
		e.Attachments = string(b)
	}
	return e
}

// Progress is how far an import has come.
type Progress struct {
	Files      int64
	Activities int64
	File       string
}

// Result is what Run read: the files taken whole and those that failed.
type Result struct {
	Files  int
	Errors []FileError
}

type op uint8

const (
	opBegin op = iota
	opChannel
	opPerson
	opActivity
	opEnd
)

type record struct {
	op       op
	file     string
	channel  Channel
	person   Person
	activity Activity
	enc      Encoded
	err      *FileError
}

// chunkSize records travel together from the parser to the writer, so the
// channel hand-off costs little per record.
const chunkSize = 512

// chanSink is the parser side of Run: it buffers records into chunks.
type chanSink struct {
	ctx   context.Context
	out   chan<- []record
	buf   []record
	count *atomic.Int64
}

func (s *chanSink) push(r record) error {
	s.buf = append(s.buf, r)
	if len(s.buf) >= chunkSize || r.op == opEnd {
		return s.send()
	}
	return nil
}

func (s *chanSink) send() error {
	if len(s.buf) == 0 {
		return nil
	}
	select {
	case s.out <- s.buf:
		s.buf = make([]record, 0, chunkSize)
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (s *chanSink) BeginFile(name string) error { return s.push(record{op: opBegin, file: name}) }
func (s *chanSink) Channel(c Channel) error     { return s.push(record{op: opChannel, channel: c}) }
func (s *chanSink) Person(p Person) error       { return s.push(record{op: opPerson, person: p}) }
func (s *chanSink) Activity(a Activity) error {
	return s.push(record{op: opActivity, activity: a, enc: encode(&a)})
}
func (s *chanSink) EndFile(err *FileError) error {
	return s.push(record{op: opEnd, err: err})
}

// Run reads path with format f and writes what it finds to w: the parser
// decodes on one goroutine while the writer stores on this one. Each file is
// written whole or not at all; a damaged file is listed in the result and
// the import goes on with the next. progress, when not nil, is called after
// every file.
func Run(ctx context.Context, f Format, path string, w Writer, progress func(Progress)) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []record, 8)
	var parseErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(chunks)
		s := &chanSink{ctx: ctx, out: chunks, buf: make([]record, 0, chunkSize)}
		parseErr = f.Read(ctx, path, s)
		if parseErr == nil {
			parseErr = s.send()
		}
	}()

	var res Result
	var prog Progress
	var writeErr error
	inFile := false
	file := ""
	for chunk := range chunks {
		if writeErr != nil {
			continue // drain so the parser can stop
		}
		for i := range chunk {
			r := &chunk[i]
			switch r.op {
			case opBegin:
				if inFile { // a parser that forgot EndFile: keep nothing of that file
					writeErr = w.EndFile(ctx, false)
				}
				file, inFile = r.file, true
				if writeErr == nil {
					writeErr = w.BeginFile(ctx)
				}
			case opChannel:
				writeErr = w.Channel(ctx, r.channel)
			case opPerson:
				writeErr = w.Person(ctx, r.person)
			case opActivity:
				writeErr = r.enc.Err
				if writeErr == nil {
					writeErr = w.Activity(ctx, &r.activity, r.enc)
				}
				prog.Activities++
			case opEnd:
				inFile = false
				writeErr = w.EndFile(ctx, r.err == nil)
				if r.err != nil {
					res.Errors = append(res.Errors, *r.err)
				} else {
					res.Files++
				}
				prog.Files++
				prog.File = file
				if progress != nil {
					progress(prog)
				}
			}
			if writeErr != nil {
				cancel()
				break
			}
		}
	}
	<-done
	if writeErr != nil {
		return res, writeErr
	}
	if inFile {
		if err := w.EndFile(ctx, false); err != nil {
			return res, err
		}
	}
	if parseErr != nil && !errors.Is(parseErr, context.Canceled) {
		return res, fmt.Errorf("import %s: %w", path, parseErr)
	}
	return res, ctx.Err()
}
