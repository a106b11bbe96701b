// The Node AWS SDK v3's default Kinesis client (NodeHttp2Handler: HTTP/2 cleartext with prior
// knowledge) against `pipec run --local`, and a raw HTTP/2 request whose :authority is not a
// loopback name (must be refused). Prints one JSON line for tests/kinesis_clients.rs.
// Usage: node node_client.mjs ENDPOINT
import http2 from 'node:http2'
import {
  KinesisClient, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand,
  GetShardIteratorCommand, GetRecordsCommand,
} from '@aws-sdk/client-kinesis'

const endpoint = process.argv[2]
const client = new KinesisClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
})
const StreamName = 'transactions'
const text = (bytes) => new TextDecoder().decode(bytes)

const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName }))
const put = await client.send(new PutRecordCommand({
  StreamName, PartitionKey: 'k', Data: new TextEncoder().encode('{"node":0}'),
}))
const batch = await client.send(new PutRecordsCommand({
  StreamName,
  Records: [1, 2].map((i) => ({ PartitionKey: 'k', Data: new TextEncoder().encode(`{"node":${i}}`) })),
}))
const { ShardIterator } = await client.send(new GetShardIteratorCommand({
  StreamName, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER',
  StartingSequenceNumber: put.SequenceNumber,
}))
const records = await client.send(new GetRecordsCommand({ ShardIterator }))
client.destroy()

const foreign = await new Promise((resolve, reject) => {
  const session = http2.connect(endpoint)
  session.on('error', reject)
  const request = session.request({ ':method': 'GET', ':path': '/healthz', ':authority': 'evil.example' })
  request.on('response', (headers) => {
    request.resume()
    request.on('end', () => { session.close(); resolve(headers[':status']) })
  })
  request.end()
})

console.log(JSON.stringify({
  status: summary.StreamDescriptionSummary.StreamStatus,
  encryption: summary.StreamDescriptionSummary.EncryptionType,
  failed: batch.FailedRecordCount,
  read: records.Records.map((r) => text(r.Data)),
  foreign,
}))
