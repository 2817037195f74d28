// kafkajs 2.2.4 against `flumen broker`, one step per invocation (the Python test restarts the
// broker between steps):
//   node client.js produce BROKER TOPIC COUNT          idempotent producer, 4-partition topic
//   node client.js group BROKER TOPIC GROUP EXPECT     two consumers in one group; one leaves
//                                                       half-way and the other takes over
//   node client.js resume BROKER TOPIC GROUP           a new member reads what came after the
//                                                       group's committed offsets
// Prints one JSON line with what it saw.
const { Kafka, logLevel } = require('kafkajs');

const [, , step, broker, topic, a4, a5] = process.argv;
const kafka = new Kafka({ clientId: 'flumen-test', brokers: [broker], logLevel: logLevel.ERROR });

async function produce(count) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < count; i += 500) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + 500); j++)
      messages.push({ key: `car-${j}`, value: `m${j}`, headers: { kind: 'status' } });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  return { produced: count };
}

function member(group, seen) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 });
  const partitions = new Set();
  return {
    consumer,
    partitions,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          partitions.add(partition);
          seen.push(message.value.toString());
        },
      });
    },
  };
}

async function group(groupId, expect) {
  const seen = [];
  const a = member(groupId, seen);
  const b = member(groupId, seen);
  await Promise.all([a.start(), b.start()]);
  const deadline = Date.now() + 60000;
  while (new Set(seen).size < expect && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
  const before = { a: [...a.partitions], b: [...b.partitions] };
  a.partitions.clear();
  await b.consumer.disconnect(); // leaves the group: a gets every partition
  // New messages on every partition, read by the one member left.
  const producer = kafka.producer();
  await producer.connect();
  const more = [];
  for (let j = 0; j < 400; j++) more.push({ key: `late-${j}`, value: `late${j}` });
  await producer.send({ topic, acks: -1, messages: more });
  await producer.disconnect();
  while (new Set(seen).size < expect + 400 && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
  await new Promise(r => setTimeout(r, 1500)); // offsets committed
  await a.consumer.disconnect();
  return { distinct: new Set(seen).size, total: seen.length, before, after: [...a.partitions] };
}

async function resume(groupId) {
  const seen = [];
  const m = member(groupId, seen);
  await m.start();
  await new Promise(r => setTimeout(r, 5000));
  await m.consumer.disconnect();
  return { seen };
}

(async () => {
  let result;
  if (step === 'produce') result = await produce(Number(a4));
  else if (step === 'group') result = await group(a4, Number(a5));
  else if (step === 'resume') result = await resume(a4);
  else throw new Error('unknown step ' + step);
  console.log(JSON.stringify(result));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
