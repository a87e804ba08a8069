#!/usr/bin/env python3
"""Random-weight Qwen2 / Qwen3 models from Hugging Face transformers as the reference for
architectures no small trained model covers (DESIGN.md §4).

For each architecture: build a small model with random weights in float32, dump its state dict
with GGUF tensor names and a manifest, turn that into a GGUF with the project's own writer
(rocmforge_gguf_from_manifest), run `rocmforge logits` on random token ids and compare with the
HF logits: relative error ||ours - ref|| / ||ref|| over all rows. Needs torch + transformers
(the device machine has them). Exit status 1 if any model is over the tolerance.

usage: hf_random_model_check.py --rocmforge BIN --converter BIN [--work DIR] [--tolerance 1e-4]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
import transformers


def byte_level_vocab():
    """The 256 GPT-2 byte-level symbols, one token per byte (no merges)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return [mapping[b] for b in range(256)]


def gguf_name(hf_name):
    parts = hf_name.split(".")
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    assert parts[0] == "model" and parts[1] == "layers", hf_name
    layer, rest = parts[2], ".".join(parts[3:])
    table = {
        "input_layernorm.weight": "attn_norm.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
        "self_attn.o_proj.weight": "attn_output.weight",
        "self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    return f"blk.{layer}.{table[rest]}"


def build_model(arch, seed):
    torch.manual_seed(seed)
    common = dict(vocab_size=256, hidden_size=128, intermediate_size=320, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                  rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False)
    if arch == "qwen2":
        config = transformers.Qwen2Config(**common)
        model = transformers.Qwen2ForCausalLM(config)
    else:
        config = transformers.Qwen3Config(head_dim=48, attention_bias=False, **common)
        model = transformers.Qwen3ForCausalLM(config)
    model = model.float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (1.0 / p.shape[-1] ** 0.5))
    return config, model


def rope_theta(config):
    """transformers 5 keeps it in config.rope_parameters, 4.x in config.rope_theta."""
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        return float(params["rope_theta"])
    return float(config.rope_theta)


def write_manifest(arch, config, model, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    md = [
        ("general.architecture", "str", arch), ("general.name", "str", f"random {arch} (HF transformers)"),
        (f"{arch}.context_length", "u32", config.max_position_embeddings),
        (f"{arch}.embedding_length", "u32", config.hidden_size),
        (f"{arch}.feed_forward_length", "u32", config.intermediate_size),
        (f"{arch}.block_count", "u32", config.num_hidden_layers),
        (f"{arch}.attention.head_count", "u32", config.num_attention_heads),
        (f"{arch}.attention.head_count_kv", "u32", config.num_key_value_heads),
        (f"{arch}.attention.key_length", "u32", head_dim),
        (f"{arch}.attention.value_length", "u32", head_dim),
        (f"{arch}.rope.freq_base", "f32", rope_theta(config)),
        (f"{arch}.attention.layer_norm_rms_epsilon", "f32", config.rms_norm_eps),
        ("tokenizer.ggml.model", "str", "gpt2"), ("tokenizer.ggml.pre", "str", "qwen2"),
        ("tokenizer.ggml.tokens", "str[]", byte_level_vocab()),
        ("tokenizer.ggml.token_type", "i32[]", [1] * 256),
        ("tokenizer.ggml.merges", "str[]", []),
        ("tokenizer.ggml.eos_token_id", "u32", 0), ("tokenizer.ggml.bos_token_id", "u32", 0),
        ("tokenizer.ggml.add_bos_token", "bool", False),
    ]
    tensors = []
    for name, tensor in model.state_dict().items():
        data = tensor.detach().float().contiguous().numpy()
        file = name.replace(".", "_") + ".f32"
        data.astype("<f4").tofile(os.path.join(out_dir, file))
        tensors.append({"name": gguf_name(name), "shape": list(reversed(data.shape)), "file": file})
    manifest = {"metadata": [{"key": k, "type": t, "value": v} for k, t, v in md], "tensors": tensors}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rocmforge", required=True)
    ap.add_argument("--converter", required=True)
    ap.add_argument("--work", default="/tmp/hf_random_model_check")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    ok = True
    for arch, seed in (("qwen2", 1), ("qwen3", 2)):
        config, model = build_model(arch, seed)
        out_dir = os.path.join(args.work, arch)
        write_manifest(arch, config, model, out_dir)
        gguf = os.path.join(out_dir, f"{arch}-random.gguf")
        subprocess.run([args.converter, os.path.join(out_dir, "manifest.json"), gguf], check=True)
        rng = np.random.default_rng(seed)
        tokens = rng.integers(0, config.vocab_size, size=40).tolist()
        with torch.no_grad():
            ref = model(torch.tensor([tokens])).logits[0].float().numpy()
        ours_path = os.path.join(out_dir, "ours.f32")
        subprocess.run([args.rocmforge, "logits", "-m", gguf, "--tokens", " ".join(map(str, tokens)), "-o", ours_path],
                       check=True)
        ours = np.fromfile(ours_path, dtype="<f4").reshape(ref.shape)
        rel = float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))
        argmax_same = bool((ours.argmax(-1) == ref.argmax(-1)).all())
        verdict = "PASS" if rel <= args.tolerance and argmax_same else "FAIL"
        ok &= verdict == "PASS"
        print(json.dumps({"arch": arch, "transformers": transformers.__version__, "tokens": len(tokens),
                          "rope_theta": rope_theta(config), "rel_error": rel, "argmax_identical": argmax_same, "tolerance": args.tolerance,
                          "verdict": verdict}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
