"""kafka-python 2.0.2 (Debian's python3-kafka) against the bundled broker, driven by
tests/integration/test_kafka_python.py. Run with Debian's own /usr/bin/python3, where the package
lives. Each subcommand prints one JSON line. The broker-version probe is left on (no api_version
given): it is what misdetected the broker when Metadata v0 was refused."""
import json
import sys

import kafka
from kafka.admin import (ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions,
                         NewTopic)
from kafka.errors import KafkaError
from kafka.structs import TopicPartition


def emit(v):
    print(json.dumps(v))


def probe(addr, times):
    versions = []
    for _ in range(int(times)):
        c = kafka.KafkaConsumer(bootstrap_servers=addr)
        versions.append(list(c.config["api_version"]))
        c.close()
    emit({"versions": versions})


def produce(addr, topic, n, codec):
    p = kafka.KafkaProducer(bootstrap_servers=addr, acks="all",
                            compression_type=None if codec == "none" else codec)
    futures = [p.send(topic, key=b"%d" % i, value=("%s-%d" % (codec, i)).encode())
               for i in range(int(n))]
    p.flush()
    offsets = [f.get(timeout=30).offset for f in futures]
    p.close()
    emit({"produced": len(offsets)})


def consume(addr, topic, group, n):
    """Reads n records as a group member, commits them, leaves."""
    c = kafka.KafkaConsumer(topic, bootstrap_servers=addr, group_id=group,
                            auto_offset_reset="earliest", enable_auto_commit=False,
                            consumer_timeout_ms=20000)
    values = []
    for m in c:
        values.append(m.value.decode())
        if len(values) == int(n):
            break
    c.commit()
    committed = {p: c.committed(TopicPartition(topic, p)) for p in c.partitions_for_topic(topic)}
    c.close()
    emit({"values": values, "committed": sum(v or 0 for v in committed.values())})


def times(addr, topic):
    """Four records with CreateTime 1000..4000 in one batch, then offsets for times."""
    p = kafka.KafkaProducer(bootstrap_servers=addr, linger_ms=2000, batch_size=1 << 20)
    for i, ts in enumerate((1000, 2000, 3000, 4000)):
        p.send(topic, value=b"t%d" % i, timestamp_ms=ts, partition=0)
    p.flush()
    p.close()
    c = kafka.KafkaConsumer(bootstrap_servers=addr)
    tp = TopicPartition(topic, 0)
    answer = {}
    for ts in (500, 1000, 1500, 2000, 3500, 4000, 4001):
        r = c.offsets_for_times({tp: ts})[tp]
        answer[str(ts)] = None if r is None else [r.offset, r.timestamp]
    c.close()
    emit(answer)


def admin(addr, topic):
    a = KafkaAdminClient(bootstrap_servers=addr)
    created = a.create_topics([NewTopic(topic, 2, 1, topic_configs={
        "retention.ms": "3600000", "max.message.bytes": "200000"})])
    try:
        a.create_topics([NewTopic(topic + "-bad", 1, 1, topic_configs={"no.such.config": "1"})])
        bad = "created"
    except KafkaError as e:
        bad = type(e).__name__
    listed = topic in a.list_topics()
    described = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {e[0]: e[1] for e in described[0].resources[0][4]}
    altered = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                              configs={"retention.ms": "7200000"})])
    grown = a.create_partitions({topic: NewPartitions(5)})
    after_alter = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    altered_configs = {e[0]: (e[1], e[3]) for e in after_alter[0].resources[0][4]}
    partitions = len(kafka.KafkaConsumer(bootstrap_servers=addr).partitions_for_topic(topic))
    deleted = a.delete_topics([topic])
    after = topic in a.list_topics()
    a.close()
    emit({"created": [e[1] for e in created.topic_errors], "bad": bad,
          "listed": listed, "retention.ms": configs.get("retention.ms"),
          "max.message.bytes": configs.get("max.message.bytes"),
          "altered": [r[0] for r in altered.resources], "grown": [e[1] for e in grown.topic_errors],
          "partitions": partitions, "after_alter": altered_configs.get("retention.ms"),
          "max.message.bytes_after_alter": altered_configs.get("max.message.bytes"),
          "deleted": [e[1] for e in deleted.topic_error_codes], "listed_after": after})


def error_name(e):
    """kafka-python reports per-item errors as classes, raised ones as instances."""
    return e.__name__ if isinstance(e, type) else type(e).__name__


def acls(addr, topic):
    """Each ACL call of the admin client, and what the broker answered (an error class name)."""
    from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ResourcePattern,
                             ResourcePatternFilter, ResourceType)
    from kafka.admin.acl_resource import ACLResourcePatternType
    a = KafkaAdminClient(bootstrap_servers=addr)
    pattern = ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)
    acl = ACL("User:car", "*", ACLOperation.READ, ACLPermissionType.ALLOW, pattern)
    afilter = ACLFilter("User:car", "*", ACLOperation.ANY, ACLPermissionType.ANY,
                        ResourcePatternFilter(ResourceType.TOPIC, topic,
                                              ACLResourcePatternType.LITERAL))
    out = {}
    for name, call in (("describe", lambda: a.describe_acls(afilter)),
                       ("create", lambda: a.create_acls([acl])),
                       ("delete", lambda: a.delete_acls([afilter]))):
        try:
            r = call()
            if name == "create":  # failures come back in the result, not raised
                out[name] = [error_name(f[1]) for f in r["failed"]]
            elif name == "delete":
                out[name] = [error_name(f[2]) for f in r]
            else:
                out[name] = "ok"
        except KafkaError as e:
            out[name] = type(e).__name__
    a.close()
    emit(out)


def recompressed(addr, topic, codec):
    """A topic created with compression.type=codec, 30 records produced uncompressed in one
    partition, then read back."""
    a = KafkaAdminClient(bootstrap_servers=addr)
    created = a.create_topics([NewTopic(topic, 1, 1, topic_configs={"compression.type": codec})])
    a.close()
    p = kafka.KafkaProducer(bootstrap_servers=addr, acks="all", compression_type=None)
    for i in range(30):
        p.send(topic, key=b"car-%d" % (i % 3), value=b"status-%d" % i, partition=0)
    p.flush()
    p.close()
    c = kafka.KafkaConsumer(topic, bootstrap_servers=addr, auto_offset_reset="earliest",
                            consumer_timeout_ms=10000)
    values = []
    for m in c:
        values.append([m.offset, m.key.decode(), m.value.decode()])
        if len(values) == 30:
            break
    c.close()
    emit({"created": [e[1] for e in created.topic_errors], "values": values})


def legacy(addr, topic, version, codecs, group):
    """A producer and a group consumer pinned to an old broker version (api_version "0.9" or
    "0.10.1": the pre-0.11 message format, magic 0 or 1, Produce v1-2 and Fetch v1-3): 40
    records per codec, read back by the group, committed; timestamps as the consumer sees them."""
    api = tuple(int(x) for x in version.split("."))
    codecs = codecs.split(",")
    for codec in codecs:
        p = kafka.KafkaProducer(bootstrap_servers=addr, api_version=api, acks="all",
                                compression_type=None if codec == "none" else codec)
        for i in range(40):
            p.send(topic, key=b"car-%d" % (i % 4), value=("%s-%d" % (codec, i)).encode(),
                   timestamp_ms=1_600_000_000_000 + i if api >= (0, 10) else None)
        p.flush()
        p.close()
    c = kafka.KafkaConsumer(topic, bootstrap_servers=addr, api_version=api, group_id=group,
                            auto_offset_reset="earliest", enable_auto_commit=False,
                            consumer_timeout_ms=15000)
    values, offsets, stamps = [], [], []
    for m in c:
        values.append(m.value.decode())
        offsets.append([m.partition, m.offset])
        stamps.append(m.timestamp)
        if len(values) == 40 * len(codecs):
            break
    c.commit()
    committed = sum(c.committed(TopicPartition(topic, p)) or 0
                    for p in c.partitions_for_topic(topic))
    c.close()
    emit({"values": values, "offsets": offsets, "timestamps": stamps, "committed": committed})


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        {"probe": probe, "produce": produce, "consume": consume, "times": times,
         "admin": admin, "acls": acls, "recompressed": recompressed, "legacy": legacy}[cmd](*args)
    except KafkaError as e:
        print("kafka error: %r" % e, file=sys.stderr)
        sys.exit(1)
