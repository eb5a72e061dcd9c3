package slack

import (
	"io"
	"strings"

	"github.com/coteriehq/coterie/internal/ingest"
)

// user is an entry of users.json. Deleted users have no real_name or tz at
// the top level; their profile may still carry a name.
type user struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Deleted           bool   `json:"deleted"`
	RealName          string `json:"real_name"`
	TZ                string `json:"tz"`
	IsBot             bool   `json:"is_bot"`
	IsAppUser         bool   `json:"is_app_user"`
	IsAdmin           bool   `json:"is_admin"`
	IsOwner           bool   `json:"is_owner"`
	IsRestricted      bool   `json:"is_restricted"`
	IsUltraRestricted bool   `json:"is_ultra_restricted"`
	Profile           struct {
		DisplayName string `json:"display_name"`
		RealName    string `json:"real_name"`
		Email       string `json:"email"`
		Title       string `json:"title"`
		Image192    string `json:"image_192"`
		Image72     string `json:"image_72"`
	} `json:"profile"`
}

// ParseUsers reads users.json into people, in file order.
func ParseUsers(r io.Reader, file string) ([]ingest.Person, error) {
	var users []user
	if err := readJSON(r, file, &users); err != nil {
		return nil, err
	}
	people := make([]ingest.Person, 0, len(users))
	for _, u := range users {
		if u.ID == "" {
			continue
		}
		p := ingest.Person{
			ID:          u.ID,
			Username:    u.Name,
			DisplayName: firstNonEmpty(u.RealName, u.Profile.DisplayName, u.Profile.RealName),
			Email:       u.Profile.Email,
			// Slack only lets an account in with a confirmed address.
			EmailVerified: u.Profile.Email != "",
			AvatarURL:     firstNonEmpty(u.Profile.Image192, u.Profile.Image72),
			Timezone:      u.TZ,
			// App users act through an app: not a member to count.
			IsBot:     u.IsBot || u.IsAppUser,
			IsDeleted: u.Deleted,
		}
		attrs := map[string]any{}
		if u.Profile.Title != "" {
			attrs["title"] = u.Profile.Title
		}
		if u.IsAdmin {
			attrs["is_admin"] = true
		}
		if u.IsOwner {
			attrs["is_owner"] = true
		}
		if u.IsRestricted || u.IsUltraRestricted {
			// Guests: worth knowing when telling members from visitors.
			attrs["is_guest"] = true
		}
		if len(attrs) > 0 {
			p.Attributes = attrs
		}
		people = append(people, p)
	}
	return people, nil
}

// conversation is an entry of channels.json, groups.json, mpims.json or
// dms.json. DMs have no name, only members.
type conversation struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	IsArchived bool     `json:"is_archived"`
	Members    []string `json:"members"`
}

// Conversation is a channel as listed in the export's metadata, with the
// name of the folder holding its day files.
type Conversation struct {
	ingest.Channel
	// Folder is the folder name the export uses for the conversation's day
	// files (its name; empty for DMs, whose folder is their id).
	Folder string
}

// ParseChannels reads one of channels.json, groups.json, mpims.json or
// dms.json; kind is the Channel.Kind its entries get. users names the
// members of a DM, which has no name of its own.
func ParseChannels(r io.Reader, file, kind string, users map[string]ingest.Person) ([]Conversation, error) {
	var convs []conversation
	if err := readJSON(r, file, &convs); err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(convs))
	for _, c := range convs {
		if c.ID == "" {
			continue
		}
		name := c.Name
		if name == "" {
			name = dmName(c, users)
		}
		out = append(out, Conversation{
			Channel: ingest.Channel{ExternalID: c.ID, Name: name, Kind: kind, IsArchived: c.IsArchived},
			Folder:  c.Name,
		})
	}
	return out, nil
}

// dmName names a DM after its members' usernames, or its id when they are
// unknown.
func dmName(c conversation, users map[string]ingest.Person) string {
	names := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		if p, ok := users[m]; ok && p.Username != "" {
			names = append(names, "@"+p.Username)
		} else {
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return c.ID
	}
	return strings.Join(names, ", ")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
