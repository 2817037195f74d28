"""The reference Java Kafka client (kafka-clients 4.1.1, java_client/) against the bundled
broker AND against Apache Kafka 4.1.1 (one KRaft node, kafka_peer.py): the same checks, the
same answers. Produce with every codec, the idempotent producer, a consumer group that commits,
closes and resumes from its commit, two members splitting partitions, the admin client (create,
describe, describe and alter configs, create partitions, delete, describe cluster), records with
null keys, values and headers, LogAppendTime, a record above max.message.bytes, offsets by time
and by spec, a batch larger than the fetch limits, DeleteRecords, and group offsets through the
admin client (alter, OffsetDelete, DeleteGroups); a read_committed consumer, acks=0, auto-commit
on close, the cooperative-sticky assignor, a static member (group.instance.id) restarting, and
keys over 24 partitions; transactions: commit, abort, sendOffsetsToTransaction, a
read_committed consumer beside an open transaction (the last stable offset), and a second
producer with the same transactional.id fencing the first.

Each broker's answer is compared with the other's and with what the checks expect, so a
difference names which side is wrong."""
import json
import os
import subprocess
import tempfile
import shutil
import threading
import time
import unittest

import kafka_peer
from flumen_harness import free_port
from test_broker import Broker

CODEC_OK = {"acked": 300, "offsets_in_order": True, "read": 300, "same": True}
EXPECTED = {
    "broker_defaults": {
        "set": "ok",
        "topic_retention_ms": "1209600000 DYNAMIC_DEFAULT_BROKER_CONFIG",
        "topic_retention_bytes": "1073741824000 DYNAMIC_DEFAULT_BROKER_CONFIG",
        "own_retention_ms": "86400000 DYNAMIC_TOPIC_CONFIG",
        "cluster_shows": "1209600000 DYNAMIC_DEFAULT_BROKER_CONFIG",
        "bad_value": "InvalidRequestException", "delete": "ok",
        "topic_retention_ms_after_delete": "(default) DEFAULT_CONFIG",
    },
    # Brokers without an authorizer: every operation a resource type supports, when asked.
    "authz": {
        "cluster_operations": ["ALTER", "ALTER_CONFIGS", "CLUSTER_ACTION", "CREATE", "DESCRIBE",
                               "DESCRIBE_CONFIGS", "IDEMPOTENT_WRITE"],
        "cluster_has_a_controller": True, "cluster_operations_not_asked": "null",
        "topic_operations": ["ALTER", "ALTER_CONFIGS", "CREATE", "DELETE", "DESCRIBE",
                             "DESCRIBE_CONFIGS", "READ", "WRITE"],
        "topic_operations_not_asked": "null",
        # Kafka 4 adds group configs (KIP-848): DESCRIBE_CONFIGS and ALTER_CONFIGS on a group.
        "group_operations": ["ALTER_CONFIGS", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ"],
        "describe_acls": "SecurityDisabledException", "create_acls": "SecurityDisabledException",
        "delete_acls": "SecurityDisabledException",
    },
    "codecs": {c: CODEC_OK for c in ("none", "gzip", "snappy", "lz4", "zstd")},
    "idempotent": {"acked": 3000, "read": 3000, "duplicates": 0, "in_send_order": True},
    "group": {
        "first_read": 300, "first_distinct": 300, "committed_after_first": 300,
        "resumed_read": 100, "resumed_exactly_after_commit": True,
        "admin_committed_partitions": 3, "admin_committed_sum": 400,
        "group_state_after_close": "Empty", "group_members_after_close": 0,
        "group_listed": True,
        "two_members": {"both_assigned": True, "disjoint": True, "partitions_covered": 3,
                        "values_read": 400},
    },
    "admin": {
        "create": "ok", "create_again": "TopicExistsException",
        "create_unknown_config": "InvalidConfigurationException",
        "create_bad_value": "InvalidConfigurationException",
        "create_validate_only": "ok", "listed": True, "dry_run_listed": False,
        "bad_listed": False, "partitions": 3, "replicas_per_partition": 1, "internal": False,
        "configs": {"retention.ms": ["3600000", "DYNAMIC_TOPIC_CONFIG"],
                    "max.message.bytes": ["200000", "DYNAMIC_TOPIC_CONFIG"],
                    "cleanup.policy": ["(default)", "DEFAULT_CONFIG"]},
        "alter": "ok",
        "configs_after_alter": {"retention.ms": ["7200000", "DYNAMIC_TOPIC_CONFIG"],
                                "max.message.bytes": ["(default)", "DEFAULT_CONFIG"],
                                "cleanup.policy": ["(default)", "DEFAULT_CONFIG"]},
        "alter_bad_value": "InvalidConfigurationException",
        "alter_unknown_config": "InvalidConfigurationException",
        "alter_unknown_topic": "UnknownTopicOrPartitionException",
        "configs_after_bad_alters": {"retention.ms": ["7200000", "DYNAMIC_TOPIC_CONFIG"],
                                     "max.message.bytes": ["(default)", "DEFAULT_CONFIG"],
                                     "cleanup.policy": ["(default)", "DEFAULT_CONFIG"]},
        "grow": "ok", "shrink": "InvalidPartitionsException", "partitions_after_grow": 5,
        "delete": "ok", "listed_after_delete": False,
        "describe_deleted": "UnknownTopicOrPartitionException",
        "delete_again": "UnknownTopicOrPartitionException",
        "cluster_nodes": 1, "cluster_has_controller": True,
    },
    "config_ops": {
        "append": "ok", "after_append": "delete,compact",
        "subtract": "ok", "after_subtract": "compact",
        "append_not_a_list": "InvalidConfigurationException",
        # The Java producer's exceptions from the record errors (the keyless record named).
        "keyless_in_a_batch": [
            ["KafkaException", "Failed to append record because it was part of a batch which "
                               "had one more more invalid records"],
            ["InvalidRecordException", "Compacted topic cannot accept message without key in "
                                       "topic partition jc-lists-0"],
            ["KafkaException", "Failed to append record because it was part of a batch which "
                               "had one more more invalid records"]],
        "broker_num_partitions": [True, "DEFAULT_CONFIG"],
        "broker_max_connections": ["2147483647", "DEFAULT_CONFIG"],
        "set_max_connections": "ok",
        "max_connections_after_set": ["1000", "DYNAMIC_BROKER_CONFIG"],
        "delete_max_connections": "ok",
        "max_connections_after_delete": ["2147483647", "DEFAULT_CONFIG"],
        "set_num_partitions": "InvalidRequestException",
    },
    "records": {
        "too_large": "RecordTooLargeException", "fits": "ok",
        # [offset, key, value, timestamp, type, headers]
        "records": [[0, None, "no-key", 1000, "CreateTime", []],
                    [1, "tombstone", None, 1001, "CreateTime", []],
                    [2, "empty", "", 1002, "CreateTime", []],
                    [3, "headers", "h", 1003, "CreateTime",
                     [["null", None], ["twice", "1"], ["twice", "2"], ["", "empty-name"]]]],
        "log_append_type": "LogAppendTime", "log_append_time_set_by_broker": True,
        "log_append_time_acked": True, "small_topic_records": 1,
    },
    "offsets": {
        # timestamps 1000, 2000, 3000, 9000, 4000, ..., 8000, 10000 in one batch
        "offsets_for_times": {"0": [0, 1000], "1500": [1, 2000], "3000": [2, 3000],
                              "8500": [3, 9000], "9500": [9, 10000], "10001": None},
        "beginning": 0, "end": 10,
        "list_offsets": {"earliest": [0, -1], "latest": [10, -1], "max_timestamp": [9, 10000],
                         "for_timestamp_3500": [3, 9000]},
        "big_batch_small_fetch_read": 20, "big_batch_small_fetch_in_order": True,
        "delete_records": "ok", "earliest_after_delete_records": [4, -1],
        "first_after_delete_records": 4, "read_after_delete_records": 6,
    },
    "group_admin": {
        "live_state": "Stable", "live_members": 1, "live_assignment": 1,
        "live_delete_offsets": "GroupSubscribedToTopicException",
        "live_delete_group": "GroupNotEmptyException",
        "committed_with_metadata": [5, "note"],
        "alter_offsets": "ok", "after_alter": {"jc-gadm-0": 3},
        "delete_offsets": "ok", "after_delete_offsets": {},
        "delete_group": "ok", "delete_group_again": "GroupIdNotFoundException",
        "listed_after_delete": False,
    },
    "variants": {
        "read_committed_read": 200, "read_committed_end": 200,
        "auto_commit_read": 200,
        # 100 acks=0 records over partitions 0 and 1 in turn, 100 keyed by the producer's hash
        "auto_committed_on_close": {"jc-var-0": 78, "jc-var-1": 122},
        "coop_first_member_partitions": 2, "coop_partitions_after_second": [1, 1],
        "coop_values": 200,
        "static_first_read": 200, "static_restart_read": 10, "static_restart_within_5s": True,
        "wide_keys": 40, "wide_keys_split_over_partitions": 0, "wide_partitions_used": 19,
    },
    "transactions": {
        "init": "ok", "commit": "ok", "abort": "ok",
        "offsets_before_commit": {}, "commit_with_offsets": "ok",
        "offsets_after_commit": {"jc-txn-src-0": 7},
        # 50 + 20 committed, 30 aborted, 10 in the open transaction; one marker per
        # transaction and partition
        "read_committed_read": 70, "read_committed_distinct": 70,
        "read_committed_prefixes": ["c1", "c2"], "last_stable_offsets": [53, 53],
        "read_uncommitted_read": 110, "end_offsets": [58, 58], "abort_open": "ok",
        "second_init": "ok", "zombie_commit": "ProducerFencedException", "second_commit": "ok",
        "after_fencing_read_committed": ["next"],
    },
}

RESULTS = {}
ERRORS = {}


def run_client(command, bootstrap, name):
    """Runs every check against one broker; the answer (or the failure) lands in RESULTS."""
    started = time.time()
    try:
        r = subprocess.run(command + [bootstrap, "all", "jc"], capture_output=True, text=True,
                           timeout=240)
        lines = r.stdout.strip().splitlines()
        if r.returncode != 0 or not lines:
            ERRORS[name] = "rc %s\n%s" % (r.returncode, r.stderr[-4000:])
            return
        RESULTS[name] = json.loads(lines[-1])
        ERRORS[name + " stderr"] = r.stderr
    except Exception as e:  # noqa: BLE001 - reported by the tests below
        ERRORS[name] = repr(e)
    finally:
        kafka_peer.say("Java checks against %s took %.1f s" % (name, time.time() - started))


flumen_dir = None
flumen_broker = None


def setUpModule():
    global flumen_dir, flumen_broker
    command = kafka_peer.java_client_command()
    cluster = kafka_peer.shared_cluster(1)
    flumen_dir = tempfile.mkdtemp(prefix="flumen-jc-")
    port = free_port()
    flumen_broker = Broker(flumen_dir, os.path.join(flumen_dir, "data"), port)
    # Both runs at once: most of each is waiting (polls, group joins), not CPU.
    threads = [threading.Thread(target=run_client, args=(command, b, n)) for b, n in
               ((cluster.bootstrap, "kafka"), ("127.0.0.1:%d" % port, "flumen"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def tearDownModule():
    if flumen_broker is not None and flumen_broker.proc.poll() is None:
        flumen_broker.stop()
    if flumen_dir:
        shutil.rmtree(flumen_dir, ignore_errors=True)


class JavaClientDifferentialTest(unittest.TestCase):
    maxDiff = None

    def section(self, name):
        for who in ("kafka", "flumen"):
            self.assertIn(who, RESULTS, "the Java client failed against %s: %s"
                          % (who, ERRORS.get(who)))
        return RESULTS["kafka"][name], RESULTS["flumen"][name]

    def check(self, name):
        kafka, flumen = self.section(name)
        if kafka != EXPECTED[name]:
            server_log = kafka_peer.shared_cluster(1).nodes[0].log_tail(3000)
            self.assertEqual(kafka, EXPECTED[name],
                             "Apache Kafka answers differently than expected\nclient stderr: "
                             + ERRORS.get("kafka stderr", "")[-4000:] + "\nKafka's log: "
                             + server_log)
        self.assertEqual(flumen, kafka, "flumen's broker answers differently than Apache Kafka"
                         "\nclient stderr: " + ERRORS.get("flumen stderr", "")[-4000:]
                         + "\nbroker log: " + flumen_broker.log_text()[-2000:])

    def test_zz_kill_9_during_idempotent_production_then_groups_after_the_restart(self):
        # Last (unittest runs tests by name). Each broker is killed -9 while the Java
        # idempotent producer (acks=all) is sending, then started again; the producer retries
        # what was in flight with the same sequence numbers. Afterwards every record is there
        # once, in send order (Kafka: kill -9 of the process keeps the page cache, so its
        # unsynced acks=all data survives too). Then the groups the other checks left.
        self.section("group")  # the checks ran before the restarts
        command = kafka_peer.java_client_command()
        cluster = kafka_peer.shared_cluster(1)

        def restart_flumen():
            global flumen_broker
            flumen_broker.proc.kill()
            flumen_broker.proc.wait()
            flumen_broker.log.close()
            time.sleep(1)
            flumen_broker = Broker(flumen_dir, os.path.join(flumen_dir, "data"),
                                   flumen_broker.port)

        def restart_kafka():
            cluster.kill(1)
            time.sleep(1)
            cluster.restart(1)

        answers, errors = {}, {}

        def run(who, bootstrap, restart):
            try:
                started = time.time()
                proc = subprocess.Popen(command + [bootstrap, "steady", "jc-steady", "10000"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
                killed = False
                last = ""
                for line in proc.stdout:
                    last = line
                    if not killed and line.startswith("acked ") and int(line.split()[1]) >= 2000:
                        killed_at = int(line.split()[1])
                        restart()
                        killed = True
                stderr = proc.stderr.read()
                proc.stdout.close()
                proc.stderr.close()
                proc.wait(timeout=240)
                answers[who] = (json.loads(last), killed, stderr)
                print("%s killed -9 at %d acknowledged, the producer done after %.1f s"
                      % (who, killed_at, time.time() - started))
            except Exception as e:  # noqa: BLE001 - reported below
                errors[who] = repr(e)
        threads = [threading.Thread(target=run, args=a) for a in (
            ("kafka", cluster.bootstrap, restart_kafka),
            ("flumen", "127.0.0.1:%d" % flumen_broker.port, restart_flumen))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, {})
        want = {"acked": 10000, "failed": 0, "read": 10000, "duplicates": 0,
                "in_send_order": True}
        for who in ("kafka", "flumen"):
            answer, killed, stderr = answers[who]
            self.assertTrue(killed, "%s was not killed: the producer finished too soon" % who)
            self.assertEqual(answer, want, "%s\n%s" % (who, stderr[-3000:]))
        self.groups_after_the_restart()

    def groups_after_the_restart(self):
        # The groups the checks left, once both brokers have restarted (Kafka reloads its
        # groups; flumen's coordinator keeps only the offsets on disk).
        cluster = kafka_peer.shared_cluster(1)
        command = kafka_peer.java_client_command()
        answers = {}
        for who, bootstrap in (("kafka", cluster.bootstrap),
                               ("flumen", "127.0.0.1:%d" % flumen_broker.port)):
            r = subprocess.run(command + [bootstrap, "after_restart", "jc"], capture_output=True,
                               text=True, timeout=240)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            answers[who] = json.loads(r.stdout.strip().splitlines()[-1])["after_restart"]
            answers[who + " stderr"] = r.stderr
        expected = {
            "jc-fleet": {"listed": True, "state": "Empty", "members": 0,
                         "offsets": {"jc-grp-0": 115, "jc-grp-1": 114, "jc-grp-2": 171}},
            "jc-auto": {"listed": True, "state": "Empty", "members": 0,
                        "offsets": {"jc-var-0": 78, "jc-var-1": 122}},
            "jc-ops": {"listed": False, "state": "GroupIdNotFoundException", "offsets": {}},
            "resumed_assigned": 3, "resumed_read": 0,
        }
        self.assertEqual(answers["kafka"], expected, answers["kafka stderr"][-3000:])
        self.assertEqual(answers["flumen"], answers["kafka"], answers["flumen stderr"][-3000:]
                         + flumen_broker.log_text()[-2000:])

    def test_produce_every_codec(self):
        self.check("codecs")

    def test_idempotent_producer(self):
        self.check("idempotent")

    def test_group_commits_and_resumes_after_a_consumer_restart(self):
        self.check("group")

    def test_admin(self):
        self.check("admin")

    def test_list_configs_keyless_records_of_a_compacted_topic_and_broker_configs(self):
        self.check("config_ops")

    def test_null_keys_values_headers_log_append_time_and_too_large(self):
        self.check("records")

    def test_offsets_by_time_and_spec_small_fetches_and_delete_records(self):
        self.check("offsets")

    def test_group_offsets_through_the_admin_client(self):
        self.check("group_admin")

    def test_read_committed_acks_0_auto_commit_cooperative_static_member_many_partitions(self):
        self.check("variants")

    def test_transactions_commit_abort_offsets_read_committed_and_fencing(self):
        self.check("transactions")

    def test_authorized_operations_and_acl_calls_without_an_authorizer(self):
        self.check("authz")

    def test_cluster_wide_topic_defaults_set_applied_and_deleted(self):
        self.check("broker_defaults")


if __name__ == "__main__":
    unittest.main()
