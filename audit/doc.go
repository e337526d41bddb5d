// Package audit writes one SIEM-ready security event per request, and per
// application event, on log/slog, with fan-out to several sinks through
// github.com/samber/slog-multi. Secrets are never logged.
//
// # What it protects against
//
// Undetected abuse: failed logins, denials, floods and admin actions that
// nobody recorded, or recorded in a form the SIEM cannot read. And attacks
// on the log itself: secrets read from it, lines forged into it through
// user input, events lost under a flood, and lines edited afterwards.
//
// # The event
//
// [Auditor.Handler] emits one event when the request completes, from the
// request record that auth, authz, ratelimit, validate and errors fill in:
// the time (UTC, RFC 3339 with nanoseconds), request ID, method, route
// pattern, path (query values redacted by default), status, duration, bytes
// in and out, client IP (through trusted proxies, with the resolver
// ratelimit uses), user agent (truncated), principal (subject, issuer,
// client ID, method), every decision with its reason, the problem's reason
// and the outcome. Field names follow the Elastic Common Schema by default,
// so Elastic, OpenSearch and most SIEMs ingest the lines as they are:
//
//	{"log.level":"warn","message":"authz_fail","@timestamp":"2026-11-24T08:25:49.854239338Z",
//	 "ecs":{"version":"8.11.0"},
//	 "event":{"kind":"event","category":["iam","api","web"],"type":["access","denied"],
//	          "action":"authz_fail","outcome":"failure","reason":"forbidden","duration":24877,…},
//	 "http":{"request":{"method":"GET","id":"01M86…"},"response":{"status_code":403,…}},
//	 "url":{"path":"/v1/items/1","query":"limit=[REDACTED]"},"source":{"ip":"192.0.2.1"},
//	 "user_agent":{"original":"curl/8.5"},"user":{"id":"alice"},
//	 "apishield":{"route":"GET /v1/items/{id}","principal":{…},
//	              "decisions":[{"package":"authz","outcome":"deny",…}]}}
//
// Every key is an ECS 8.11 field or lies under apishield, and event.type
// holds only types that the line's event.category expects; the tests check
// every kind of event against ECS's own field list. ECS has no field for
// the route pattern, so it is apishield.route.
//
// The request ID (http.request.id; api.request.uid in OCSF) is the one the
// response carries in X-Request-ID: minted for the request, or set by a
// proxy that errors.Config.TrustedProxies trusts. An X-Request-ID from
// anyone else is the client's word, so it is never the event's request ID:
// if it is 1 to 64 characters of [A-Za-z0-9._-] it is logged as
// apishield.client_request_id (unmapped.client_request_id in OCSF), so a
// client cannot forge or collide request IDs in the SIEM. An auditor used
// without a Responder in front trusts no X-Request-ID at all.
//
// Config.Schema = OCSF writes OCSF 1.3.0 events instead, each in the class
// that fits it: a request, and an application event logged inside one, is
// API Activity (class 6003; the route is api.operation, the caller actor,
// an anonymous one a user of type Anonymous); an application event logged
// outside any request is Base Event (class 0), since no API call was made;
// a brute-force alert is a Detection Finding (class 2004). apishield's own
// fields go under unmapped, the level under metadata.log_level (OCSF has
// no top-level level, so NewJSONHandler writes none), and the request ID
// also under metadata.correlation_uid, which joins a request, the events
// logged inside it and the alert it raised. The tests validate every kind
// of event against the OCSF schema's own files. Two things OCSF 1.3.0
// cannot hold are ours: http_request.http_method lists no PATCH (nor
// extension methods), which go to unmapped.http_method, and API Activity
// has no response size (unmapped.bytes_out). An application event inside a
// request whose client IP no package resolved (ratelimit and ipfilter do)
// has src_endpoint.name "unknown".
//
// A request that reached a deprecated route, or was refused past its
// sunset, is tagged [TagDeprecatedRoute] ("deprecated_route") in ECS tags
// and OCSF metadata.labels, beside the decision of package deprecation
// and the principal: one term query lists the callers still to be told.
//
// Event names (event.action) come from the OWASP Logging Vocabulary: a
// request is excess_rate_limit_exceeded, authn_login_fail, authz_fail or
// input_validation_fail when that package denied it (in that order of
// precedence; authn_token_reuse rather than authn_login_fail when auth
// refused a revoked credential, which counts as an authentication failure
// all the same), authz_admin when it succeeded under Config.AdminPaths,
// and http_request otherwise. A request for an object that does not exist (an
// authz Owner resolver found none) is not_found, ranked below authz_fail
// and above input_validation_fail: it is no access-control failure, so
// alerts on authz_fail, which still gets requests for someone else's
// object, stay clean, though the client gets the same 404 for both.
// [Auditor.Log] writes application events (admin actions, role changes,
// logins the application checks itself) with any name, preferably one of
// the Action constants.
//
// # Wiring
//
// Place the auditor right inside errors.Recover, so it sees every denial:
//
//	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(os.Stdout, nil)}})
//	defer aud.Close(context.Background()) // flushes
//
//	// ServeMux
//	http.ListenAndServe(addr, apierrors.Recover(aud.Handler(apierrors.Mux(mux))))
//	// chi
//	r.Use(apierrors.Recover, aud.Handler)
//	// gorilla/mux
//	r.Use(apierrors.Recover, aud.Handler)
//
// Several sinks: list them in Config.Handlers (they are fanned out with
// slogmulti.Fanout), for example JSON to a file and to stdout.
//
// # Routes
//
// The route pattern comes from the record (authz and ratelimit set it when
// they learn it), else from Request.Pattern, else from chi's route context:
//
//   - ServeMux sets Pattern on the *http.Request it serves. The auditor sees
//     it when the mux (or errors.Mux around it) gets the request apishield's
//     middleware handed on, its copies included (auth's, which carries the
//     principal). A middleware of the application's that calls
//     r.WithContext in between hands the mux a copy the auditor never sees;
//     wrap the mux in [Routes] and the pattern reaches the record anyway.
//   - chi: use the auditor in r.Use, where chi's route context is visible
//     after the handler returns. A chi router mounted inside the auditor
//     keeps its context to itself.
//   - gorilla/mux: call [SetRoute] from a middleware inside the router with
//     mux.CurrentRoute(r).GetPathTemplate(); gorilla keeps its match in a
//     request copy the auditor never sees.
//
// Patterns without a method (chi's, or ServeMux patterns registered without
// one) are logged with the request's method in front.
//
// # Delivery
//
// The request path copies a few fields into a pooled entry and sends it to
// a bounded queue; a background writer encodes and writes, draining the
// queue every 2ms (sooner when a quarter of it is used), so events reach
// the sinks within milliseconds and a request never pays to wake the
// writer. By default the
// request never waits: when the sinks fall behind and the queue is full,
// the event is dropped, counted in Stats().Dropped and reported to
// Config.OnDrop. With Config.Blocking the request waits for room instead,
// so nothing is lost. Sink errors are counted in Stats().SinkErrors and
// passed to Config.OnError: the auditor calls the handlers itself, because
// slog.Logger discards their errors. [Auditor.Close] flushes the queue on
// shutdown; events after Close are written synchronously.
//
// # Repeated refusals
//
// A flood of requests without any credential, or over a rate limit, from
// one client on one route, tells nothing new after its first request, yet
// would cost an event each: the first gets its event, and those that
// repeat it within a second are counted into one summary event written
// when the second ends (apishield.repeated.count in ECS, count in OCSF).
// Stats, metrics and the brute-force monitor still count every request;
// refusals of a bad credential are never summarised. [Repeats] configures
// it.
//
// # Tamper evidence
//
// With Config.ChainKey every event carries apishield.chain: a random chain
// ID, a sequence number, prev_hash (the previous event's HMAC) and an
// HMAC-SHA256 over the event's canonical form. [Verify], and the command
// audit/cmd/auditverify, detect an edited, removed, inserted, duplicated
// or reordered line. Lines must reach the file as the auditor wrote them:
// a handler that adds fields (WithAttrs) makes every line fail.
//
// # Monitoring
//
// N authentication failures from one client IP, or for one user, within a
// window raise one authn_brute_force_suspected alert per key and window
// ([BruteForce]; on by default: 10 per minute). [Auditor.Stats] counts
// requests by outcome and reason, auth failures, denials, objects not found,
// rate-limited and validation failures, alerts, drops and sink errors;
// Config.ExpvarName publishes them through expvar.
//
// The auditor also reports through the OpenTelemetry API to
// Config.MeterProvider (the global provider if nil), under the scope
// github.com/apishield/apishield/audit; nothing is recorded until the
// application installs an SDK: apishield.audit.queue.depth (a gauge of the
// events waiting for the writer), apishield.audit.dropped (a counter of
// events dropped because the queue was full), apishield.audit.write.duration
// (a histogram in seconds of writing one event, and the alerts it raised,
// to every handler, with attribute format: ecs or ocsf),
// apishield.audit.alerts (a counter with attribute kind: brute_force) and
// apishield.audit.repeated (a counter of requests counted into a summary of
// repeated refusals). All but the write duration are read from the auditor
// when the SDK collects, so they cost the request path nothing.
//
// # Security
//
// Never logged: request and response headers (only the user agent, and
// headers listed in Config.Headers, which must not be on the deny-list),
// bodies, and the values of query parameters (unless LogQueryValues) and
// event fields whose names are on the deny-list (authorization, cookie,
// API keys, tokens, passwords, secrets, sessions, and Config.Redact). In
// every logged value these are masked: JWTs (and any word starting eyJ,
// base64url JSON), credentials after an HTTP auth scheme (Bearer, Basic,
// …; also after a tab, a newline or a URL-encoded space), key=value pairs
// with a deny-listed key, words starting with one of Config.SecretPrefixes,
// long random-looking words, PEM private key blocks (to their END line,
// or to the end of the value when it is missing), and well-known vendor
// tokens, each recognised by its prefix at the start of a word (after a
// character that is not a letter or digit, or after %XX) and a body of
// its own alphabet and length, so that ordinary words with the same start
// are left alone:
//
//	Slack       xoxb- xoxp- xoxa- xoxr- xoxs- xoxe- xapp-  10+ of [A-Za-z0-9-], with a digit
//	GitHub      ghp_ gho_ ghu_ ghs_ ghr_  30+ of [A-Za-z0-9]; github_pat_  22+ of [A-Za-z0-9_]
//	GitLab      glpat-  20+ of [A-Za-z0-9_-]
//	Stripe      sk_live_ rk_live_ sk_test_ rk_test_  10+ of [A-Za-z0-9]
//	AWS         AKIA ASIA  exactly 16 of [A-Z0-9]
//	Google      AIza  35+ of [A-Za-z0-9_-]
//	npm         npm_  36+ of [A-Za-z0-9]
//	OpenAI-style sk-  20+ of [A-Za-z0-9_-], with upper case, lower case and a digit
//	Twilio      SK  exactly 32 hex digits
//	SendGrid    SG.  16+ and 16+ of [A-Za-z0-9_-], joined by a dot
//
// Masking reads at most 8 KiB past a value's size limit, and costs time
// linear in what it reads, so a value built to be slow to mask is not. Control
// characters, CR and LF, bidi overrides (U+202E) and other invisible format
// characters are escaped, long values truncated, and values can never
// create fields: they are JSON strings, and application attributes live
// under their own group with reduced keys.
//
// What it does not do: it cannot recognise a secret that has no telltale
// shape (a short password in free text with no key in front of it, an API
// key of an unlisted vendor without a configured prefix and under 32
// characters, a token glued to the word before it): keep those out of the
// record and of event messages. The hash chain cannot show lines cut
// from the end of a log, and anyone holding the chain key can forge a
// chain; ship logs off the host as they are written and keep the key away
// from them. Events dropped in async mode are counted, not recovered: use
// Blocking where every event must be kept. Brute-force detection runs on
// the writer and does not see dropped events.
package audit
