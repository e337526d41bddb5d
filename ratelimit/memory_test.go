package ratelimit

import "testing"

// TestMemShardSweep: a full shard drops only keys whose buckets are full
// again, refuses new keys without rescanning until a sixteenth of it will
// have freed up, and after a sweep that freed plenty, counts the keys
// inserted since when it next fills.
func TestMemShardSweep(t *testing.T) {
	t.Parallel()
	const maxKeys = 32 // a sixteenth is 2 keys
	// testShard is a shard whose keys are 1, 2, 3… in insertion order.
	type testShard struct {
		memShard
		next memKey
	}
	// put inserts a new one-policy key expiring at exp, as take does.
	put := func(sh *testShard, now, exp int64) (ok bool, wait int64) {
		tb := &sh.t[0]
		sh.next++
		j, wait := sh.insert(tb, 2, sh.next, now, maxKeys)
		if j < 0 {
			return false, wait
		}
		tb.words[j+1] = exp
		return true, 0
	}
	t.Run("refuses until a sixteenth frees up", func(t *testing.T) {
		t.Parallel()
		var sh testShard
		for i := range maxKeys {
			if ok, _ := put(&sh, 1, 1000+int64(i)*10); !ok {
				t.Fatalf("key %d refused by a shard with room", i)
			}
		}
		if ok, wait := put(&sh, 1, 5000); ok || wait != 1009 {
			t.Fatalf("full shard at 1: got %v, wait %d; want refused until 1010, when 2 keys have expired", ok, wait)
		}
		// At 1005 one key has expired, but the shard does not rescan yet.
		if ok, wait := put(&sh, 1005, 5000); ok || wait != 5 || sh.n != maxKeys {
			t.Fatalf("full shard at 1005: got %v, wait %d, %d keys; want refused for 5 more without a sweep", ok, wait, sh.n)
		}
		if ok, _ := put(&sh, 1010, 5000); !ok || sh.n != maxKeys-1 {
			t.Fatalf("full shard at 1010: got %v, %d keys; want 2 expired keys dropped and the new key in", ok, sh.n)
		}
		// The keys that owe time are all still there.
		for k := memKey(3); k <= maxKeys; k++ {
			if j := sh.t[0].find(k); memKey(sh.t[0].words[j]) != k {
				t.Fatalf("key %d, which still owes time, was dropped", k)
			}
		}
	})
	t.Run("a large sweep forgets its estimate", func(t *testing.T) {
		t.Parallel()
		var sh testShard
		put(&sh, 1, 1e9) // one key that owes time for long
		for range maxKeys - 1 {
			put(&sh, 1, 100)
		}
		if ok, _ := put(&sh, 200, 300); !ok {
			t.Fatal("new key at 200: refused, want the 31 expired keys dropped")
		}
		for sh.n < maxKeys {
			put(&sh, 200, 300)
		}
		// The keys inserted at 200 have expired by 400: the long-lived key
		// must not hold the shard shut until 1e9.
		if ok, wait := put(&sh, 400, 500); !ok {
			t.Fatalf("new key at 400: refused for %d, want the keys expired at 300 dropped", wait)
		}
	})
}
