package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// API keys look like "ask_0123456789abcdef_<43 base64url characters>": a
// fixed prefix that secret scanners can match, a public 16-hex-digit ID
// used to look the key up, and 256 random bits. Only the SHA-256 of the
// whole key is stored. A fast hash is right here, unlike for passwords: the
// secret is random, so there is no dictionary to try.
const (
	apiKeyPrefix    = "ask_"
	apiKeyIDLen     = 16
	apiKeySecretLen = 43
	apiKeyLen       = len(apiKeyPrefix) + apiKeyIDLen + 1 + apiKeySecretLen
	apiKeyHashAlg   = "sha256:"
)

// An APIKeyRecord is what a store keeps about one key: never the key, only
// its hash, and the principal it stands for.
type APIKeyRecord struct {
	// ID is the key's public lookup ID (the 16 hex digits after "ask_").
	ID string `json:"id"`
	// Hash is "sha256:" and the hex SHA-256 of the whole key.
	Hash string `json:"hash"`
	// Subject is the principal's subject, typically the owning service.
	Subject string `json:"subject"`
	// Scopes and Roles are granted to requests made with the key. Each
	// scope is an RFC 6749 scope token (visible ASCII but '"' and '\\'),
	// as in a token's scope claim.
	Scopes []string `json:"scopes,omitempty"`
	Roles  []string `json:"roles,omitempty"`
	// Expires, if not zero, is when the key stops working.
	Expires time.Time `json:"expires,omitzero"`
}

// An APIKeyStore finds key records by ID. It must be safe for concurrent
// use. found is false for an unknown ID; err is for a store that cannot
// answer.
type APIKeyStore interface {
	LookupAPIKey(ctx context.Context, id string) (rec APIKeyRecord, found bool, err error)
}

// APIKeysConfig configures API key authentication.
type APIKeysConfig struct {
	// Store holds the key records. Required. [NewMemoryStore] and
	// [LoadAPIKeysFile] make one from records or a JSON file.
	Store APIKeyStore
}

// APIKeys authenticates API keys against a store. It is safe for
// concurrent use.
type APIKeys struct {
	store APIKeyStore
}

// NewAPIKeys validates cfg and returns the authenticator.
func NewAPIKeys(cfg APIKeysConfig) (*APIKeys, error) {
	if cfg.Store == nil {
		return nil, configErr("APIKeysConfig.Store is required")
	}
	return &APIKeys{store: cfg.Store}, nil
}

// Kind reports that APIKeys verifies API keys.
func (a *APIKeys) Kind() CredentialKind { return APIKey }

// Authenticate checks key against the store and returns its principal.
func (a *APIKeys) Authenticate(ctx context.Context, key string) (*Principal, error) {
	return a.Verify(ctx, key)
}

// Verify checks key against the store: its format, then its record by ID,
// then its hash in constant time, then its expiry.
func (a *APIKeys) Verify(ctx context.Context, key string) (*Principal, error) {
	id, ok := apiKeyID(key)
	if !ok {
		return nil, invalid("malformed_api_key")
	}
	sum := sha256.Sum256([]byte(key))
	rec, found, err := a.store.LookupAPIKey(ctx, id)
	if err != nil {
		return nil, &VerifyError{Check: "api_key_store", Err: ErrKeysUnavailable, Cause: err}
	}
	want, okHash := parseKeyHash(rec.Hash)
	if !found || !okHash {
		// Compare anyway, so a miss and a mismatch take the same time.
		subtle.ConstantTimeCompare(sum[:], sum[:])
		return nil, invalid("unknown_api_key")
	}
	if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
		return nil, invalid("api_key_mismatch")
	}
	if !rec.Expires.IsZero() && !time.Now().Before(rec.Expires) {
		return nil, &VerifyError{Check: "api_key_expired", Err: ErrTokenExpired}
	}
	// A store other than MemoryStore is held to the same scope syntax as
	// tokens, so authz sees one kind of scope whatever the credential.
	for _, sc := range rec.Scopes {
		if !isScopeToken(sc) {
			return nil, invalid("api_key_scope_syntax")
		}
	}
	return &Principal{
		Subject:  rec.Subject,
		ClientID: rec.ID,
		TokenID:  rec.ID, // so one leaked key can be revoked by its ID
		Scopes:   slices.Clone(rec.Scopes),
		Roles:    slices.Clone(rec.Roles),
		Expiry:   rec.Expires,
		Method:   MethodAPIKey,
	}, nil
}

// apiKeyID checks the key's format and returns its ID.
func apiKeyID(key string) (string, bool) {
	if len(key) != apiKeyLen || !strings.HasPrefix(key, apiKeyPrefix) {
		return "", false
	}
	id := key[len(apiKeyPrefix) : len(apiKeyPrefix)+apiKeyIDLen]
	if key[len(apiKeyPrefix)+apiKeyIDLen] != '_' || !isLowerHex(id) {
		return "", false
	}
	secret := key[len(apiKeyPrefix)+apiKeyIDLen+1:]
	var buf [32]byte
	if n, err := b64.Decode(buf[:], bytesOf(secret)); err != nil || n != 32 {
		return "", false
	}
	return id, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func parseKeyHash(h string) ([sha256.Size]byte, bool) {
	var out [sha256.Size]byte
	hx, ok := strings.CutPrefix(h, apiKeyHashAlg)
	if !ok || len(hx) != 2*sha256.Size {
		return out, false
	}
	_, err := hex.Decode(out[:], []byte(hx))
	return out, err == nil
}

// HashAPIKey returns the string to store for key: "sha256:" and its hex
// SHA-256.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return apiKeyHashAlg + hex.EncodeToString(sum[:])
}

// GenerateAPIKey makes a new random key. It returns the key, to give to
// its owner once, and the record to store (ID and Hash filled in; the
// caller sets Subject, Scopes, Roles and Expires).
func GenerateAPIKey() (string, APIKeyRecord, error) {
	var b [8 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", APIKeyRecord{}, err
	}
	id := hex.EncodeToString(b[:8])
	key := apiKeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[8:])
	return key, APIKeyRecord{ID: id, Hash: HashAPIKey(key)}, nil
}

// A MemoryStore is an [APIKeyStore] held in memory. It is immutable and
// safe for concurrent use.
type MemoryStore struct {
	byID map[string]APIKeyRecord
}

// NewMemoryStore validates records and returns a store holding copies.
func NewMemoryStore(records []APIKeyRecord) (*MemoryStore, error) {
	s := &MemoryStore{byID: make(map[string]APIKeyRecord, len(records))}
	for i, r := range records {
		switch {
		case len(r.ID) != apiKeyIDLen || !isLowerHex(r.ID):
			return nil, configErr("API key record %d: id must be %d lowercase hex digits", i, apiKeyIDLen)
		case r.Subject == "":
			return nil, configErr("API key record %s: subject is required", r.ID)
		}
		if _, ok := parseKeyHash(r.Hash); !ok {
			return nil, configErr("API key record %s: hash must be sha256: and 64 hex digits", r.ID)
		}
		for _, sc := range r.Scopes {
			if !isScopeToken(sc) {
				return nil, configErr("API key record %s: scope %q is not an RFC 6749 scope token", r.ID, sc)
			}
		}
		if _, dup := s.byID[r.ID]; dup {
			return nil, configErr("API key record %s appears twice", r.ID)
		}
		r.Scopes = slices.Clone(r.Scopes)
		r.Roles = slices.Clone(r.Roles)
		s.byID[r.ID] = r
	}
	return s, nil
}

// LookupAPIKey implements [APIKeyStore].
func (s *MemoryStore) LookupAPIKey(_ context.Context, id string) (APIKeyRecord, bool, error) {
	r, ok := s.byID[id]
	return r, ok, nil
}

// maxKeyFile bounds an API key file.
const maxKeyFile = 16 << 20

// ParseAPIKeys reads a JSON key file: {"keys": [APIKeyRecord…]}. Unknown
// fields are refused, so a typo cannot silently drop a restriction.
func ParseAPIKeys(r io.Reader) (*MemoryStore, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, configErr("API key file is larger than %d bytes", maxKeyFile)
	}
	var doc struct {
		Keys []APIKeyRecord `json:"keys"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, configErr("API key file: %v", err)
	}
	if dec.More() {
		return nil, configErr("API key file: data after the JSON object")
	}
	return NewMemoryStore(doc.Keys)
}

// LoadAPIKeysFile reads a JSON key file; see [ParseAPIKeys].
func LoadAPIKeysFile(path string) (*MemoryStore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	defer f.Close()
	s, err := ParseAPIKeys(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
