package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams follow the OWASP password storage recommendation for
// argon2id (19 MiB, 2 passes, 1 lane): affordable on a 2-core server that
// also serves the dashboard, yet costly to attack.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters read from a stored hash, so a tampered row cannot make
// verification allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 64
	maxThreads = 64
)

// CheckPasswordPolicy returns EINVALID unless the password is acceptable: at
// least MinPasswordLength characters.
func CheckPasswordPolicy(password string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return coterie.Errorf(coterie.EINVALID, "the password must have at least %d characters", MinPasswordLength)
	}
	if len(password) > maxPasswordLength {
		return coterie.Errorf(coterie.EINVALID, "the password must have at most %d bytes", maxPasswordLength)
	}
	return nil
}

var b64 = base64.RawStdEncoding // PHC strings use standard base64 without padding

// HashPassword hashes a password with argon2id and a fresh random salt and
// returns the PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash", which
// carries everything needed to verify it later.
func HashPassword(password string, p Params) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("hash password: unusable argon2id parameters %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// decodeHash parses a PHC argon2id string.
func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("password hash: %s", why)
	}
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version " + parts[2])
	}
	var m, t, threads uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil {
			return bad("bad parameter " + kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			threads = n
		default:
			return bad("unknown parameter " + k)
		}
	}
	if m == 0 || m > maxMemory || t == 0 || t > maxTime || threads == 0 || threads > maxThreads {
		return bad("parameters out of range")
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return bad("bad salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return bad("bad hash")
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(threads), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC string encoded,
// comparing in constant time. An error means the stored hash is unreadable.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > maxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether a stored hash was made with other parameters
// than p, so it should be replaced at the next successful login.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decodeHash(encoded)
	if err != nil {
		return false
	}
	return got != p
}

var dummyHashes sync.Map // Params -> string

// dummyHash is a valid hash of no one's password, verified against when the
// e-mail address is unknown so that both cases cost the same.
func dummyHash(p Params) string {
	if h, ok := dummyHashes.Load(p); ok {
		return h.(string)
	}
	h, err := HashPassword("no user has this password", p)
	if err != nil {
		h, _ = HashPassword("no user has this password", DefaultParams)
	}
	dummyHashes.Store(p, h)
	return h
}
