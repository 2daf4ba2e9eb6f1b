package main

import (
	"context"
	"log"
	"net"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	pb "istio.io/api/security/v1alpha1"
	"istio.io/istio/pkg/security"
	"istio.io/istio/security/pkg/pki/ca"
	"istio.io/istio/security/pkg/pki/util"
	caserver "istio.io/istio/security/pkg/server/ca"
)

// headerAuth stands in for istiod's JWT and certificate authenticators:
// the caller's identity comes from a gRPC metadata header.
type headerAuth struct{}

func (headerAuth) AuthenticatorType() string { return "FixtureAuthenticator" }

func (headerAuth) Authenticate(ac security.AuthContext) (*security.Caller, error) {
	md, _ := metadata.FromIncomingContext(ac.GrpcContext)
	if ids := md.Get("x-fixture-identity"); len(ids) > 0 {
		return &security.Caller{AuthSource: security.AuthSourceIDToken, Identities: ids}, nil
	}
	return nil, errNoIdentity
}

type noIdentity struct{}

func (noIdentity) Error() string { return "no identity" }

var errNoIdentity = noIdentity{}

// startCA builds istiod's self-signed CA (istio/istio
// security/pkg/pki/ca/ca.go, the default CA mode: a root, no cert chain)
// and its CA service (security/pkg/server/ca/server.go), and calls
// CreateCertificate twice a second as workloads do; every failEvery-th
// CSR fails, alternately unauthenticated and malformed. citadel_server_*
// then move as in istiod.
func startCA(ctx context.Context, failEvery int) {
	opts, err := ca.NewSelfSignedDebugIstioCAOptions("", 10*365*24*time.Hour, 24*time.Hour, 48*time.Hour, "cluster.local", 2048)
	if err != nil {
		log.Fatalf("CA options: %v", err)
	}
	istioCA, err := ca.NewIstioCA(opts)
	if err != nil {
		log.Fatalf("CA: %v", err)
	}
	srv, err := caserver.New(istioCA, time.Hour, []security.Authenticator{headerAuth{}}, nil)
	if err != nil {
		log.Fatalf("CA server: %v", err)
	}
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			id := "spiffe://cluster.local/ns/shop/sa/" + apps[i%len(apps)]
			csr, _, err := util.GenCSR(util.CertOptions{Host: id, ECSigAlg: util.EcdsaSigAlg})
			if err != nil {
				log.Printf("GenCSR: %v", err)
				continue
			}
			pctx := peer.NewContext(ctx, &peer.Peer{
				Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000 + i%1000}, AuthInfo: credentials.TLSInfo{},
			})
			req := &pb.IstioCertificateRequest{Csr: string(csr), ValidityDuration: 3600}
			authed := metadata.NewIncomingContext(pctx, metadata.Pairs("x-fixture-identity", id))
			switch {
			case failEvery > 0 && i%failEvery == failEvery-1 && (i/failEvery)%2 == 0:
				authed = pctx // unauthenticated
			case failEvery > 0 && i%failEvery == failEvery-1:
				req.Csr = "-----BEGIN CERTIFICATE REQUEST-----\nZm9v\n-----END CERTIFICATE REQUEST-----\n"
			}
			_, _ = srv.CreateCertificate(authed, req)
			if !sleep(ctx, 500*time.Millisecond) {
				return
			}
		}
	}()
}
