package redistest

import "strings"

// slotCount is the number of hash slots in a Redis Cluster.
const slotCount = 16384

// Slot returns the cluster hash slot of key: CRC16 (XMODEM) of the key, or
// of its hash tag — the text between the first '{' and the next '}' when
// that text is not empty — modulo 16384, as the Redis Cluster specification
// defines it.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key)) % slotCount
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), bit by bit:
// keys in tests are short, so a table buys nothing worth its 512 bytes.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
