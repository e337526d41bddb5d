package redistest

import (
	"fmt"
	"net"
	"strconv"
)

// busOffset is the distance from a cluster node's client port to its
// cluster bus port, fixed by Redis.
const busOffset = 10000

// reservedPort is the conventional Redis port. The machine may run a shared
// Redis there; the helper never hands it out, nor a port whose bus would be
// that Redis's bus.
const reservedPort = 6379

// freePort asks the kernel for a free loopback port. When withBus is set the
// port's cluster bus (port+10000) must be free as well. The port is released
// before redis-server binds it, so another process can take it in between;
// the caller detects that from redis-server's log and tries another.
func freePort(withBus bool) (int, error) {
	const attempts = 50
	for range attempts {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("redistest: find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port == reservedPort || port == reservedPort+busOffset {
			l.Close()
			continue
		}
		if !withBus {
			l.Close()
			return port, nil
		}
		if port+busOffset > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+busOffset))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, fmt.Errorf("redistest: no free loopback port found in %d attempts", attempts)
}
