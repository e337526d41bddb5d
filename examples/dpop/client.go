package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/apishield/apishield/auth/authtest"
)

// walkthrough plays the client that holds the DPoP key and a thief that
// copied its token and one of its requests, and prints the API's answers.
func walkthrough(out io.Writer, origin string, dev *authtest.Issuer) error {
	key, err := authtest.NewDPoPKey("ES256") // the client's key; a real client keeps it unexportable
	if err != nil {
		return err
	}
	thiefKey, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		return err
	}
	// The token the issuer bound to the client's key (cnf.jkt).
	token := dev.Token(authtest.Claims{Subject: "alice", Extra: map[string]any{"cnf": key.Confirmation()}})
	items := origin + "/v1/items"

	var nonce string
	failed := 0
	step := func(who, what, method, scheme, proof string, want int) *http.Response {
		req, _ := http.NewRequest(method, items, nil)
		req.Header.Set("Authorization", scheme+" "+token)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(out, "  %-6s %-58s error: %v\n", who, what, err)
			failed++
			return nil
		}
		defer resp.Body.Close()
		var body struct{ Reason, Subject, Binding string }
		json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
		said := body.Reason
		if resp.StatusCode == http.StatusOK {
			said = "subject " + body.Subject + ", binding " + body.Binding
		}
		mark := "as expected"
		if resp.StatusCode != want {
			mark = fmt.Sprintf("WANT %d", want)
			failed++
		}
		fmt.Fprintf(out, "  %-6s %-58s %d %-28s %s\n", who, what, resp.StatusCode, said, mark)
		if n := resp.Header.Get("DPoP-Nonce"); n != "" {
			nonce = n // a client keeps the newest nonce for its next proof
		}
		return resp
	}

	fmt.Fprintln(out, "The client, with its key:")
	step("client", "a proof without the server's nonce", "GET", "DPoP", key.Proof("GET", items, token, ""), 401)
	if nonce == "" {
		return errors.New("the API sent no DPoP-Nonce with use_dpop_nonce")
	}
	proof := key.Proof("GET", items, token, nonce)
	step("client", "again, with the nonce the API sent", "GET", "DPoP", proof, 200)
	step("client", "the next request, a fresh proof", "GET", "DPoP", key.Proof("GET", items, token, nonce), 200)

	fmt.Fprintln(out, "A thief, with the client's token and one of its requests:")
	step("thief", "the token as a bearer token", "GET", "Bearer", "", 401)
	step("thief", "the token with a proof of the thief's own key", "GET", "DPoP", thiefKey.Proof("GET", items, token, nonce), 401)
	step("thief", "the client's request replayed, proof and all", "GET", "DPoP", proof, 401)
	step("thief", "the client's proof on another method", "DELETE", "DPoP", proof, 401)

	if failed > 0 {
		return fmt.Errorf("%d answers were not the expected ones", failed)
	}
	fmt.Fprintln(out, "\nEvery answer as expected: the token is worthless without the key.")
	return nil
}
