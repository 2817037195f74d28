// Sarama (Debian's golang-github-shopify-sarama-dev, built in GOPATH mode) against the bundled
// broker, driven by tests/integration/test_sarama.py. Each subcommand prints one JSON line.
//
//	client produce ADDR TOPIC N CODEC   (none, gzip, snappy, lz4, zstd)
//	client consume ADDR TOPIC GROUP N   (group member; marks and commits what it read)
//	client admin ADDR TOPIC
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Shopify/sarama"
)

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0 // the newest this Sarama knows that has zstd
	c.ClientID = "flumen-sarama-test"
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

func produce(addr, topic string, n int, codec string) {
	c := config()
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone,
		"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
		"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}
	cc, ok := codecs[codec]
	if !ok {
		fail(fmt.Errorf("unknown codec %s", codec))
	}
	c.Producer.Compression = cc
	p, err := sarama.NewSyncProducer([]string{addr}, c)
	if err != nil {
		fail(err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, 0, n)
	for i := 0; i < n; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic,
			Key: sarama.StringEncoder(strconv.Itoa(i)), Value: sarama.StringEncoder(codec + "-" + strconv.Itoa(i))})
	}
	if err := p.SendMessages(msgs); err != nil {
		fail(err)
	}
	emit(map[string]int{"produced": n})
}

type handler struct {
	want   int
	values []string
	done   chan struct{}
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.values = append(h.values, string(m.Value))
		s.MarkMessage(m, "")
		if len(h.values) == h.want {
			close(h.done)
			return nil
		}
	}
	return nil
}

func consume(addr, topic, group string, n int) {
	c := config()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	g, err := sarama.NewConsumerGroup([]string{addr}, group, c)
	if err != nil {
		fail(err)
	}
	h := &handler{want: n, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "consume:", err)
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
		fail(fmt.Errorf("read %d of %d messages", len(h.values), n))
	}
	cancel()
	// Close commits the marked offsets (and leaves the group).
	if err := g.Close(); err != nil {
		fail(err)
	}
	emit(map[string][]string{"values": h.values})
}

func admin(addr, topic string) {
	a, err := sarama.NewClusterAdmin([]string{addr}, config())
	if err != nil {
		fail(err)
	}
	defer a.Close()
	retention := "3600000"
	if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false); err != nil {
		fail(err)
	}
	bogus := "1"
	badErr := a.CreateTopic(topic+"-bad", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"no.such.config": &bogus}}, false)
	topics, err := a.ListTopics()
	if err != nil {
		fail(err)
	}
	entries, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic,
		ConfigNames: []string{"retention.ms"}})
	if err != nil {
		fail(err)
	}
	described := map[string]string{}
	for _, e := range entries {
		described[e.Name] = e.Value
	}
	meta, err := a.DescribeTopics([]string{topic})
	if err != nil {
		fail(err)
	}
	if err := a.DeleteTopic(topic); err != nil {
		fail(err)
	}
	after, err := a.ListTopics()
	if err != nil {
		fail(err)
	}
	_, stillThere := after[topic]
	bad := ""
	if badErr != nil {
		bad = badErr.Error()
	}
	emit(map[string]interface{}{"partitions": topics[topic].NumPartitions,
		"listed_configs": topics[topic].ConfigEntries, "described": described,
		"metadata_partitions": len(meta[0].Partitions), "deleted": !stillThere, "bad_config": bad})
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: client produce|consume|admin ADDR ..."))
	}
	switch os.Args[1] {
	case "produce":
		n, _ := strconv.Atoi(os.Args[4])
		produce(os.Args[2], os.Args[3], n, os.Args[5])
	case "consume":
		n, _ := strconv.Atoi(os.Args[5])
		consume(os.Args[2], os.Args[3], os.Args[4], n)
	case "admin":
		admin(os.Args[2], os.Args[3])
	default:
		fail(fmt.Errorf("unknown command %s", os.Args[1]))
	}
}
