// @platformatic/kafka 1.35 (npm) against the bundled broker, driven by
// tests/integration/test_platformatic_kafka.py. This client speaks only flexible versions
// (KIP-482): Metadata 9+, Fetch 12+, OffsetCommit/OffsetFetch 8+, JoinGroup 6+, ... Each command
// prints one JSON line.
//   node client.mjs produce ADDR TOPIC N CODEC
//   node client.mjs consume ADDR TOPIC GROUP N   (commits each message it read)
//   node client.mjs admin ADDR TOPIC GROUP
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'

const [cmd, addr, topic, ...rest] = process.argv.slice(2)
const base = { clientId: 'flumen-platformatic-test', bootstrapBrokers: [addr], retries: 10, retryDelay: 200, autocreateTopics: true }

async function produce (n, codec) {
  const producer = new Producer({ ...base, serializers: stringSerializers, acks: -1 })
  const messages = []
  for (let i = 0; i < n; i++) messages.push({ topic, key: String(i), value: `${codec}-${i}` })
  await producer.send({ messages, compression: codec })
  await producer.close()
  return { produced: n }
}

async function consume (group, n) {
  const consumer = new Consumer({ ...base, groupId: group, deserializers: stringDeserializers })
  const stream = await consumer.consume({
    topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false,
    sessionTimeout: 10000, heartbeatInterval: 500
  })
  const values = []
  for await (const message of stream) {
    values.push(message.value)
    await message.commit()
    if (values.length === n) break
  }
  await stream.close()
  await consumer.close()
  return { values }
}

async function admin (group) {
  const a = new Admin(base)
  const created = await a.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
  const listed = await a.listTopics()
  const groups = await a.listGroups()
  const described = await a.describeGroups({ groups: [group] })
  await a.deleteTopics({ topics: [topic] })
  const after = await a.listTopics()
  await a.close()
  const g = described.get(group)
  return {
    created: created.map(t => [t.name, t.partitions]),
    listed: listed.includes(topic),
    groups: [...groups.keys()],
    group_state: g ? g.state : null,
    listed_after: after.includes(topic)
  }
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(2) }, 60000)
try {
  let out
  if (cmd === 'produce') out = await produce(Number(rest[0]), rest[1])
  else if (cmd === 'consume') out = await consume(rest[0], Number(rest[1]))
  else if (cmd === 'admin') out = await admin(rest[0])
  else throw new Error(`unknown command ${cmd}`)
  console.log(JSON.stringify(out))
  clearTimeout(timer)
} catch (e) {
  console.error(e && e.stack ? e.stack : e, e && e.errors ? e.errors.map(x => String(x && x.stack ? x.stack : x)).join('\n') : '')
  process.exit(1)
}
