#!/usr/bin/python3
"""An independent vLLM KV-events publisher for tests: pyzmq + msgpack (Debian's python3-zmq, python3-msgpack).

It speaks what vllm/distributed/kv_events.py's ZmqEventPublisher speaks: PUB multipart [topic, seq (8 bytes big-endian),
payload], payload = msgpack of the array-like KVEventBatch [ts, [event...], data_parallel_rank], events tagged arrays
["BlockStored", block_hashes, parent_block_hash, token_ids, block_size, lora_id, medium, ...],
["BlockRemoved", block_hashes, medium], ["AllBlocksCleared"]; a ROUTER replay socket answers [id, "", start seq] with
[id, "", seq, payload] for every buffered batch from start, then [id, "", -1, ""].

Driven by JSON lines on stdin, one answer line each on stdout (the first line is "ports <pub> <replay>"):
  {"op": "batch", "events": [...], "drop": false}  publish a batch (drop: number it and buffer it, but do not send it)
  {"op": "restart"}                                 the process restarted: sequence from 0, empty buffer
  {"op": "forget", "below": n}                       the replay buffer lost every batch below n
  {"op": "quit"}
"""
import json
import queue
import sys
import threading
import time

import msgpack
import zmq

END_SEQ = (-1).to_bytes(8, "big", signed=True)


def main():
    topic = (sys.argv[1] if len(sys.argv) > 1 else "kv-events").encode("utf-8")
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub_port = pub.bind_to_random_port("tcp://127.0.0.1")
    router = ctx.socket(zmq.ROUTER)
    replay_port = router.bind_to_random_port("tcp://127.0.0.1")
    print(f"ports {pub_port} {replay_port}", flush=True)

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line)
        commands.put('{"op": "quit"}')

    threading.Thread(target=read_stdin, daemon=True).start()

    seq = 0
    buffer = []
    poller = zmq.Poller()
    poller.register(router, zmq.POLLIN)
    while True:
        for socket, _ in poller.poll(5):
            client_id, _, start = router.recv_multipart()
            start_seq = int.from_bytes(start, "big", signed=True)
            for s, payload in buffer:
                if s >= start_seq:
                    router.send_multipart((client_id, b"", s.to_bytes(8, "big"), payload))
            router.send_multipart((client_id, b"", END_SEQ, b""))
        try:
            line = commands.get_nowait()
        except queue.Empty:
            continue
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "batch":
            payload = msgpack.packb([time.time(), cmd["events"], 0], use_bin_type=True)
            if not cmd.get("drop", False):
                pub.send_multipart((topic, seq.to_bytes(8, "big"), payload))
            buffer.append((seq, payload))
            print(f"ok {seq}", flush=True)
            seq += 1
        elif op == "restart":
            seq = 0
            buffer = []
            print("ok -1", flush=True)
        elif op == "forget":
            buffer = [(s, p) for s, p in buffer if s >= cmd["below"]]
            print("ok -1", flush=True)
        else:
            print("ok -1", flush=True)
            break
    pub.close(linger=0)
    router.close(linger=0)


if __name__ == "__main__":
    main()
