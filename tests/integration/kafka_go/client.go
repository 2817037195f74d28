// kafka-go 0.2.1 (Debian's golang-github-segmentio-kafka-go-dev, built in GOPATH mode: no module
// proxy) against the bundled broker, driven by tests/integration/test_legacy_kafka_clients.py.
// It speaks only the pre-0.11 message format (Produce v2 with magic-1 messages, Fetch v2,
// ListOffsets v1). Each subcommand prints one JSON line.
//
//	client produce ADDR TOPIC N CODEC   (none, gzip, snappy, lz4)
//	client consume ADDR TOPIC GROUP N   (a group member; commits what it read)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

func emit(v interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func produce(addr, topic string, n int, codec string) {
	cfg := kafka.WriterConfig{Brokers: []string{addr}, Topic: topic, Balancer: &kafka.Hash{},
		BatchSize: 50, BatchTimeout: 20 * time.Millisecond, RequiredAcks: -1}
	switch codec {
	case "gzip":
		cfg.CompressionCodec = gzip.NewCompressionCodec()
	case "snappy":
		cfg.CompressionCodec = snappy.NewCompressionCodec()
	case "lz4":
		cfg.CompressionCodec = lz4.NewCompressionCodec()
	}
	w := kafka.NewWriter(cfg)
	msgs := make([]kafka.Message, 0, n)
	for i := 0; i < n; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("car-%d", i%4)),
			Value: []byte(fmt.Sprintf("%s-%d", codec, i))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		fail("write", err)
	}
	if err := w.Close(); err != nil {
		fail("close", err)
	}
	emit(map[string]int{"produced": n})
}

func consume(addr, topic, group string, n int) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, GroupID: group,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 200 * time.Millisecond,
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second})
	values := []string{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Past n, a short look for records that should not be there (read twice).
		if len(values) >= n {
			deadline = time.Now().Add(1500 * time.Millisecond)
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		m, err := r.FetchMessage(ctx)
		cancel()
		if err != nil {
			break // the deadline
		}
		values = append(values, string(m.Value))
		ctx, cancel = context.WithTimeout(context.Background(), 15*time.Second)
		if err := r.CommitMessages(ctx, m); err != nil {
			fail("commit", err)
		}
		cancel()
	}
	r.Close()
	emit(map[string][]string{"values": values})
}

func main() {
	if len(os.Args) < 5 {
		fail("usage", fmt.Errorf("client produce|consume ADDR TOPIC ..."))
	}
	cmd, addr, topic := os.Args[1], os.Args[2], os.Args[3]
	switch cmd {
	case "produce":
		n, _ := strconv.Atoi(os.Args[4])
		produce(addr, topic, n, os.Args[5])
	case "consume":
		n, _ := strconv.Atoi(os.Args[5])
		consume(addr, topic, os.Args[4], n)
	default:
		fail("usage", fmt.Errorf("unknown subcommand %s", cmd))
	}
}
