// Package coterie holds the domain types shared by every capability and the
// error codes that the edges (CLI, API) map to exit codes and HTTP statuses.
// It performs no I/O.
package coterie

import "time"

// ID is a database identifier. Every table uses 64-bit integer keys.
type ID = int64

// Platform names a place where a community lives.
type Platform string

// Platforms Coterie imports from.
const (
	PlatformSlack     Platform = "slack"
	PlatformDiscord   Platform = "discord"
	PlatformTelegram  Platform = "telegram"
	PlatformWhatsApp  Platform = "whatsapp"
	PlatformReddit    Platform = "reddit"
	PlatformDiscourse Platform = "discourse"
	PlatformCSV       Platform = "csv"
)

// ActivityKind is what an activity is. Custom kinds are allowed; these are the
// ones every importer agrees on.
type ActivityKind string

// Activity kinds.
const (
	KindMessage        ActivityKind = "message"
	KindReply          ActivityKind = "reply"
	KindThreadStart    ActivityKind = "thread_start"
	KindReaction       ActivityKind = "reaction"
	KindJoin           ActivityKind = "join"
	KindLeave          ActivityKind = "leave"
	KindPost           ActivityKind = "post"
	KindComment        ActivityKind = "comment"
	KindEdit           ActivityKind = "edit"
	KindEventAttend    ActivityKind = "event_attend"
	KindSurveyResponse ActivityKind = "survey_response"
	KindReferral       ActivityKind = "referral"
	KindUGC            ActivityKind = "ugc"
)

// IdentityKind says what an identity's value is.
type IdentityKind string

// Identity kinds.
const (
	IdentityUserID     IdentityKind = "user_id"
	IdentityUsername   IdentityKind = "username"
	IdentityEmail      IdentityKind = "email"
	IdentityPhone      IdentityKind = "phone"
	IdentityProfileURL IdentityKind = "profile_url"
)

// CrossPlatform reports whether identities of this kind name the same person
// whatever platform they were seen on (an e-mail address, a phone number).
// Such identities are stored with an empty platform so they match across
// platforms.
func (k IdentityKind) CrossPlatform() bool {
	return k == IdentityEmail || k == IdentityPhone
}

// Workspace is a brand, or one client of an agency.
type Workspace struct {
	ID        ID
	Name      string
	CreatedAt time.Time
}

// Community is one micro community of a workspace.
type Community struct {
	ID          ID
	WorkspaceID ID
	Name        string
	Interest    string
	BrandLink   string
	Timezone    string
	CreatedAt   time.Time
}

// Source is one place a community's activity is imported from.
type Source struct {
	ID          ID
	WorkspaceID ID
	CommunityID ID
	Platform    Platform
	Name        string
	LastSyncAt  time.Time
}

// Member is a person (or bot) of a workspace, recognised across platforms.
type Member struct {
	ID              ID
	WorkspaceID     ID
	DisplayName     string
	IsBot           bool
	IsTeam          bool
	JoinedAt        time.Time
	FirstActiveAt   time.Time
	LastActiveAt    time.Time
	Attributes      map[string]any
	ManuallyChanged []string
}

// Identity is one way a member is known on a platform.
type Identity struct {
	ID              ID
	WorkspaceID     ID
	MemberID        ID
	Platform        Platform // empty for cross-platform kinds
	Kind            IdentityKind
	Value           string
	ValueNormalized string
	Verified        bool
	SourceID        ID
}
