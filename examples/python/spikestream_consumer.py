#!/usr/bin/env python3
"""Decode spikestream messages with nothing but the struct module.

Usage:
    python3 spikestream_consumer.py --selftest DIR
        decode the golden messages in DIR (stream/testdata in the repository) and print them
    python3 spikestream_consumer.py --url nats://127.0.0.1:4222 --stream probe0
        print spike batches and unit events as they arrive (needs `pip install nats-py`)

The byte layouts are documented in docs/wire-format.md and docs/schema/*.json.
"""

import argparse
import asyncio
import os
import struct
import sys

FRAME_HEADER = struct.Struct("<4sBBBBQqIIfId")  # 48 bytes
SPIKE_HEADER = struct.Struct("<4sBBHIIQ")  # 24 bytes
SPIKE_RECORD = struct.Struct("<qdIHHffffII")  # 48 bytes
UNIT_HEADER = struct.Struct("<4sBBHIHHqfffIQII")  # 56 bytes
SPIKE_REF = struct.Struct("<qH6x")  # 16 bytes

SPIKE_FIELDS = ("sample_index", "time_s", "unit_id", "peak_channel", "amplitude_uv",
                "x_um", "y_um", "confidence", "latency_us")
UNIT_KINDS = {1: "created", 2: "merged", 3: "split", 4: "retired", 5: "updated"}


class WireError(ValueError):
    """A message that does not follow the wire format."""


def decode_frame(buf):
    """Return (header dict, list of samples) of a raw frame message."""
    if len(buf) < FRAME_HEADER.size:
        raise WireError("frame too short")
    (magic, version, flags, sample_type, header_bytes, seq, first, channels, per_channel,
     uv_per_unit, _reserved, rate_hz) = FRAME_HEADER.unpack_from(buf, 0)
    if magic != b"SSFR" or version != 1:
        raise WireError("not a version 1 frame")
    code = {1: "h", 2: "f"}.get(sample_type)
    if code is None:
        raise WireError("unknown sample type %d" % sample_type)
    n = channels * per_channel
    if len(buf) != header_bytes + n * struct.calcsize(code):
        raise WireError("frame length does not match its header")
    samples = struct.unpack_from("<%d%s" % (n, code), buf, header_bytes)
    header = dict(seq=seq, first_sample=first, channels=channels, samples=per_channel,
                  end_of_stream=bool(flags & 1), uv_per_unit=uv_per_unit, rate_hz=rate_hz)
    return header, samples


def decode_spikes(buf):
    """Return (batch seq, list of spike dicts) of a spike batch message."""
    if len(buf) < SPIKE_HEADER.size:
        raise WireError("spike batch too short")
    magic, version, _flags, rec_bytes, count, _res, seq = SPIKE_HEADER.unpack_from(buf, 0)
    if magic != b"SSSP" or version != 1 or rec_bytes < SPIKE_RECORD.size:
        raise WireError("not a version 1 spike batch")
    if len(buf) != SPIKE_HEADER.size + count * rec_bytes:
        raise WireError("spike batch length does not match its count")
    spikes = []
    for i in range(count):
        rec = SPIKE_RECORD.unpack_from(buf, SPIKE_HEADER.size + i * rec_bytes)
        values = rec[:4] + rec[5:10]  # drop the reserved u16 and the trailing reserved u32
        spikes.append(dict(zip(SPIKE_FIELDS, values)))
    return seq, spikes


def decode_unit(buf):
    """Return a dict describing a unit lifecycle event message."""
    if len(buf) < UNIT_HEADER.size:
        raise WireError("unit event too short")
    (magic, version, kind, _r1, unit_id, peak, _r2, sample, amp, x_um, y_um, n_rel,
     num_spikes, n_back, _r3) = UNIT_HEADER.unpack_from(buf, 0)
    if magic != b"SSUN" or version != 1:
        raise WireError("not a version 1 unit event")
    if len(buf) != UNIT_HEADER.size + 4 * n_rel + SPIKE_REF.size * n_back:
        raise WireError("unit event length does not match its counts")
    related = list(struct.unpack_from("<%dI" % n_rel, buf, UNIT_HEADER.size))
    off = UNIT_HEADER.size + 4 * n_rel
    backfill = [SPIKE_REF.unpack_from(buf, off + i * SPIKE_REF.size) for i in range(n_back)]
    return dict(kind=kind, kind_name=UNIT_KINDS.get(kind, "?"), unit_id=unit_id,
                peak_channel=peak, sample_index=sample, amplitude_uv=amp, x_um=x_um,
                y_um=y_um, related=related, num_spikes=num_spikes, backfill=backfill)


def selftest(folder):
    """Decode the golden files and print one line per message."""
    def read(name):
        with open(os.path.join(folder, name), "rb") as f:
            return f.read()

    hdr, samples = decode_frame(read("frame_v1.bin"))
    print("frame seq=%d first=%d channels=%d samples=%d data=%s" % (
        hdr["seq"], hdr["first_sample"], hdr["channels"], hdr["samples"], list(samples)))
    seq, spikes = decode_spikes(read("spike_batch_v1.bin"))
    first = tuple(spikes[0][k] for k in SPIKE_FIELDS[:4])
    s0 = spikes[0]
    print("spikes seq=%d n=%d first=%s amp=%.2f x=%.1f y=%.1f conf=%.2f lat=%d" % (
        seq, len(spikes), first, s0["amplitude_uv"], s0["x_um"], s0["y_um"],
        s0["confidence"], s0["latency_us"]))
    u = decode_unit(read("unit_event_v1.bin"))
    print("unit kind=%d id=%d related=%s backfill=%s" % (
        u["kind"], u["unit_id"], u["related"], u["backfill"]))


async def listen(url, stream):
    """Print spike batches and unit events of one stream until interrupted."""
    import nats  # pip install nats-py

    nc = await nats.connect(url)

    async def on_spikes(msg):
        seq, spikes = decode_spikes(msg.data)
        for s in spikes:
            print("batch %d: unit %d at sample %d, channel %d, %.1f uV" % (
                seq, s["unit_id"], s["sample_index"], s["peak_channel"], s["amplitude_uv"]))

    async def on_unit(msg):
        u = decode_unit(msg.data)
        print("unit %d %s at sample %d (related %s, %d backfilled spikes)" % (
            u["unit_id"], u["kind_name"], u["sample_index"], u["related"], len(u["backfill"])))

    await nc.subscribe("spikestream.%s.spikes" % stream, cb=on_spikes)
    await nc.subscribe("spikestream.%s.units" % stream, cb=on_unit)
    try:
        await asyncio.Event().wait()
    finally:
        await nc.drain()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--selftest", metavar="DIR", help="decode the golden files in DIR")
    ap.add_argument("--url", default="nats://127.0.0.1:4222")
    ap.add_argument("--stream", default="probe0")
    args = ap.parse_args()
    if args.selftest:
        selftest(args.selftest)
        return 0
    try:
        asyncio.run(listen(args.url, args.stream))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
