package flumen.test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Checks a Kafka broker with the reference Java client and prints what it saw as one JSON
 * object on the last line of stdout. The same run against flumen's broker and against Apache
 * Kafka must print the same object (test_java_client.py compares them), so the output holds
 * only what a correct broker determines: counts, offsets, values, error class names, config
 * values and sources; never times, ids or messages.
 *
 * <p>Usage: Client BOOTSTRAP CHECK PREFIX, CHECK one of codecs, idempotent, group, admin, all.
 */
public final class Client {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};

  private final String bootstrap;
  private final String prefix;

  private Client(String bootstrap, String prefix) {
    this.bootstrap = bootstrap;
    this.prefix = prefix;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[1].equals("steady")) {
      System.out.println(Json.write(new Client(args[0], args[2]).steady(Integer.parseInt(args[3]))));
      System.exit(0);
    }
    if (args.length >= 5 && args[1].equals("create-topic")) {
      System.out.println(Json.write(createTopic(args)));
      System.exit(0);
    }
    if (args.length != 3) {
      System.err.println("usage: Client BOOTSTRAP codecs|idempotent|group|admin|config_ops|records|offsets|group_admin|variants|transactions|authz|broker_defaults|all|after_restart PREFIX\n"
          + "       Client BOOTSTRAP create-topic NAME PARTITIONS REPLICAS [CONFIG=VALUE...]\n"
          + "       Client BOOTSTRAP steady TOPIC COUNT");
      System.exit(2);
    }
    Client c = new Client(args[0], args[2]);
    Map<String, Object> out = new LinkedHashMap<>();
    String check = args[1];
    boolean all = check.equals("all");
    if (all || check.equals("codecs")) out.put("codecs", guarded(c::codecs));
    if (all || check.equals("idempotent")) out.put("idempotent", guarded(c::idempotent));
    if (all || check.equals("group")) out.put("group", guarded(c::group));
    if (all || check.equals("admin")) out.put("admin", guarded(c::adminChecks));
    if (all || check.equals("config_ops")) out.put("config_ops", guarded(c::configOps));
    if (all || check.equals("records")) out.put("records", guarded(c::records));
    if (all || check.equals("offsets")) out.put("offsets", guarded(c::offsets));
    if (all || check.equals("group_admin")) out.put("group_admin", guarded(c::groupAdmin));
    if (all || check.equals("variants")) out.put("variants", guarded(c::variants));
    if (all || check.equals("transactions")) out.put("transactions", guarded(c::transactions));
    if (all || check.equals("authz")) out.put("authz", guarded(c::authz));
    // Last: it changes cluster-wide defaults (and puts them back).
    if (all || check.equals("broker_defaults")) {
      out.put("broker_defaults", guarded(c::brokerDefaults));
    }
    // After a broker restart, on the groups the other checks left (not part of "all").
    if (check.equals("after_restart")) out.put("after_restart", guarded(c::afterRestart));
    System.out.println(Json.write(out));
    System.out.flush();
    // Client threads (metadata, heartbeat) must not keep the JVM alive after the answer.
    System.exit(0);
  }

  /** A topic for other tests (a replicated one on a real cluster), with its configs, once
   * every partition has a leader. */
  private static Map<String, Object> createTopic(String[] args) throws Exception {
    Map<String, String> configs = new LinkedHashMap<>();
    for (int i = 5; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      configs.put(kv[0], kv[1]);
    }
    Client c = new Client(args[0], "");
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = c.admin()) {
      NewTopic nt = new NewTopic(args[2], Integer.parseInt(args[3]), Short.parseShort(args[4]))
          .configs(configs);
      out.put("create", outcome(() -> admin.createTopics(List.of(nt)).all().get()));
      waitWritable(admin, args[2], Integer.parseInt(args[3]));
    }
    return out;
  }

  interface Check {
    Map<String, Object> run() throws Exception;
  }

  /** A check that throws reports the exception's class, so one bad section keeps the rest. */
  private static Object guarded(Check check) {
    try {
      return check.run();
    } catch (Exception e) {
      e.printStackTrace();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("exception", rootName(e));
      return m;
    }
  }

  /** The exception behind a future's wrapper: what the broker's error code maps to. */
  private static String rootName(Throwable e) {
    while ((e instanceof ExecutionException
            || e instanceof java.util.concurrent.CompletionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e.getClass().getSimpleName();
  }

  // ---------------------------------------------------------------------------------------
  private Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "flumen-java-check");
    return p;
  }

  private Admin admin() {
    Properties p = common();
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    return Admin.create(p);
  }

  private KafkaProducer<String, String> producer(Map<String, String> extra) {
    Properties p = common();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "16384");
    // Generous: a loaded 2-core machine runs both brokers and both clients at once.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
    p.putAll(extra);
    return new KafkaProducer<>(p);
  }

  private KafkaConsumer<String, String> consumer(String group) {
    return consumer(group, new Properties());
  }

  private KafkaConsumer<String, String> consumer(String group, Properties extra) {
    Properties p = common();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CHECK_CRCS_CONFIG, "true");
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
      p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    }
    p.putAll(extra);
    return new KafkaConsumer<>(p);
  }

  private void create(Admin admin, String topic, int partitions) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    waitWritable(admin, topic, partitions);
  }

  /** Until every partition has a leader that serves it. Kafka names a leader in its metadata
   * before that broker has created the partition's log (it answers NOT_LEADER_OR_FOLLOWER
   * meanwhile), and an idempotent producer whose first batches meet that can be stuck on
   * OUT_OF_ORDER_SEQUENCE_NUMBER until it times out (seen under load): ListOffsets succeeds only
   * once the leader has the log. */
  private static void waitWritable(Admin admin, String topic, int partitions)
      throws InterruptedException {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> specs = new HashMap<>();
    for (int i = 0; i < partitions; i++) {
      specs.put(new TopicPartition(topic, i), org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    waitFor(() -> {
      try {
        admin.listOffsets(specs).all().get();
        return true;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Reads a whole partition set from the beginning until `want` records or the deadline. */
  private static List<ConsumerRecord<String, String>> readAll(
      KafkaConsumer<String, String> c, Collection<TopicPartition> parts, int want) {
    c.assign(parts);
    c.seekToBeginning(parts);
    return pollUntil(c, want);
  }

  private static List<ConsumerRecord<String, String>> pollUntil(
      KafkaConsumer<String, String> c, int want) {
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (got.size() < want && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r);
    }
    // A little longer, so records beyond `want` (duplicates) show up too.
    long extra = System.nanoTime() + Duration.ofMillis(500).toNanos();
    while (System.nanoTime() < extra) {
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) got.add(r);
    }
    return got;
  }

  private static void waitFor(Supplier<Boolean> ok) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!ok.get()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("timed out");
      Thread.sleep(100);
    }
  }

  private static String header(ConsumerRecord<String, String> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------
  /** Each codec: 300 keyed records with a header, acks=all; offsets 0..299 in send order; read
   * back with CRC checks, every key, value, header and CreateTime timestamp as sent. */
  private Map<String, Object> codecs() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    final int n = 300;
    try (Admin admin = admin()) {
      for (String codec : CODECS) {
        String topic = prefix + "-codec-" + codec;
        create(admin, topic, 1);
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        List<Long> stamps = new ArrayList<>();
        try (KafkaProducer<String, String> p =
            producer(Map.of("acks", "all", "compression.type", codec))) {
          for (int i = 0; i < n; i++) {
            long ts = 1_700_000_000_000L + i * 10L;
            stamps.add(ts);
            ProducerRecord<String, String> rec =
                new ProducerRecord<>(topic, 0, ts, "k" + i, codec + "-" + i + "-" + "x".repeat(i % 50));
            rec.headers().add("n", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            acks.add(p.send(rec));
          }
          p.flush();
        }
        boolean inOrder = true;
        for (int i = 0; i < n; i++) inOrder &= acks.get(i).get().offset() == i;
        List<ConsumerRecord<String, String>> got;
        try (KafkaConsumer<String, String> c = consumer(null)) {
          got = readAll(c, List.of(new TopicPartition(topic, 0)), n);
        }
        boolean same = got.size() == n;
        for (int i = 0; same && i < n; i++) {
          ConsumerRecord<String, String> r = got.get(i);
          same = r.offset() == i && r.key().equals("k" + i)
              && r.value().equals(codec + "-" + i + "-" + "x".repeat(i % 50))
              && Integer.toString(i).equals(header(r, "n")) && r.timestamp() == stamps.get(i);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("acked", acks.size());
        m.put("offsets_in_order", inOrder);
        m.put("read", got.size());
        m.put("same", same);
        out.put(codec, m);
      }
    }
    return out;
  }

  /** The idempotent producer (acks=all, 5 in flight) over 3 partitions, then a second one:
   * every record once, in send order per partition. */
  private Map<String, Object> idempotent() throws Exception {
    String topic = prefix + "-idem";
    final int n = 3000;
    Map<Integer, List<String>> sent = new TreeMap<>();
    try (Admin admin = admin()) {
      create(admin, topic, 3);
    }
    Map<String, String> conf = Map.of("enable.idempotence", "true", "acks", "all",
        "max.in.flight.requests.per.connection", "5", "compression.type", "lz4",
        "linger.ms", "1", "batch.size", "2048");
    int acked = 0;
    for (int round = 0; round < 2; round++) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      try (KafkaProducer<String, String> p = producer(conf)) {
        for (int i = 0; i < n / 2; i++) {
          int part = i % 3;
          String v = "r" + round + "-" + i;
          sent.computeIfAbsent(part, k -> new ArrayList<>()).add(v);
          acks.add(p.send(new ProducerRecord<>(topic, part, "key" + i, v)));
        }
        p.flush();
      }
      for (Future<RecordMetadata> f : acks) {
        f.get();
        acked++;
      }
    }
    List<TopicPartition> parts = List.of(new TopicPartition(topic, 0),
        new TopicPartition(topic, 1), new TopicPartition(topic, 2));
    List<ConsumerRecord<String, String>> got;
    try (KafkaConsumer<String, String> c = consumer(null)) {
      got = readAll(c, parts, n);
    }
    Map<Integer, List<String>> read = new TreeMap<>();
    Set<String> distinct = new HashSet<>();
    for (ConsumerRecord<String, String> r : got) {
      read.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.value());
      distinct.add(r.value());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("acked", acked);
    out.put("read", got.size());
    out.put("duplicates", got.size() - distinct.size());
    out.put("in_send_order", read.equals(sent));
    return out;
  }

  /** A group: read everything and commit, close; more records; a new consumer in the group
   * resumes at the commit; the committed offsets and the empty group as the admin sees them;
   * then two members at once split the partitions. */
  private Map<String, Object> group() throws Exception {
    String topic = prefix + "-grp";
    String group = prefix + "-fleet";
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      create(admin, topic, 3);
      produceValues(topic, 0, 300);
      try (KafkaConsumer<String, String> c = consumer(group)) {
        c.subscribe(List.of(topic));
        List<ConsumerRecord<String, String>> first = pollUntil(c, 300);
        out.put("first_read", first.size());
        out.put("first_distinct", distinctValues(first).size());
        c.commitSync();
        long committed = 0;
        Map<TopicPartition, OffsetAndMetadata> cm = c.committed(new HashSet<>(c.assignment()));
        for (OffsetAndMetadata o : cm.values()) committed += o == null ? 0 : o.offset();
        out.put("committed_after_first", committed);
      }
      produceValues(topic, 300, 100);
      try (KafkaConsumer<String, String> c = consumer(group)) {
        c.subscribe(List.of(topic));
        List<ConsumerRecord<String, String>> second = pollUntil(c, 100);
        Set<String> values = distinctValues(second);
        Set<String> want = new TreeSet<>();
        for (int i = 300; i < 400; i++) want.add("v" + i);
        out.put("resumed_read", second.size());
        out.put("resumed_exactly_after_commit", values.equals(want));
        c.commitSync();
      }
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      long sum = 0;
      for (OffsetAndMetadata o : offsets.values()) sum += o.offset();
      out.put("admin_committed_partitions", offsets.size());
      out.put("admin_committed_sum", sum);
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      out.put("group_state_after_close", d.groupState().toString());
      out.put("group_members_after_close", d.members().size());
      boolean listed = admin.listConsumerGroups().all().get().stream()
          .anyMatch(l -> l.groupId().equals(group));
      out.put("group_listed", listed);
    }
    out.put("two_members", twoMembers(topic, prefix + "-pair"));
    return out;
  }

  /** Two consumers of one group polled in turn: both end with partitions, disjoint, covering
   * all three; together they read all 400 records (a rebalance may repeat uncommitted ones). */
  private Map<String, Object> twoMembers(String topic, String group) {
    Map<String, Object> out = new LinkedHashMap<>();
    try (KafkaConsumer<String, String> a = consumer(group);
         KafkaConsumer<String, String> b = consumer(group)) {
      a.subscribe(List.of(topic));
      b.subscribe(List.of(topic));
      Set<String> values = new HashSet<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : a.poll(Duration.ofMillis(100))) values.add(r.value());
        for (ConsumerRecord<String, String> r : b.poll(Duration.ofMillis(100))) values.add(r.value());
        if (values.size() >= 400 && !a.assignment().isEmpty() && !b.assignment().isEmpty()) break;
      }
      Set<TopicPartition> both = new HashSet<>(a.assignment());
      boolean disjoint = both.stream().noneMatch(b.assignment()::contains);
      both.addAll(b.assignment());
      out.put("both_assigned", !a.assignment().isEmpty() && !b.assignment().isEmpty());
      out.put("disjoint", disjoint);
      out.put("partitions_covered", both.size());
      out.put("values_read", values.size());
    }
    return out;
  }

  private void produceValues(String topic, int from, int count) throws Exception {
    try (KafkaProducer<String, String> p = producer(Map.of("acks", "all"))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        acks.add(p.send(new ProducerRecord<>(topic, "c" + (i % 7), "v" + i)));
      }
      p.flush();
      for (Future<RecordMetadata> f : acks) f.get();
    }
  }

  private static Set<String> distinctValues(List<ConsumerRecord<String, String>> rs) {
    Set<String> s = new TreeSet<>();
    for (ConsumerRecord<String, String> r : rs) s.add(r.value());
    return s;
  }

  // ---------------------------------------------------------------------------------------
  /** Admin: create (with configs; existing, unknown config and validate-only cases), list,
   * describe, describe configs, incremental alter (set, delete, bad value, unknown topic),
   * create partitions, delete (and delete again), describe the cluster. */
  private Map<String, Object> adminChecks() throws Exception {
    String topic = prefix + "-managed";
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      NewTopic nt = new NewTopic(topic, 3, (short) 1)
          .configs(Map.of("retention.ms", "3600000", "max.message.bytes", "200000"));
      out.put("create", outcome(() -> admin.createTopics(List.of(nt)).all().get()));
      out.put("create_again", outcome(() -> admin.createTopics(List.of(nt)).all().get()));
      out.put("create_unknown_config", outcome(() -> admin.createTopics(List.of(
          new NewTopic(prefix + "-bad", 1, (short) 1).configs(Map.of("no.such.config", "1"))))
          .all().get()));
      out.put("create_bad_value", outcome(() -> admin.createTopics(List.of(
          new NewTopic(prefix + "-bad2", 1, (short) 1).configs(Map.of("retention.ms", "abc"))))
          .all().get()));
      out.put("create_validate_only", outcome(() -> admin.createTopics(
          List.of(new NewTopic(prefix + "-dry", 2, (short) 1)),
          new CreateTopicsOptions().validateOnly(true)).all().get()));
      Set<String> names = admin.listTopics().names().get();
      out.put("listed", names.contains(topic));
      out.put("dry_run_listed", names.contains(prefix + "-dry"));
      out.put("bad_listed", names.contains(prefix + "-bad") || names.contains(prefix + "-bad2"));
      waitFor(() -> leaders(admin, topic) == 3);
      TopicDescription td = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      out.put("partitions", td.partitions().size());
      out.put("replicas_per_partition", td.partitions().get(0).replicas().size());
      out.put("internal", td.isInternal());
      out.put("configs", topicConfigs(admin, topic));

      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      out.put("alter", outcome(() -> admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE))))
          .all().get()));
      // Kafka applies a config change to its brokers' metadata shortly after answering (KRaft):
      // wait until describe shows it (flumen's broker shows it at once).
      waitFor(() -> {
        try {
          return topicConfigs(admin, topic).get("retention.ms").toString().contains("7200000");
        } catch (Exception e) {
          return false;
        }
      });
      out.put("configs_after_alter", topicConfigs(admin, topic));
      out.put("alter_bad_value", outcome(() -> admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "abc"), AlterConfigOp.OpType.SET))))
          .all().get()));
      out.put("alter_unknown_config", outcome(() -> admin.incrementalAlterConfigs(Map.of(res,
          List.of(new AlterConfigOp(new ConfigEntry("no.such.config", "1"),
              AlterConfigOp.OpType.SET)))).all().get()));
      ConfigResource missing = new ConfigResource(ConfigResource.Type.TOPIC, prefix + "-missing");
      out.put("alter_unknown_topic", outcome(() -> admin.incrementalAlterConfigs(Map.of(missing,
          List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1"),
              AlterConfigOp.OpType.SET)))).all().get()));
      out.put("configs_after_bad_alters", topicConfigs(admin, topic));

      out.put("grow", outcome(() -> admin.createPartitions(
          Map.of(topic, NewPartitions.increaseTo(5))).all().get()));
      out.put("shrink", outcome(() -> admin.createPartitions(
          Map.of(topic, NewPartitions.increaseTo(2))).all().get()));
      waitFor(() -> leaders(admin, topic) == 5);
      out.put("partitions_after_grow",
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());

      out.put("delete", outcome(() -> admin.deleteTopics(List.of(topic)).all().get()));
      // Deletion reaches every broker's metadata shortly after the answer (KRaft).
      waitFor(() -> {
        try {
          return !admin.listTopics().names().get().contains(topic);
        } catch (Exception e) {
          return false;
        }
      });
      out.put("listed_after_delete", admin.listTopics().names().get().contains(topic));
      out.put("describe_deleted", outcome(() ->
          admin.describeTopics(List.of(topic)).allTopicNames().get()));
      out.put("delete_again", outcome(() -> admin.deleteTopics(List.of(topic)).all().get()));
      out.put("cluster_nodes", admin.describeCluster().nodes().get().size());
      out.put("cluster_has_controller", admin.describeCluster().controller().get() != null);
    }
    return out;
  }

  /** IncrementalAlterConfigs APPEND and SUBTRACT on a list config (cleanup.policy) and on one
   * that is not; a compacted topic refusing the keyless record of a batch with keyed ones (the
   * record errors of Produce v8+); the BROKER resource: its read-only and dynamic configs, a
   * dynamic one set and deleted, a read-only one refused. */
  private Map<String, Object> configOps() throws Exception {
    String topic = prefix + "-lists";
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      create(admin, topic, 1);
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      out.put("append", outcome(() -> admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"),
              AlterConfigOp.OpType.APPEND)))).all().get()));
      waitFor(() -> "delete,compact".equals(configValue(admin, res, "cleanup.policy")));
      out.put("after_append", configValue(admin, res, "cleanup.policy"));
      out.put("subtract", outcome(() -> admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"),
              AlterConfigOp.OpType.SUBTRACT)))).all().get()));
      waitFor(() -> "compact".equals(configValue(admin, res, "cleanup.policy")));
      out.put("after_subtract", configValue(admin, res, "cleanup.policy"));
      out.put("append_not_a_list", outcome(() -> admin.incrementalAlterConfigs(Map.of(res,
          List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1"),
              AlterConfigOp.OpType.APPEND)))).all().get()));

      // One batch (a long linger), its second record without a key.
      List<Object> sent = new ArrayList<>();
      try (KafkaProducer<String, String> p = producer(Map.of(
          ProducerConfig.LINGER_MS_CONFIG, "1000", ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false", ProducerConfig.RETRIES_CONFIG, "0"))) {
        List<Future<RecordMetadata>> fs = new ArrayList<>();
        fs.add(p.send(new ProducerRecord<>(topic, 0, "a", "1")));
        fs.add(p.send(new ProducerRecord<>(topic, 0, null, "2")));
        fs.add(p.send(new ProducerRecord<>(topic, 0, "c", "3")));
        p.flush();
        for (Future<RecordMetadata> f : fs) {
          try {
            f.get();
            sent.add("ok");
          } catch (ExecutionException e) {
            sent.add(List.of(rootName(e), String.valueOf(e.getCause().getMessage())));
          }
        }
      }
      out.put("keyless_in_a_batch", sent);

      String node = admin.describeCluster().nodes().get().iterator().next().idString();
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node);
      Config bc = admin.describeConfigs(List.of(broker)).all().get().get(broker);
      out.put("broker_num_partitions",
          List.of(bc.get("num.partitions").isReadOnly(), bc.get("num.partitions").source().toString()));
      out.put("broker_max_connections", brokerConfig(admin, broker, "max.connections"));
      out.put("set_max_connections", outcome(() -> admin.incrementalAlterConfigs(Map.of(broker,
          List.of(new AlterConfigOp(new ConfigEntry("max.connections", "1000"),
              AlterConfigOp.OpType.SET)))).all().get()));
      waitFor(() -> brokerConfig(admin, broker, "max.connections").get(0).equals("1000"));
      out.put("max_connections_after_set", brokerConfig(admin, broker, "max.connections"));
      out.put("delete_max_connections", outcome(() -> admin.incrementalAlterConfigs(Map.of(broker,
          List.of(new AlterConfigOp(new ConfigEntry("max.connections", ""),
              AlterConfigOp.OpType.DELETE)))).all().get()));
      waitFor(() -> !brokerConfig(admin, broker, "max.connections").get(0).equals("1000"));
      out.put("max_connections_after_delete", brokerConfig(admin, broker, "max.connections"));
      out.put("set_num_partitions", outcome(() -> admin.incrementalAlterConfigs(Map.of(broker,
          List.of(new AlterConfigOp(new ConfigEntry("num.partitions", "3"),
              AlterConfigOp.OpType.SET)))).all().get()));
      admin.deleteTopics(List.of(topic)).all().get();
    }
    return out;
  }

  private static String configValue(Admin admin, ConfigResource res, String name) {
    try {
      ConfigEntry e = admin.describeConfigs(List.of(res)).all().get().get(res).get(name);
      return e == null ? null : e.value();
    } catch (Exception e) {
      return null;
    }
  }

  /** A broker config's value and source. */
  private static List<String> brokerConfig(Admin admin, ConfigResource res, String name) {
    try {
      ConfigEntry e = admin.describeConfigs(List.of(res)).all().get().get(res).get(name);
      return e == null ? List.of("(absent)", "") : List.of(e.value(), e.source().toString());
    } catch (Exception e) {
      return List.of(rootName(e), "");
    }
  }

  private static int leaders(Admin admin, String topic) {
    try {
      TopicDescription td = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      return (int) td.partitions().stream().filter(p -> p.leader() != null).count();
    } catch (Exception e) {
      return -1;
    }
  }

  /** The configs a test sets, with the source Kafka reports for each. Values that are the
   * broker's defaults are left out of the comparison (they differ between brokers by design);
   * the source says whether the topic overrides them. */
  private static Map<String, Object> topicConfigs(Admin admin, String topic) throws Exception {
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config c = admin.describeConfigs(List.of(res)).all().get().get(res);
    Map<String, Object> out = new LinkedHashMap<>();
    for (String name : new String[] {"retention.ms", "max.message.bytes", "cleanup.policy"}) {
      ConfigEntry e = c.get(name);
      if (e == null) {
        out.put(name, null);
        continue;
      }
      boolean dynamic = e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
      out.put(name, List.of(dynamic ? e.value() : "(default)", e.source().toString()));
    }
    return out;
  }

  interface Action {
    void run() throws Exception;
  }

  /** A topic config's value when a dynamic broker default gave it ("(default)" for the conf
   * file's or Kafka's own, which differ between brokers), and its source. */
  private static String fromBroker(Admin admin, String topic, String name) {
    try {
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigEntry e = admin.describeConfigs(List.of(res)).all().get().get(res).get(name);
      ConfigEntry.ConfigSource src = e.source();
      boolean shown = src == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
          || src == ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG
          || src == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
      return (shown ? e.value() : "(default)") + " " + src;
    } catch (Exception e) {
      return rootName(e);
    }
  }

  /** Cluster-wide topic defaults (log.retention.ms, log.retention.bytes) set, shown and applied
   * to topics without their own value, refused when bad, deleted. */
  private Map<String, Object> brokerDefaults() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-bdef";
    String own = prefix + "-bdef-own";
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1),
          new NewTopic(own, 1, (short) 1).configs(Map.of("retention.ms", "86400000"))))
          .all().get();
      waitWritable(admin, topic, 1);
      waitWritable(admin, own, 1);
      ConfigResource cluster = new ConfigResource(ConfigResource.Type.BROKER, "");
      // Longer than the default week: nothing the other checks wrote expires because of it.
      out.put("set", outcome(() -> admin.incrementalAlterConfigs(Map.of(cluster, List.of(
          new AlterConfigOp(new ConfigEntry("log.retention.ms", "1209600000"),
              AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("log.retention.bytes", "1073741824000"),
              AlterConfigOp.OpType.SET)))).all().get()));
      // Kafka applies it to its brokers shortly after answering (KRaft).
      waitFor(() -> fromBroker(admin, topic, "retention.ms").contains("1209600000"));
      out.put("topic_retention_ms", fromBroker(admin, topic, "retention.ms"));
      out.put("topic_retention_bytes", fromBroker(admin, topic, "retention.bytes"));
      out.put("own_retention_ms", fromBroker(admin, own, "retention.ms"));
      ConfigEntry shown =
          admin.describeConfigs(List.of(cluster)).all().get().get(cluster).get("log.retention.ms");
      out.put("cluster_shows",
          shown == null ? "absent" : shown.value() + " " + shown.source());
      out.put("bad_value", outcome(() -> admin.incrementalAlterConfigs(Map.of(cluster, List.of(
          new AlterConfigOp(new ConfigEntry("log.retention.ms", "soon"),
              AlterConfigOp.OpType.SET)))).all().get()));
      out.put("delete", outcome(() -> admin.incrementalAlterConfigs(Map.of(cluster, List.of(
          new AlterConfigOp(new ConfigEntry("log.retention.ms", ""), AlterConfigOp.OpType.DELETE),
          new AlterConfigOp(new ConfigEntry("log.retention.bytes", ""),
              AlterConfigOp.OpType.DELETE)))).all().get()));
      waitFor(() -> !fromBroker(admin, topic, "retention.ms").contains("1209600000"));
      out.put("topic_retention_ms_after_delete", fromBroker(admin, topic, "retention.ms"));
    }
    return out;
  }

  /** Operation names, sorted; "null" when the broker sent none (not asked for). */
  private static Object operations(Set<AclOperation> ops) {
    if (ops == null) return "null";
    List<String> names = new ArrayList<>();
    for (AclOperation op : ops) names.add(op.name());
    names.sort(null);
    return names;
  }

  /** Authorized operations asked for with a cluster, a topic and a group, and each ACL call,
   * on brokers without an authorizer. */
  private Map<String, Object> authz() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-authz";
    String group = prefix + "-authz-group";
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      waitWritable(admin, topic, 1);
      DescribeClusterResult cluster =
          admin.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true));
      out.put("cluster_operations", operations(cluster.authorizedOperations().get()));
      out.put("cluster_has_a_controller", cluster.controller().get() != null);
      out.put("cluster_operations_not_asked",
          operations(admin.describeCluster().authorizedOperations().get()));
      TopicDescription asked = admin.describeTopics(List.of(topic),
          new DescribeTopicsOptions().includeAuthorizedOperations(true))
          .allTopicNames().get().get(topic);
      out.put("topic_operations", operations(asked.authorizedOperations()));
      TopicDescription plain = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      out.put("topic_operations_not_asked", operations(plain.authorizedOperations()));
      admin.alterConsumerGroupOffsets(group,
          Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0))).all().get();
      ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group),
          new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true))
          .describedGroups().get(group).get();
      out.put("group_operations", operations(g.authorizedOperations()));
      AclBinding binding = new AclBinding(
          new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
          new AccessControlEntry("User:car", "*", AclOperation.READ, AclPermissionType.ALLOW));
      out.put("describe_acls", outcome(() -> admin.describeAcls(AclBindingFilter.ANY).values().get()));
      out.put("create_acls", outcome(() -> admin.createAcls(List.of(binding)).all().get()));
      out.put("delete_acls",
          outcome(() -> admin.deleteAcls(List.of(AclBindingFilter.ANY)).all().get()));
    }
    return out;
  }

  /** "ok", or the class of the API exception the broker's error code maps to. */
  private static String outcome(Action a) {
    try {
      a.run();
      return "ok";
    } catch (Exception e) {
      return rootName(e);
    }
  }

  // ---------------------------------------------------------------------------------------
  /** Records as they are stored: null keys and values, empty values, headers with null values
   * and repeated names; LogAppendTime topics; a record above the topic's max.message.bytes. */
  private Map<String, Object> records() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String plain = prefix + "-rec";
    String appendTime = prefix + "-lat";
    String small = prefix + "-small";
    try (Admin admin = admin()) {
      create(admin, plain, 1);
      admin.createTopics(List.of(
          new NewTopic(appendTime, 1, (short) 1)
              .configs(Map.of("message.timestamp.type", "LogAppendTime")),
          new NewTopic(small, 1, (short) 1).configs(Map.of("max.message.bytes", "2000"))))
          .all().get();
      waitWritable(admin, appendTime, 1);
      waitWritable(admin, small, 1);
    }
    long before = System.currentTimeMillis();
    RecordMetadata appended;
    try (KafkaProducer<String, String> p = producer(Map.of("acks", "all"))) {
      p.send(new ProducerRecord<>(plain, 0, 1000L, null, "no-key"));
      p.send(new ProducerRecord<String, String>(plain, 0, 1001L, "tombstone", (String) null));
      p.send(new ProducerRecord<>(plain, 0, 1002L, "empty", ""));
      ProducerRecord<String, String> h = new ProducerRecord<>(plain, 0, 1003L, "headers", "h");
      h.headers().add("null", null);
      h.headers().add("twice", "1".getBytes(StandardCharsets.UTF_8));
      h.headers().add("twice", "2".getBytes(StandardCharsets.UTF_8));
      h.headers().add("", "empty-name".getBytes(StandardCharsets.UTF_8));
      p.send(h);
      appended = p.send(new ProducerRecord<>(appendTime, 0, 1000L, "k", "v")).get();
      out.put("too_large", outcome(() -> p.send(
          new ProducerRecord<>(small, 0, "k", "x".repeat(5000))).get()));
      out.put("fits", outcome(() -> p.send(
          new ProducerRecord<>(small, 0, "k", "x".repeat(1000))).get()));
      p.flush();
    }
    List<Object> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer(null)) {
      for (ConsumerRecord<String, String> r :
          readAll(c, List.of(new TopicPartition(plain, 0)), 4)) {
        List<Object> headers = new ArrayList<>();
        for (Header hd : r.headers()) {
          headers.add(Arrays.asList(hd.key(),
              hd.value() == null ? null : new String(hd.value(), StandardCharsets.UTF_8)));
        }
        seen.add(Arrays.asList(r.offset(), r.key(), r.value(), r.timestamp(),
            r.timestampType().toString(), headers));
      }
      out.put("records", seen);
      List<ConsumerRecord<String, String>> lat =
          readAll(c, List.of(new TopicPartition(appendTime, 0)), 1);
      ConsumerRecord<String, String> r = lat.get(0);
      out.put("log_append_type", r.timestampType().toString());
      out.put("log_append_time_set_by_broker", r.timestamp() >= before);
      out.put("log_append_time_acked", appended.timestamp() == r.timestamp());
      out.put("small_topic_records",
          readAll(c, List.of(new TopicPartition(small, 0)), 1).size());
    }
    return out;
  }

  /** Offsets by time and the earliest / latest / max-timestamp specs, a batch bigger than the
   * consumer's fetch limits (still delivered whole), and deleteRecords moving the start. */
  private Map<String, Object> offsets() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-times";
    String big = prefix + "-big";
    TopicPartition tp = new TopicPartition(topic, 0);
    TopicPartition bigTp = new TopicPartition(big, 0);
    try (Admin admin = admin()) {
      create(admin, topic, 1);
      create(admin, big, 1);
      try (KafkaProducer<String, String> p =
          producer(Map.of("acks", "all", "linger.ms", "50", "batch.size", "1000000"))) {
        // Timestamps out of order inside one batch: 1000, 2000, ..., with 9000 in the middle.
        long[] ts = {1000, 2000, 3000, 9000, 4000, 5000, 6000, 7000, 8000, 10000};
        for (int i = 0; i < ts.length; i++) {
          p.send(new ProducerRecord<>(topic, 0, ts[i], "k", "t" + i));
        }
        for (int i = 0; i < 20; i++) {
          p.send(new ProducerRecord<>(big, 0, "k", String.format("%04d", i) + "y".repeat(1000)));
        }
        p.flush();
      }
      try (KafkaConsumer<String, String> c = consumer(null)) {
        Map<String, Object> times = new LinkedHashMap<>();
        for (long t : new long[] {0, 1500, 3000, 8500, 9500, 10001}) {
          var found = c.offsetsForTimes(Map.of(tp, t)).get(tp);
          times.put(Long.toString(t),
              found == null ? null : List.of(found.offset(), found.timestamp()));
        }
        out.put("offsets_for_times", times);
        out.put("beginning", c.beginningOffsets(List.of(tp)).get(tp));
        out.put("end", c.endOffsets(List.of(tp)).get(tp));
      }
      Map<String, Object> specs = new LinkedHashMap<>();
      specs.put("earliest", listOffset(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.earliest()));
      specs.put("latest", listOffset(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
      specs.put("max_timestamp",
          listOffset(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.maxTimestamp()));
      specs.put("for_timestamp_3500",
          listOffset(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.forTimestamp(3500)));
      out.put("list_offsets", specs);

      Properties tiny = new Properties();
      tiny.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "1024");
      tiny.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "1024");
      try (KafkaConsumer<String, String> c = consumer(null, tiny)) {
        List<ConsumerRecord<String, String>> got = readAll(c, List.of(bigTp), 20);
        boolean inOrder = got.size() == 20;
        for (int i = 0; inOrder && i < 20; i++) {
          inOrder = got.get(i).value().startsWith(String.format("%04d", i));
        }
        out.put("big_batch_small_fetch_read", got.size());
        out.put("big_batch_small_fetch_in_order", inOrder);
      }

      out.put("delete_records", outcome(() -> admin.deleteRecords(
          Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(4)))
          .all().get()));
      out.put("earliest_after_delete_records",
          listOffset(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.earliest()));
      try (KafkaConsumer<String, String> c = consumer(null)) {
        List<ConsumerRecord<String, String>> rest = readAll(c, List.of(tp), 6);
        out.put("first_after_delete_records", rest.isEmpty() ? null : rest.get(0).offset());
        out.put("read_after_delete_records", rest.size());
      }
    }
    return out;
  }

  private static Object listOffset(Admin admin, TopicPartition tp,
                                   org.apache.kafka.clients.admin.OffsetSpec spec) {
    try {
      var info = admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
      return List.of(info.offset(), info.timestamp());
    } catch (Exception e) {
      return rootName(e);
    }
  }

  /** Group offsets through the admin client: commit metadata, alter, delete offsets, delete
   * the group, describe a live group. */
  private Map<String, Object> groupAdmin() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-gadm";
    String group = prefix + "-ops";
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = admin()) {
      create(admin, topic, 1);
      produceValues(topic, 0, 10);
      try (KafkaConsumer<String, String> c = consumer(group)) {
        c.subscribe(List.of(topic));
        pollUntil(c, 10);
        ConsumerGroupDescription live =
            admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        out.put("live_state", live.groupState().toString());
        out.put("live_members", live.members().size());
        out.put("live_assignment", live.members().isEmpty() ? null
            : live.members().iterator().next().assignment().topicPartitions().size());
        out.put("live_delete_offsets", outcome(() ->
            admin.deleteConsumerGroupOffsets(group, Set.of(tp)).all().get()));
        out.put("live_delete_group", outcome(() ->
            admin.deleteConsumerGroups(List.of(group)).all().get()));
        c.commitSync(Map.of(tp, new OffsetAndMetadata(5, "note")));
        OffsetAndMetadata back = c.committed(Set.of(tp)).get(tp);
        out.put("committed_with_metadata", List.of(back.offset(), back.metadata()));
      }
      out.put("alter_offsets", outcome(() -> admin.alterConsumerGroupOffsets(group,
          Map.of(tp, new OffsetAndMetadata(3))).all().get()));
      out.put("after_alter", committedOffsets(admin, group));
      out.put("delete_offsets", outcome(() ->
          admin.deleteConsumerGroupOffsets(group, Set.of(tp)).all().get()));
      out.put("after_delete_offsets", committedOffsets(admin, group));
      out.put("delete_group", outcome(() ->
          admin.deleteConsumerGroups(List.of(group)).all().get()));
      out.put("delete_group_again", outcome(() ->
          admin.deleteConsumerGroups(List.of(group)).all().get()));
      out.put("listed_after_delete", admin.listConsumerGroups().all().get().stream()
          .anyMatch(l -> l.groupId().equals(group)));
    }
    return out;
  }

  private static Object committedOffsets(Admin admin, String group) {
    try {
      Map<String, Object> m = new TreeMap<>();
      admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
          .forEach((k, v) -> m.put(k.toString(), v == null ? null : v.offset()));
      return m;
    } catch (Exception e) {
      return rootName(e);
    }
  }

  // ---------------------------------------------------------------------------------------
  /** Transactions (KIP-98): a transactional producer commits one transaction, aborts another,
   * commits a third with consumer offsets (sendOffsetsToTransaction) and leaves a fourth open
   * while a read_committed consumer reads: it sees the committed records only, and its end
   * offsets stop at the open transaction (the last stable offset). Then a second producer with
   * the same transactional.id fences the first: the zombie's commit fails, its open transaction
   * is aborted, and only the new producer's records are committed. Each partition holds one
   * control batch (marker) per transaction, so the offsets are the same on every broker. */
  private Map<String, Object> transactions() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-txn";
    String source = prefix + "-txn-src";
    String group = prefix + "-txn-grp";
    try (Admin admin = admin()) {
      create(admin, topic, 2);
      create(admin, source, 1);
    }
    List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    Map<String, String> txn = new HashMap<>();
    txn.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-tx1");
    txn.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
    Properties committed = new Properties();
    committed.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaProducer<String, String> p = producer(txn)) {
      out.put("init", outcome(p::initTransactions));
      p.beginTransaction();
      for (int i = 0; i < 50; i++) p.send(new ProducerRecord<>(topic, i % 2, "k", "c1-" + i));
      out.put("commit", outcome(p::commitTransaction));
      p.beginTransaction();
      for (int i = 0; i < 30; i++) p.send(new ProducerRecord<>(topic, i % 2, "k", "ab-" + i));
      p.flush();
      out.put("abort", outcome(p::abortTransaction));
      p.beginTransaction();
      for (int i = 0; i < 20; i++) p.send(new ProducerRecord<>(topic, i % 2, "k", "c2-" + i));
      p.sendOffsetsToTransaction(Map.of(new TopicPartition(source, 0), new OffsetAndMetadata(7)),
          new ConsumerGroupMetadata(group));
      try (Admin admin = admin()) {
        out.put("offsets_before_commit", committedOffsets(admin, group));
      }
      out.put("commit_with_offsets", outcome(p::commitTransaction));
      try (Admin admin = admin()) {
        out.put("offsets_after_commit", committedOffsets(admin, group));
      }
      p.beginTransaction();
      for (int i = 0; i < 10; i++) p.send(new ProducerRecord<>(topic, i % 2, "k", "open-" + i));
      p.flush();
      try (KafkaConsumer<String, String> c = consumer(null, committed)) {
        List<ConsumerRecord<String, String>> rs = readAll(c, parts, 70);
        Set<String> prefixes = new TreeSet<>();
        for (ConsumerRecord<String, String> r : rs) prefixes.add(r.value().split("-")[0]);
        out.put("read_committed_read", rs.size());
        out.put("read_committed_distinct", distinctValues(rs).size());
        out.put("read_committed_prefixes", new ArrayList<>(prefixes));
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        out.put("last_stable_offsets", List.of(end.get(parts.get(0)), end.get(parts.get(1))));
      }
      try (KafkaConsumer<String, String> c = consumer(null)) {
        out.put("read_uncommitted_read", readAll(c, parts, 110).size());
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        out.put("end_offsets", List.of(end.get(parts.get(0)), end.get(parts.get(1))));
      }
      out.put("abort_open", outcome(p::abortTransaction));
    }
    // Fencing: a second producer with the same transactional.id.
    String fenced = prefix + "-txn-fence";
    try (Admin admin = admin()) {
      create(admin, fenced, 1);
    }
    Map<String, String> two = new HashMap<>(txn);
    two.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-tx2");
    try (KafkaProducer<String, String> zombie = producer(two)) {
      zombie.initTransactions();
      zombie.beginTransaction();
      zombie.send(new ProducerRecord<>(fenced, 0, "k", "zombie"));
      zombie.flush();
      try (KafkaProducer<String, String> next = producer(two)) {
        out.put("second_init", outcome(next::initTransactions));
        out.put("zombie_commit", outcome(zombie::commitTransaction));
        next.beginTransaction();
        next.send(new ProducerRecord<>(fenced, 0, "k", "next"));
        out.put("second_commit", outcome(next::commitTransaction));
      }
    }
    try (KafkaConsumer<String, String> c = consumer(null, committed)) {
      List<String> values = new ArrayList<>();
      for (ConsumerRecord<String, String> r : readAll(c, List.of(new TopicPartition(fenced, 0)), 1))
        values.add(r.value());
      out.put("after_fencing_read_committed", values);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  /** Client settings people run with: a read_committed consumer, acks=0, auto-commit on close,
   * the cooperative-sticky assignor with two members, a static member (group.instance.id)
   * restarting, and keys spread over many partitions. */
  private Map<String, Object> variants() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String topic = prefix + "-var";
    String wide = prefix + "-wide";
    try (Admin admin = admin()) {
      create(admin, topic, 2);
      create(admin, wide, 24);
    }
    try (KafkaProducer<String, String> p = producer(Map.of("acks", "0"))) {
      for (int i = 0; i < 100; i++) p.send(new ProducerRecord<>(topic, i % 2, "k", "a" + i));
      p.flush();
    }
    produceValues(topic, 100, 100);
    List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    Properties committed = new Properties();
    committed.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> c = consumer(null, committed)) {
      out.put("read_committed_read", readAll(c, parts, 200).size());
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      out.put("read_committed_end", end.get(parts.get(0)) + end.get(parts.get(1)));
    }

    Properties auto = new Properties();
    auto.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
    auto.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "60000");
    try (KafkaConsumer<String, String> c = consumer(prefix + "-auto", auto)) {
      c.subscribe(List.of(topic));
      out.put("auto_commit_read", pollUntil(c, 200).size());
    }  // close() commits what was consumed
    try (Admin admin = admin()) {
      out.put("auto_committed_on_close", committedOffsets(admin, prefix + "-auto"));
    }

    Properties coop = new Properties();
    coop.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    try (KafkaConsumer<String, String> a = consumer(prefix + "-coop", coop);
         KafkaConsumer<String, String> b = consumer(prefix + "-coop", coop)) {
      a.subscribe(List.of(topic));
      Set<String> values = new HashSet<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (a.assignment().size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : a.poll(Duration.ofMillis(100))) values.add(r.value());
      }
      out.put("coop_first_member_partitions", a.assignment().size());
      b.subscribe(List.of(topic));
      while (System.nanoTime() < deadline
          && (a.assignment().size() != 1 || b.assignment().size() != 1 || values.size() < 200)) {
        for (ConsumerRecord<String, String> r : a.poll(Duration.ofMillis(100))) values.add(r.value());
        for (ConsumerRecord<String, String> r : b.poll(Duration.ofMillis(100))) values.add(r.value());
      }
      out.put("coop_partitions_after_second", List.of(a.assignment().size(), b.assignment().size()));
      out.put("coop_values", values.size());
    }

    Properties fixed = new Properties();
    fixed.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "car-1");
    try (KafkaConsumer<String, String> c = consumer(prefix + "-static", fixed)) {
      c.subscribe(List.of(topic));
      out.put("static_first_read", pollUntil(c, 200).size());
      c.commitSync();
    }  // a static member does not leave the group on close
    produceValues(topic, 200, 10);
    try (KafkaConsumer<String, String> c = consumer(prefix + "-static", fixed)) {
      c.subscribe(List.of(topic));
      long started = System.nanoTime();
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      long deadline = started + WAIT.toNanos();
      while (got.size() < 10 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) got.add(r);
      }
      long ms = (System.nanoTime() - started) / 1_000_000;
      out.put("static_restart_read", got.size());
      // Kafka hands a returning static member its assignment at once, without waiting for the
      // old member's session to expire (10 s here).
      out.put("static_restart_within_5s", ms < 5000);
      System.err.println("static member back in " + ms + " ms");
    }

    Map<Integer, Set<String>> byPartition = new TreeMap<>();
    try (KafkaProducer<String, String> p = producer(Map.of("acks", "1"))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < 480; i++) acks.add(p.send(new ProducerRecord<>(wide, "car-" + (i % 40), "w" + i)));
      p.flush();
      for (Future<RecordMetadata> f : acks) f.get();
    }
    List<TopicPartition> wideParts = new ArrayList<>();
    for (int i = 0; i < 24; i++) wideParts.add(new TopicPartition(wide, i));
    try (KafkaConsumer<String, String> c = consumer(null)) {
      for (ConsumerRecord<String, String> r : readAll(c, wideParts, 480)) {
        byPartition.computeIfAbsent(r.partition(), k -> new TreeSet<>()).add(r.key());
      }
    }
    int keysOnOnePartition = 0, total = 0;
    Set<String> seenKeys = new HashSet<>();
    for (Set<String> keys : byPartition.values()) {
      for (String k : keys) {
        total++;
        if (seenKeys.add(k)) keysOnOnePartition++;
      }
    }
    out.put("wide_keys", keysOnOnePartition);
    out.put("wide_keys_split_over_partitions", total - keysOnOnePartition);
    out.put("wide_partitions_used", byPartition.size());
    return out;
  }

  // ---------------------------------------------------------------------------------------
  /** The groups the other checks left, as the admin client sees them once the broker has
   * restarted: listed, their state and protocol type, their committed offsets; and a consumer
   * that resumes from them. */
  private Map<String, Object> afterRestart() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = admin()) {
      Set<String> listed = new TreeSet<>();
      admin.listConsumerGroups().all().get().forEach(l -> listed.add(l.groupId()));
      for (String g : new String[] {prefix + "-fleet", prefix + "-auto", prefix + "-ops"}) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("listed", listed.contains(g));
        try {
          ConsumerGroupDescription d =
              admin.describeConsumerGroups(List.of(g)).describedGroups().get(g).get();
          m.put("state", d.groupState().toString());
          m.put("members", d.members().size());
        } catch (Exception e) {
          m.put("state", rootName(e));
        }
        m.put("offsets", committedOffsets(admin, g));
        out.put(g, m);
      }
    }
    try (KafkaConsumer<String, String> c = consumer(prefix + "-fleet")) {
      c.subscribe(List.of(prefix + "-grp"));
      // Everything was committed: once the member has its partitions, nothing comes.
      int read = 0;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (c.assignment().isEmpty() && System.nanoTime() < deadline) {
        read += c.poll(Duration.ofMillis(100)).count();
      }
      long more = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < more) read += c.poll(Duration.ofMillis(100)).count();
      out.put("resumed_assigned", c.assignment().size());
      out.put("resumed_read", read);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  /** The idempotent producer (acks=all) sending COUNT records at a steady pace over 3
   * partitions while the test kills the broker -9 and restarts it; prints "acked N" lines as
   * acknowledgements come (the test kills on one of them), then reads the topic back: every
   * record exactly once, in send order per partition. */
  private Map<String, Object> steady(int count) throws Exception {
    String topic = prefix;
    try (Admin admin = admin()) {
      create(admin, topic, 3);
    }
    java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    Map<Integer, List<String>> sent = new TreeMap<>();
    Map<String, String> conf = Map.of("enable.idempotence", "true", "acks", "all",
        "max.in.flight.requests.per.connection", "5", "linger.ms", "2",
        "reconnect.backoff.max.ms", "500", "retry.backoff.max.ms", "500");
    try (KafkaProducer<String, String> p = producer(conf)) {
      for (int i = 0; i < count; i++) {
        int part = i % 3;
        String v = "s-" + i;
        sent.computeIfAbsent(part, k -> new ArrayList<>()).add(v);
        p.send(new ProducerRecord<>(topic, part, "k", v), (md, e) -> {
          if (e != null) {
            failed.incrementAndGet();
          } else if (acked.incrementAndGet() % 1000 == 0) {
            System.out.println("acked " + acked.get());
            System.out.flush();
          }
        });
        if (i % 20 == 19) Thread.sleep(1);
      }
      p.flush();
    }
    List<TopicPartition> parts = List.of(new TopicPartition(topic, 0),
        new TopicPartition(topic, 1), new TopicPartition(topic, 2));
    List<ConsumerRecord<String, String>> got;
    try (KafkaConsumer<String, String> c = consumer(null)) {
      got = readAll(c, parts, count);
    }
    Map<Integer, List<String>> read = new TreeMap<>();
    Set<String> distinct = new HashSet<>();
    for (ConsumerRecord<String, String> r : got) {
      read.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.value());
      distinct.add(r.value());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("acked", acked.get());
    out.put("failed", failed.get());
    out.put("read", got.size());
    out.put("duplicates", got.size() - distinct.size());
    out.put("in_send_order", read.equals(sent));
    return out;
  }

  // ---------------------------------------------------------------------------------------
  /** Just enough JSON for maps, lists, strings, numbers, booleans and null. */
  static final class Json {
    static String write(Object o) {
      StringBuilder sb = new StringBuilder();
      write(sb, o);
      return sb.toString();
    }

    private static void write(StringBuilder sb, Object o) {
      if (o == null) {
        sb.append("null");
      } else if (o instanceof Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) sb.append(',');
          first = false;
          string(sb, e.getKey().toString());
          sb.append(':');
          write(sb, e.getValue());
        }
        sb.append('}');
      } else if (o instanceof Collection<?> c) {
        sb.append('[');
        boolean first = true;
        for (Object x : c) {
          if (!first) sb.append(',');
          first = false;
          write(sb, x);
        }
        sb.append(']');
      } else if (o instanceof Number || o instanceof Boolean) {
        sb.append(o);
      } else {
        string(sb, o.toString());
      }
    }

    private static void string(StringBuilder sb, String s) {
      sb.append('"');
      for (char ch : s.toCharArray()) {
        if (ch == '"' || ch == '\\') {
          sb.append('\\').append(ch);
        } else if (ch < 0x20) {
          sb.append(String.format("\\u%04x", (int) ch));
        } else {
          sb.append(ch);
        }
      }
      sb.append('"');
    }
  }
}
