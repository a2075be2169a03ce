// The floor for the latency workload on processes: a bare forked child that answers x + 1.
process.on('message', (x) => process.send(x + 1))
