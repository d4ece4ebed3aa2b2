"""Convert a Hugging Face Whisper checkpoint directory into openai-whisper's checkpoint format.

openai-whisper (PyPI) can only download its own checkpoints from its CDN, which this project cannot
reach; it loads any local file holding {"dims": ..., "model_state_dict": ...}. This script renames
the transformers tensors to openai-whisper's module names (the inverse of transformers'
convert_openai_to_hf.py mapping) and stores the alignment heads of generation_config.json beside
them, so word timings can be compared on exactly the same weights.

Usage:
    python hf_to_openai.py HF_DIR OUT.pt

Reads config.json, generation_config.json and model.safetensors (single file) from HF_DIR; writes
OUT.pt (float32). Needs torch and safetensors-free reading (the safetensors header is parsed here).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

# transformers name fragment -> openai-whisper name fragment, applied in order.
RENAMES = [
    ("model.encoder.embed_positions.weight", "encoder.positional_embedding"),
    ("model.decoder.embed_positions.weight", "decoder.positional_embedding"),
    ("model.decoder.embed_tokens.weight", "decoder.token_embedding.weight"),
    ("model.encoder.layer_norm.", "encoder.ln_post."),
    ("model.decoder.layer_norm.", "decoder.ln."),
    ("model.encoder.layers.", "encoder.blocks."),
    ("model.decoder.layers.", "decoder.blocks."),
    ("model.encoder.", "encoder."),
    ("model.decoder.", "decoder."),
    (".self_attn_layer_norm.", ".attn_ln."),
    (".encoder_attn_layer_norm.", ".cross_attn_ln."),
    (".final_layer_norm.", ".mlp_ln."),
    (".self_attn.", ".attn."),
    (".encoder_attn.", ".cross_attn."),
    (".q_proj.", ".query."),
    (".k_proj.", ".key."),
    (".v_proj.", ".value."),
    (".out_proj.", ".out."),
    (".fc1.", ".mlp.0."),
    (".fc2.", ".mlp.2."),
]

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None}


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = raw[base + a : base + b]
        if info["dtype"] == "BF16":
            u16 = np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=DTYPES[info["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def rename(name: str) -> str:
    for a, b in RENAMES:
        name = name.replace(a, b)
    return name


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hf = Path(sys.argv[1])
    out = Path(sys.argv[2])
    cfg = json.loads((hf / "config.json").read_text())
    gen = json.loads((hf / "generation_config.json").read_text())
    tensors = read_safetensors(hf / "model.safetensors")
    state = {rename(k): v for k, v in tensors.items() if k != "proj_out.weight"}
    dims = {
        "n_mels": cfg["num_mel_bins"],
        "n_vocab": cfg["vocab_size"],
        "n_audio_ctx": cfg["max_source_positions"],
        "n_audio_state": cfg["d_model"],
        "n_audio_head": cfg["encoder_attention_heads"],
        "n_audio_layer": cfg["encoder_layers"],
        "n_text_ctx": cfg["max_target_positions"],
        "n_text_state": cfg["d_model"],
        "n_text_head": cfg["decoder_attention_heads"],
        "n_text_layer": cfg["decoder_layers"],
    }
    torch.save(
        {
            "dims": dims,
            "model_state_dict": state,
            # Not read by openai-whisper: the fixture script applies them with alignment_mask().
            "alignment_heads": gen.get("alignment_heads"),
        },
        out,
    )
    print(f"wrote {out}: {len(state)} tensors, dims {dims}")


if __name__ == "__main__":
    main()
