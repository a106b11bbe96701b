// Starts kinesalite 3.3.3 (in memory, streams ACTIVE at once) on 127.0.0.1 and a free port,
// and prints the port. The Kinesis conformance test (tests/kinesis_conformance.rs) stops it by PID.
const kinesalite = require('kinesalite')

const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 })
server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port)
})
