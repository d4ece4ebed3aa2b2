"""Convert Silero VAD (the `silero-vad` PyPI package, MIT) into the files our VAD reads.

Reads `silero_vad/data/silero_vad.onnx` from the package's wheel and writes, into OUT_DIR:
  model.safetensors  the 16 kHz model's tensors (float32), named as in the package's TorchScript
                     model (`stft.forward_basis_buffer`, `encoder.{0..3}.reparam_conv.{weight,bias}`,
                     `decoder.rnn.{weight,bias}_{ih,hh}`, `decoder.decoder.2.{weight,bias}`)
  config.json        the fixed hyper-parameters, and where the weights came from (package, version,
                     sha256 of the wheel and of the ONNX file)

Standard library only (the ONNX protobuf is walked by hand: only Constant tensors are needed), so
CI can run it without torch or onnx. The ONNX constants are the TorchScript model's weights exactly
(checked by tools/vad/make_fixtures.py, which needs torch).

Usage: python3 convert.py WHEEL OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import zipfile
from pathlib import Path

ONNX_MEMBER = "silero_vad/data/silero_vad.onnx"
NAMES = [
    "stft.forward_basis_buffer",
    *[f"encoder.{i}.reparam_conv.{p}" for i in range(4) for p in ("weight", "bias")],
    "decoder.rnn.weight_ih",
    "decoder.rnn.weight_hh",
    "decoder.rnn.bias_ih",
    "decoder.rnn.bias_hh",
    "decoder.decoder.2.weight",
    "decoder.decoder.2.bias",
]
FLOAT = 1  # TensorProto.DataType.FLOAT


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def fields(buf: bytes):
    """Yields (field number, wire type, value) of one protobuf message; LEN values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos : pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield num, wire, value


def tensor(buf: bytes) -> tuple[list[int], bytes]:
    """TensorProto -> (dims, little-endian float32 bytes)."""
    dims: list[int] = []
    dtype = None
    raw = b""
    floats: list[bytes] = []
    for num, wire, value in fields(buf):
        if num == 1:
            if wire == 2:  # packed dims
                p = 0
                while p < len(value):
                    d, p = varint(value, p)
                    dims.append(d)
            else:
                dims.append(value)
        elif num == 2:
            dtype = value
        elif num == 4:
            floats.append(value if wire == 2 else value)
        elif num == 9:
            raw = value
    if dtype != FLOAT:
        raise ValueError(f"expected a float tensor, got data type {dtype}")
    return dims, raw if raw else b"".join(floats)


def constants(graph: bytes, out: dict[str, tuple[list[int], bytes]]) -> None:
    """Collects the float Constant nodes of a GraphProto and of every subgraph (If branches)."""
    for num, _, node in fields(graph):
        if num != 1:  # GraphProto.node
            continue
        outputs, op, attrs = [], "", []
        for n, _, v in fields(node):
            if n == 2:
                outputs.append(v.decode())
            elif n == 4:
                op = v.decode()
            elif n == 5:
                attrs.append(v)
        for attr in attrs:
            name, t, subgraphs = "", None, []
            for n, _, v in fields(attr):
                if n == 1:
                    name = v.decode()
                elif n == 5:
                    t = v
                elif n in (6, 11):
                    subgraphs.append(v)
            if op == "Constant" and name == "value" and t is not None:
                try:
                    out[outputs[0]] = tensor(t)
                except ValueError:
                    pass  # integer shape constants
            for g in subgraphs:
                constants(g, out)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(wheel) as z:
        onnx = z.read(ONNX_MEMBER)
        version = next(
            (
                n.split("/")[0].removesuffix(".dist-info").split("-")[1]
                for n in z.namelist()
                if n.endswith(".dist-info/METADATA")
            ),
            "unknown",
        )
    graph = next(v for n, _, v in fields(onnx) if n == 7)  # ModelProto.graph
    found: dict[str, tuple[list[int], bytes]] = {}
    constants(graph, found)
    # Both sample rates' models are inlined (If branches); the 16 kHz one has a 256-tap STFT basis.
    prefixes = {k[: -len(NAMES[0])] for k, (dims, _) in found.items() if k.endswith(NAMES[0]) and dims == [258, 1, 256]}
    if len(prefixes) != 1:
        sys.exit(f"error: expected one 16 kHz model in {ONNX_MEMBER}, found {len(prefixes)}")
    prefix = prefixes.pop()
    header: dict[str, dict] = {}
    blobs: list[bytes] = []
    offset = 0
    for name in NAMES:
        if prefix + name not in found:
            sys.exit(f"error: {ONNX_MEMBER} has no tensor {name}")
        dims, data = found[prefix + name]
        count = 1
        for d in dims:
            count *= d
        if len(data) != 4 * count:
            sys.exit(f"error: {name}: {len(data)} bytes for shape {dims}")
        header[name] = {"dtype": "F32", "shape": dims, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "source": f"silero-vad {version} ({ONNX_MEMBER})"}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.safetensors").write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    config = {
        "model": "silero-vad",
        "format": 1,
        "sampling_rate": 16000,
        "window_samples": 512,
        "context_samples": 64,
        "stft": {"filter_length": 256, "hop_length": 128, "reflect_pad_right": 64},
        "encoder": [
            {"in": 129, "out": 128, "kernel": 3, "stride": 1, "padding": 1},
            {"in": 128, "out": 64, "kernel": 3, "stride": 2, "padding": 1},
            {"in": 64, "out": 64, "kernel": 3, "stride": 2, "padding": 1},
            {"in": 64, "out": 128, "kernel": 3, "stride": 1, "padding": 1},
        ],
        "lstm_hidden": 128,
        "source": {
            "package": "silero-vad",
            "version": version,
            "licence": "MIT",
            "wheel_sha256": wheel_sha,
            "file": ONNX_MEMBER,
            "file_sha256": hashlib.sha256(onnx).hexdigest(),
        },
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"wrote {out_dir}/model.safetensors ({offset} bytes of weights) and config.json")


if __name__ == "__main__":
    main()
