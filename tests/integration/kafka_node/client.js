// kafka-node 5 (the pre-0.11 message format: Produce v2 with magic-1 messages, Fetch v2, groups
// on JoinGroup v0-1) against the bundled broker, driven by test_legacy_kafka_clients.py. Each
// subcommand prints one JSON line.
//   node client.js produce ADDR TOPIC N CODEC   (CODEC: none or gzip; snappy needs a native build)
//   node client.js consume ADDR TOPIC GROUP N    (a group member from the earliest offset, commits)
'use strict';
const kafka = require('kafka-node');

const [cmd, addr, topic, ...rest] = process.argv.slice(2);
const fail = (what, err) => {
  console.error(what + ': ' + (err && (err.stack || err.message || JSON.stringify(err))));
  process.exit(1);
};
const codecs = {none: 0, gzip: 1};

function produce(n, codec) {
  const client = new kafka.KafkaClient({kafkaHost: addr, requestTimeout: 15000});
  client.createTopics([{topic, partitions: 2, replicationFactor: 1}], (err) => {
    if (err && !/already exists/i.test(String(err.message || err))) fail('createTopics', err);
    const producer = new kafka.Producer(client, {requireAcks: 1, partitionerType: 3});
    producer.on('error', (e) => fail('producer', e));
    const send = () => {
      const messages = [];
      for (let i = 0; i < n; i++)
        messages.push(new kafka.KeyedMessage('car-' + (i % 4), codec + '-' + i));
      producer.send([{topic, messages, attributes: codecs[codec]}], (e, data) => {
        if (e) fail('send', e);
        console.log(JSON.stringify({produced: n, answer: data}));
        producer.close(() => client.close(() => process.exit(0)));
      });
    };
    // The topic's leader is known once the metadata is read again after the create.
    const refreshed = () => client.refreshMetadata([topic], (e) => (e ? fail('metadata', e) : send()));
    if (producer.ready) refreshed();
    else producer.on('ready', refreshed);
  });
}

function consume(group, n) {
  const cg = new kafka.ConsumerGroup(
      {kafkaHost: addr, groupId: group, fromOffset: 'earliest', autoCommit: false,
       sessionTimeout: 10000, protocol: ['roundrobin'], encoding: 'utf8', fetchMaxWaitMs: 200},
      [topic]);
  const values = [];
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    cg.commit(true, (e) => {
      if (e) fail('commit', e);
      console.log(JSON.stringify({values}));
      cg.close(true, () => process.exit(0));
    });
  };
  let idle = setTimeout(finish, 15000);
  cg.on('error', (e) => fail('consumer group', e));
  cg.on('message', (m) => {
    values.push(m.value);
    clearTimeout(idle);
    idle = setTimeout(finish, values.length >= n ? 1500 : 15000);
  });
}

if (cmd === 'produce') produce(Number(rest[0]), rest[1]);
else if (cmd === 'consume') consume(rest[0], Number(rest[1]));
else fail('usage', new Error('unknown subcommand ' + cmd));
