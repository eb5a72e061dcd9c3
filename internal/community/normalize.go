package community

import (
	"strings"
	"unicode"

	"github.com/coteriehq/coterie/internal/coterie"
)

// plusTagDomains are the large mail providers whose addresses ignore a
// "+tag" after the local part. Gmail also ignores dots; googlemail.com is
// gmail.com.
var plusTagDomains = map[string]bool{
	"gmail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true, "fastmail.com": true,
	"proton.me": true, "protonmail.com": true, "yahoo.com": false, // Yahoo uses "-", not "+"
}

// NormalizeEmail lower-cases an address and removes what the provider
// ignores, so that two spellings of one mailbox compare equal.
func NormalizeEmail(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" {
		return e
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if plusTagDomains[domain] {
		if i := strings.IndexByte(local, '+'); i > 0 {
			local = local[:i]
		}
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// NormalizePhone keeps the digits of a phone number, with a leading "+" when
// the number had one.
func NormalizePhone(phone string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if r == '+' && i == 0 {
			b.WriteRune(r)
		} else if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeName folds a display name for comparison: lower case, letters and
// digits only, accents kept (they are part of names).
func NormalizeName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeIdentity returns the normalised form of an identity value.
func NormalizeIdentity(kind coterie.IdentityKind, value string) string {
	switch kind {
	case coterie.IdentityEmail:
		return NormalizeEmail(value)
	case coterie.IdentityPhone:
		return NormalizePhone(value)
	case coterie.IdentityUsername, coterie.IdentityProfileURL:
		return strings.ToLower(strings.TrimSpace(value))
	default:
		return strings.TrimSpace(value)
	}
}
