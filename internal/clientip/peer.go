package clientip

// TrustsPeer reports whether the socket peer remoteAddr (in the form of
// http.Request.RemoteAddr) is inside one of r's trusted proxy networks: the
// one test of "this connection comes from our proxy" for anything a proxy
// vouches for besides the forwarding header, such as the X-Request-ID it
// sets. A nil or zero Resolver trusts nobody, and a peer that is not an IP
// address (a unix socket) is never trusted.
func (r *Resolver) TrustsPeer(remoteAddr string) bool {
	if r == nil || len(r.trusted) == 0 {
		return false
	}
	peer := ParseRemoteAddr(remoteAddr)
	return peer.IsValid() && r.isTrusted(peer)
}
