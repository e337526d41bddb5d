package openapi

// Placeholder until the request side lands (issue #15).
type enforcer struct{}

func newEnforcer(*document, *Config) (*enforcer, error) { return &enforcer{}, nil }
