// Package pubsubapi is the Go code of Salesforce's Pub/Sub API (the gRPC
// service eventbus.v1.PubSub), generated from pubsub_api.proto, plus the
// encoding of the changedFields, nulledFields and diffFields bitmaps of
// Change Data Capture events (bitmap.go), which both ferry's subscriber and
// the Salesforce emulator use.
//
// # Regenerating
//
// The generated files pubsub_api.pb.go and pubsub_api_grpc.pb.go are
// committed. After changing pubsub_api.proto, install the compilers once:
//
//	apt-get install -y protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
//
// and run, in this directory, go generate (which runs the command below with
// $HOME/go/bin on the PATH).
package pubsubapi

//go:generate sh -c "PATH=$PATH:$HOME/go/bin protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative pubsub_api.proto"
