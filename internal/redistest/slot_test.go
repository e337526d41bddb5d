package redistest

import "testing"

func TestCRC16(t *testing.T) {
	t.Parallel()
	// The check value of CRC-16/XMODEM, quoted in the Redis Cluster spec.
	if got := crc16("123456789"); got != 0x31C3 {
		t.Errorf("crc16(%q) = %#04x, want 0x31c3", "123456789", got)
	}
}

func TestSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, sameAs string
	}{
		// Hash tag rules from the Redis Cluster specification.
		{"{user1000}.following", "user1000"},
		{"{user1000}.followers", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"}, // empty first tag: the whole key
		{"foo{{bar}}zap", "{bar"},    // tag runs to the first '}'
		{"foo{bar}{zap}", "bar"},     // only the first tag counts
		{"{}", "{}"},
		{"}{x}", "x"},
		{"no tag", "no tag"},
	}
	for _, tt := range tests {
		if got, want := Slot(tt.key), int(crc16(tt.sameAs))%slotCount; got != want {
			t.Errorf("Slot(%q) = %d, want %d (slot of %q)", tt.key, got, want, tt.sameAs)
		}
	}
	// Known slot: redis-cli CLUSTER KEYSLOT foo → 12182.
	if got := Slot("foo"); got != 12182 {
		t.Errorf("Slot(%q) = %d, want 12182", "foo", got)
	}
}
