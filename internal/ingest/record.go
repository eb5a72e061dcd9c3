// Package ingest is Coterie's import pipeline. Parsers (in the sub-packages)
// read a platform's export and report channels, people and activities to a
// Sink; the pipeline turns those records into batched, idempotent upserts.
//
// This file is the contract between parsers and the pipeline. Parsers never
// touch the database.
package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Format reads one kind of export.
type Format interface {
	// Name is the name the CLI uses ("slack", "discord", ...).
	Name() string
	// Platform is the platform the records come from.
	Platform() coterie.Platform
	// Read reads the export at path (a file, a folder or an archive) and
	// reports its contents to sink, one file unit at a time. A damaged file
	// is reported with sink.EndFile(err) and reading goes on with the next
	// file; Read returns an error only when it cannot go on at all (the path
	// does not exist, the sink failed, ctx was cancelled).
	Read(ctx context.Context, path string, sink Sink) error
}

// Sink receives what a parser reads. Every record belongs to a file unit:
// the records between BeginFile and EndFile. When EndFile gets a non-nil
// error the pipeline discards every record of that file, so a damaged file
// never leaves a partial batch. A Sink method that returns an error asks the
// parser to stop and return that error.
type Sink interface {
	BeginFile(name string) error
	Channel(c Channel) error
	Person(p Person) error
	Activity(a Activity) error
	EndFile(err *FileError) error
}

// Channel is a place inside a source: a Slack channel, a Discord channel, a
// Telegram chat, a subreddit, a Discourse category or topic.
type Channel struct {
	ExternalID string
	Name       string
	Kind       string // "channel", "dm", "group", "chat", "subreddit", "topic", ...
	IsArchived bool
}

// Person is an account on the platform as the export shows it. ID is the
// platform's stable user id (a Reddit or WhatsApp export, which has none,
// uses the username or the phone number). An empty ID means the author is
// unknown (a deleted Reddit account): the activity is stored without a member.
type Person struct {
	ID            string
	Username      string
	DisplayName   string
	Email         string
	EmailVerified bool
	Phone         string
	ProfileURL    string
	AvatarURL     string
	Timezone      string
	IsBot         bool
	IsDeleted     bool
	// Attributes holds anything else worth keeping (title, locale, ...).
	Attributes map[string]any
}

// Attachment is a file, image or link attached to an activity.
type Attachment struct {
	URL      string `json:"url,omitempty"`
	Name     string `json:"name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// Activity is one thing a person did: a message, a reply, a reaction, a
// join. ExternalID is unique within the source and stable across exports of
// the same data, so that re-importing is an upsert.
type Activity struct {
	ExternalID string
	Kind       coterie.ActivityKind
	ChannelID  string // the channel's ExternalID; empty when the format has none
	OccurredAt time.Time
	Author     Person
	// ObjectAuthorID is the platform id of the person acted upon: the author
	// of the message reacted to or replied to, when the parser knows it.
	ObjectAuthorID string
	// ParentID is the ExternalID of the activity this one answers or reacts
	// to; ThreadRootID that of the first message of its thread.
	ParentID     string
	ThreadRootID string
	Body         string
	URL          string
	Attachments  []Attachment
	Attributes   map[string]any
	IsEdited     bool
}

// FileError says what was wrong in which file, and where.
type FileError struct {
	File     string `json:"file"`
	Position string `json:"position"` // "line 12", "offset 3456" or ""
	Message  string `json:"message"`
}

func (e *FileError) Error() string {
	if e.Position == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Position, e.Message)
}

// AtLine returns a FileError at a 1-based line.
func AtLine(file string, line int, format string, args ...any) *FileError {
	return &FileError{File: file, Position: fmt.Sprintf("line %d", line), Message: fmt.Sprintf(format, args...)}
}

// AtOffset returns a FileError at a 0-based byte offset.
func AtOffset(file string, offset int64, format string, args ...any) *FileError {
	return &FileError{File: file, Position: fmt.Sprintf("offset %d", offset), Message: fmt.Sprintf(format, args...)}
}
