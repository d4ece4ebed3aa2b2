"""PyTorch baseline for benchmarks/cuda, run on the GPU machine in the same run as bench_cuda_ops.

Measures the shapes bench_cuda_ops measures: scaled_dot_product_attention per backend (flash,
cuDNN, memory-efficient) for Whisper encoder self-attention and a decode step against a 448 cache,
torch GEMMs at the encoder shapes, one distil-large-v3 encoder layer built from the same ops, and
(when transformers is importable) a WhisperModel with the distil-large-v3 config and random weights:
encoder time per 30 s window and decoder ms per token.

    python3 torch_baseline.py --json out.json [--quick]
"""

import argparse
import json
import math
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-model", action="store_true")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001
        print(f"torch_baseline: skipped: torch not importable ({e})")
        return 0
    if not torch.cuda.is_available():
        print("torch_baseline: skipped: no CUDA device")
        return 0

    dev = torch.device("cuda")
    rows = []
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": rows}
    budget = 0.05 if args.quick else 0.25

    def save():
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=2)

    def time_it(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        iters = 0
        t0 = time.perf_counter()
        while True:
            for _ in range(5):
                fn()
            iters += 5
            torch.cuda.synchronize()
            el = time.perf_counter() - t0
            if el >= budget or iters >= 2000:
                return el / iters

    def record(group, name, dtype, sec, value, unit):
        rows.append({"group": group, "name": name, "dtype": dtype, "ms": sec * 1e3, "value": value, "unit": unit})
        print(f"{group:10s} {name:44s} {dtype:4s} {sec * 1e3:10.4f} ms  {value:10.2f} {unit}", flush=True)

    # ---- attention (SDPA takes [B, H, L, D]; a transposed view of [B, L, H, D] like ours) ----
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backends = {
        "flash": SDPBackend.FLASH_ATTENTION,
        "cudnn": getattr(SDPBackend, "CUDNN_ATTENTION", None),
        "efficient": SDPBackend.EFFICIENT_ATTENTION,
        "math": SDPBackend.MATH,
    }
    H, L, D = 20, 1500, 64
    for dtname, dt in (("f16", torch.float16), ("f32", torch.float32)):
        for B in (1, 16):
            if dt == torch.float32 and B == 16:
                continue
            q, k, v = (torch.randn(B, L, H, D, device=dev, dtype=dt).transpose(1, 2) for _ in range(3))
            for bname, be in backends.items():
                if be is None or (bname == "math" and dt == torch.float16 and B == 16):
                    continue
                try:
                    with sdpa_kernel([be]):
                        s = time_it(lambda: F.scaled_dot_product_attention(q, k, v))
                except Exception as e:  # noqa: BLE001 - a backend may not support the dtype
                    print(f"attention {bname} {dtname} B={B}: unavailable ({str(e).splitlines()[0][:80]})")
                    continue
                record(f"attention:{bname}", f"enc B={B} H=20 L=1500 D=64", dtname, s,
                       4.0 * B * H * L * L * D / s / 1e12, "TFLOP/s")
        for B in (1, 16):
            kc, vc = (torch.randn(B, 448, H, D, device=dev, dtype=dt).transpose(1, 2) for _ in range(2))
            q = torch.randn(B, 1, H, D, device=dev, dtype=dt).transpose(1, 2)
            for bname, be in backends.items():
                if be is None:
                    continue
                try:
                    with sdpa_kernel([be]):
                        s = time_it(lambda: F.scaled_dot_product_attention(q, kc, vc))
                except Exception as e:  # noqa: BLE001
                    print(f"decode {bname} {dtname} B={B}: unavailable ({str(e).splitlines()[0][:80]})")
                    continue
                record(f"decode:{bname}", f"attn B={B} Lq=1 Lk=448 H=20 D=64", dtname, s,
                       2.0 * B * 448 * H * D * kc.element_size() / s / 1e9, "GB/s")
        save()

    # ---- GEMM (torch.nn.functional.linear: x·wᵀ + b) ----
    for dtname, dt in (("f16", torch.float16), ("f32", torch.float32)):
        torch.backends.cuda.matmul.allow_tf32 = False
        for M, K, N in ((1500, 1280, 1280), (1500, 1280, 5120), (1500, 5120, 1280), (1500, 768, 768), (1500, 768, 3072)):
            a = torch.randn(M, K, device=dev, dtype=dt)
            w = torch.randn(N, K, device=dev, dtype=dt)
            b = torch.randn(N, device=dev, dtype=dt)
            s = time_it(lambda: F.linear(a, w, b))
            record("gemm", f"{M}x{K} · {N}x{K}ᵀ +bias", dtname, s, 2.0 * M * N * K / s / 1e12, "TFLOP/s")
    a = torch.randn(1, 1280, device=dev, dtype=torch.float16)
    w = torch.randn(51866, 1280, device=dev, dtype=torch.float16)
    s = time_it(lambda: F.linear(a, w))
    record("gemv", "1x1280 · 51866x1280ᵀ (f16 weight)", "f16", s, 51866 * 1280 * 2 / s / 1e9, "GB/s")
    src = torch.randn(64, 1024, 1024, device=dev)
    dst = torch.empty_like(src)
    s = time_it(lambda: dst.copy_(src))
    record("memory", "copy 256 MiB", "f32", s, 2.0 * src.numel() * 4 / s / 1e9, "GB/s")
    save()

    # ---- one encoder layer from the same ops (pre-LN, SDPA default backend choice) ----
    C, Fd = 1280, 5120
    for dtname, dt in (("f16", torch.float16), ("f32", torch.float32)):
        x = torch.randn(1, L, C, device=dev, dtype=dt)
        ln1 = torch.nn.LayerNorm(C, device=dev, dtype=dt)
        ln2 = torch.nn.LayerNorm(C, device=dev, dtype=dt)
        lin = lambda i, o, bias=True: torch.nn.Linear(i, o, bias=bias, device=dev, dtype=dt)  # noqa: E731
        wq, wk, wv, wo, f1, f2 = lin(C, C), lin(C, C, False), lin(C, C), lin(C, C), lin(C, Fd), lin(Fd, C)

        @torch.no_grad()
        def layer():
            h = ln1(x)
            q, k, v = (p(h).view(1, L, H, D).transpose(1, 2) for p in (wq, wk, wv))
            a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(1, L, C)
            x1 = x + wo(a)
            return x1 + f2(F.gelu(f1(ln2(x1))))

        s = time_it(layer)
        flops = 2.0 * L * C * C * 4 + 2.0 * 2 * L * C * Fd + 4.0 * H * L * L * D
        record("encoder", "distil-large-v3 layer L=1500 (x32 = encoder)", dtname, s, flops / s / 1e12, "TFLOP/s")
    save()

    if not args.skip_model:
        try:
            whisper_model(torch, dev, time_it, record)
        except Exception as e:  # noqa: BLE001
            print(f"transformers WhisperModel benchmark skipped: {e}")
        save()
    return 0


def whisper_model(torch, dev, time_it, record):
    """transformers WhisperModel, distil-large-v3 dims, random weights, f16."""
    from transformers import WhisperConfig, WhisperModel

    cfg = WhisperConfig(
        vocab_size=51866, num_mel_bins=128, d_model=1280, encoder_layers=32, decoder_layers=2,
        encoder_attention_heads=20, decoder_attention_heads=20, encoder_ffn_dim=5120, decoder_ffn_dim=5120,
        max_source_positions=1500, max_target_positions=448,
    )
    for impl in ("sdpa",):
        try:
            with torch.device(dev):  # random init straight on the GPU: seconds, not a minute on the CPU
                model = WhisperModel._from_config(cfg, attn_implementation=impl).half().eval()
        except Exception as e:  # noqa: BLE001
            print(f"WhisperModel attn_implementation={impl}: {e}")
            continue
        feats = torch.randn(1, 128, 3000, device=dev, dtype=torch.float16)
        with torch.no_grad():
            enc = lambda: model.encoder(feats).last_hidden_state  # noqa: E731
            s = time_it(enc)
            record("model", f"transformers encoder 30 s window ({impl})", "f16", s, 30.0 / s, "x realtime")
            states = enc()
            # Decoder per token: prefill 4 tokens, then one token at a time against the cache.
            from transformers.cache_utils import DynamicCache, EncoderDecoderCache

            ids = torch.tensor([[50258, 50259, 50360, 50364]], device=dev)

            def prefill():
                cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
                o = model.decoder(input_ids=ids, encoder_hidden_states=states, past_key_values=cache, use_cache=True)
                return o.past_key_values

            cache = prefill()
            steps = 32

            def decode_steps():
                c = prefill()
                tok = torch.tensor([[50365]], device=dev)
                for _ in range(steps):
                    o = model.decoder(input_ids=tok, encoder_hidden_states=states, past_key_values=c, use_cache=True)
                    c = o.past_key_values
                return c

            s_pre = time_it(prefill)
            s_all = time_it(decode_steps)
            per_tok = (s_all - s_pre) / steps
            record("model", f"transformers decoder per token ({impl})", "f16", per_tok, 1.0 / per_tok, "tokens/s")
            del cache
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
