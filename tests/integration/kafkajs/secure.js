// kafkajs 2.2.4 over the broker's SASL_SSL listener (driven by test_broker_security.py):
//   node secure.js BROKER TOPIC MECHANISM USER PASSWORD CA_FILE
// MECHANISM: plain, scram-sha-256 or scram-sha-512. Produces 100 records (acks=all) and reads
// them back as a group member; prints {"produced": N, "consumed": [...]} or, when the broker
// refuses the login, {"error": "<kafkajs error name>"}.
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

const [, , broker, topic, mechanism, username, password, caFile] = process.argv;
const kafka = new Kafka({
  clientId: 'flumen-sasl-test',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  ssl: { ca: [fs.readFileSync(caFile, 'utf-8')], servername: 'localhost' },
  sasl: { mechanism, username, password },
  retry: { retries: 2 },
});

async function main() {
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < 100; i++) messages.push({ key: `car-${i % 5}`, value: `${mechanism}-${i}` });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${mechanism}`, sessionTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value.toString()); } });
  const deadline = Date.now() + 30000;
  while (seen.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return { produced: 100, consumed: seen };
}

main()
  .then((r) => { console.log(JSON.stringify(r)); process.exit(0); })
  .catch((e) => { console.log(JSON.stringify({ error: e.name, message: e.message })); process.exit(0); });
