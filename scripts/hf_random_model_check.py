#!/usr/bin/env python3
"""Random-weight models from Hugging Face transformers as the reference for architectures no
small trained model covers (DESIGN.md §4): qwen2, qwen3, gemma2, gemma3, phi3, chatglm (GLM-4),
mixtral (a llama file with experts), qwen2moe, qwen3moe.

For each architecture: build a small model with random weights in float32 and the family's
features switched on (gemma: sliding window shorter than the prompt, soft-caps that bend the
scores, post-norms, GeGLU, gemma3's QK-norm and local/global rope bases; phi3: fused QKV and
gate-up, LongRoPE with prompts on both sides of the original context, partial rotary, window;
MoE: 4 experts top-2, qwen2moe's shared expert), dump its state dict with the GGUF tensor names
and keys llama.cpp's convert_hf_to_gguf.py writes (gemma norm weights stored as 1 + w, lm_head
dropped: tied; llama Q/K rows permuted; experts stacked), turn that into a GGUF with the project's own writer
(rocmforge_gguf_from_manifest), run `rocmforge logits` on random token ids and compare with the
HF logits: relative error ||ours - ref|| / ||ref|| over all rows, and identical argmax per row.
Needs torch + transformers (the device machine has them). Exit status 1 if any model fails.

usage: hf_random_model_check.py --rocmforge BIN --converter BIN [--work DIR] [--tolerance 1e-4]
                                [--device auto|cpu|gpu]
                                [--arch qwen2,qwen3,gemma2,gemma3,phi3,chatglm,mixtral,qwen2moe,qwen3moe]
"""
import argparse
import inspect
import math
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


GEMMA = ("gemma2", "gemma3")
MOE = ("mixtral", "qwen2moe", "qwen3moe")
# GGUF general.architecture of each family checked here (Mixtral is a llama file with experts).
GGUF_ARCH = {"mixtral": "llama"}


def gguf_name(arch, hf_name):
    """The GGUF name convert_hf_to_gguf.py gives an HF tensor (gguf-py tensor_mapping.py); None
    for expert tensors, which expert_tensors() stacks."""
    parts = hf_name.split(".")
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    assert parts[0] == "model" and parts[1] == "layers", hf_name
    layer, rest = parts[2], ".".join(parts[3:])
    if ".experts." in hf_name:
        return None
    table = {
        "input_layernorm.weight": "attn_norm.weight",
        # gemma2/3 have four norms per block; the others' second norm is the FFN's input norm.
        "post_attention_layernorm.weight": "post_attention_norm.weight" if arch in GEMMA else "ffn_norm.weight",
        "pre_feedforward_layernorm.weight": "ffn_norm.weight",
        "post_feedforward_layernorm.weight": "post_ffw_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
        "self_attn.qkv_proj.weight": "attn_qkv.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.gate_up_proj.weight": "ffn_up.weight",  # phi3: gate rows then up rows, as one tensor
        "mlp.down_proj.weight": "ffn_down.weight",
        # experts: the router and the shared expert (qwen2moe)
        "block_sparse_moe.gate.weight": "ffn_gate_inp.weight", "mlp.gate.weight": "ffn_gate_inp.weight",
        "mlp.router.weight": "ffn_gate_inp.weight",
        "mlp.shared_expert.gate_proj.weight": "ffn_gate_shexp.weight",
        "mlp.shared_expert.up_proj.weight": "ffn_up_shexp.weight",
        "mlp.shared_expert.down_proj.weight": "ffn_down_shexp.weight",
        "mlp.shared_expert_gate.weight": "ffn_gate_inp_shexp.weight",
    }
    return f"blk.{layer}.{table[rest]}"


def permute_for_normal_rope(w, n_head):
    """LlamaModel in the converter reorders Q/K rows so that GGUF's "normal" rope (adjacent pairs)
    equals HF's rotate_half: per head, rows (0..d/2, d/2..d) interleave as (0, d/2, 1, d/2+1, ...)."""
    rows = w.shape[0]
    split = w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:])
    return split.transpose(0, 2, 1, *range(3, split.ndim)).reshape(w.shape)


def expert_tensors(state, n_layers, n_expert, ff, hidden):
    """GGUF expert stacks per layer: ffn_{gate,up}_exps [E, ff, hidden], ffn_down_exps [E, hidden, ff]
    (numpy order), from per-expert modules (w1/w3/w2 or gate/up/down_proj) or fused parameters."""
    out = {}
    for layer in range(n_layers):
        gate, up, down = [], [], []
        prefix = None
        for base in (f"model.layers.{layer}.block_sparse_moe.experts", f"model.layers.{layer}.mlp.experts"):
            if any(k.startswith(base + ".") for k in state):
                prefix = base
        if prefix is None:
            continue
        fused = state.get(prefix + ".gate_up_proj")
        if fused is not None:
            fused = fused.float().numpy()
            if fused.shape[1] != 2 * ff:  # [E, hidden, 2 ff] layout
                fused = fused.transpose(0, 2, 1)
            gate, up = fused[:, :ff, :], fused[:, ff:, :]
            down = state[prefix + ".down_proj"].float().numpy()
            if down.shape[1] != hidden:  # [E, ff, hidden] layout
                down = down.transpose(0, 2, 1)
        else:
            names = {"gate": ("w1", "gate_proj"), "up": ("w3", "up_proj"), "down": ("w2", "down_proj")}
            stacks = {}
            for role, options in names.items():
                mats = []
                for e in range(n_expert):
                    key = next(f"{prefix}.{e}.{o}.weight" for o in options if f"{prefix}.{e}.{o}.weight" in state)
                    mats.append(state[key].float().numpy())
                stacks[role] = np.stack(mats)
            gate, up, down = stacks["gate"], stacks["up"], stacks["down"]
        out[f"blk.{layer}.ffn_gate_exps.weight"] = np.ascontiguousarray(gate)
        out[f"blk.{layer}.ffn_up_exps.weight"] = np.ascontiguousarray(up)
        out[f"blk.{layer}.ffn_down_exps.weight"] = np.ascontiguousarray(down)
    return out


def use_eager_attention(config):
    """Soft-capping exists only in the eager attention path of transformers."""
    try:
        config._attn_implementation = "eager"
    except AttributeError:
        config.attn_implementation = "eager"


def accepts(config_class, name):
    return name in inspect.signature(config_class.__init__).parameters


def build_model(arch, seed):
    torch.manual_seed(seed)
    common = dict(vocab_size=256, hidden_size=128, intermediate_size=320, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                  rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False,
                  pad_token_id=0)  # some defaults (phi3: 32000, glm: 151329) lie outside the tiny vocabulary
    if arch == "qwen2":
        config = transformers.Qwen2Config(**common)
        model = transformers.Qwen2ForCausalLM(config)
    elif arch == "qwen3":
        config = transformers.Qwen3Config(head_dim=48, attention_bias=False, **common)
        model = transformers.Qwen3ForCausalLM(config)
    elif arch == "gemma2":
        # 4 layers: 0 and 2 slide over 16 positions (prompt: 40). Caps of 2 bend the O(1) scores and
        # logits of random weights (the released 50 / 30 would barely touch them).
        common.update(num_hidden_layers=4, rope_theta=10000.0, tie_word_embeddings=True)
        config = transformers.Gemma2Config(head_dim=32, query_pre_attn_scalar=32, sliding_window=16,
                                           attn_logit_softcapping=2.0, final_logit_softcapping=2.0,
                                           hidden_activation="gelu_pytorch_tanh", **common)
        use_eager_attention(config)
        model = transformers.Gemma2ForCausalLM(config)
    elif arch == "gemma3":
        # 7 layers: 0-4 and 6 slide over 16 positions with rope base 10000, layer 5 is global (1e6).
        common.update(num_hidden_layers=7, tie_word_embeddings=True)
        config = transformers.Gemma3TextConfig(head_dim=32, query_pre_attn_scalar=32, sliding_window=16,
                                               rope_local_base_freq=10000.0, hidden_activation="gelu_pytorch_tanh",
                                               final_logit_softcapping=None, attn_logit_softcapping=None,
                                               **common)
        use_eager_attention(config)
        model = transformers.Gemma3ForCausalLM(config)
    elif arch == "phi3":
        # LongRoPE: original context 32 of 128 (attention factor sqrt(1 + ln 4 / ln 32)); prompts of
        # 40 (long factors) and 20 tokens (short); 3/4 of each head rotated; window 24 on every layer.
        rng = np.random.default_rng(seed)
        n_rot = 24
        rope = dict(rope_type="longrope", type="longrope",
                    short_factor=(1.0 + 0.1 * rng.random(n_rot // 2)).tolist(),
                    long_factor=(1.0 + 7.0 * rng.random(n_rot // 2)).tolist())
        common.update(max_position_embeddings=128, rope_theta=10000.0, rms_norm_eps=1e-5)
        extra = dict(original_max_position_embeddings=32, partial_rotary_factor=0.75, sliding_window=24)
        if accepts(transformers.Phi3Config, "rope_parameters"):
            rope.update(rope_theta=10000.0, partial_rotary_factor=0.75, original_max_position_embeddings=32)
            extra["rope_parameters"] = rope
            common.pop("rope_theta")
        else:
            extra["rope_scaling"] = rope
        config = transformers.Phi3Config(**extra, **common)
        model = transformers.Phi3ForCausalLM(config)
    elif arch == "chatglm":
        # GLM-4 in HF form (GlmForCausalLM, what glm-4-9b-hf holds): QKV bias, fused gate-up, rope on
        # half of each head in adjacent pairs.
        common.update(rope_theta=10000.0, rms_norm_eps=1.5625e-07)
        extra = dict(head_dim=32, attention_bias=True)
        if accepts(transformers.GlmConfig, "rope_parameters"):
            extra["rope_parameters"] = dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5)
            common.pop("rope_theta")
        extra["partial_rotary_factor"] = 0.5
        config = transformers.GlmConfig(**extra, **common)
        model = transformers.GlmForCausalLM(config)
    elif arch == "mixtral":
        common.update(intermediate_size=96, rms_norm_eps=1e-5)
        config = transformers.MixtralConfig(num_local_experts=4, num_experts_per_tok=2, **common)
        model = transformers.MixtralForCausalLM(config)
    elif arch == "qwen2moe":
        config = transformers.Qwen2MoeConfig(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=96,
                                             shared_expert_intermediate_size=160, norm_topk_prob=False,
                                             decoder_sparse_step=1, mlp_only_layers=[], **common)
        model = transformers.Qwen2MoeForCausalLM(config)
    else:
        config = transformers.Qwen3MoeConfig(head_dim=48, num_experts=4, num_experts_per_tok=2,
                                             moe_intermediate_size=96, norm_topk_prob=True, decoder_sparse_step=1,
                                             mlp_only_layers=[], **common)
        model = transformers.Qwen3MoeForCausalLM(config)
    model = model.float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                # gemma's RMSNorm multiplies by (1 + w): weights near 0 there, near 1 elsewhere.
                p.copy_((0.0 if arch in GEMMA else 1.0) + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (1.0 / p.shape[-1] ** 0.5))
    return config, model


def layer_types(config):
    """Which layers slide, as the model itself decides (layer_types in recent transformers)."""
    types = getattr(config, "layer_types", None)
    if types:
        return list(types)
    n = config.num_hidden_layers
    if isinstance(config, transformers.Gemma2Config):
        return ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)]
    pattern = getattr(config, "sliding_window_pattern", 6)
    return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]


def rope_theta(config, layer_type="full_attention"):
    """transformers 5 keeps it in config.rope_parameters (per layer type for gemma3), 4.x in
    config.rope_theta (global) and config.rope_local_base_freq (gemma3's sliding layers)."""
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and layer_type in params and isinstance(params[layer_type], dict):
        params = params[layer_type]
    if isinstance(params, dict) and "rope_theta" in params:
        return float(params["rope_theta"])
    if layer_type == "sliding_attention" and hasattr(config, "rope_local_base_freq"):
        return float(config.rope_local_base_freq)
    return float(config.rope_theta)


def rope_setting(config, key, default=None):
    """A rope setting from config.rope_parameters (transformers 5), config.rope_scaling (4.x) or
    the config itself."""
    for holder in (getattr(config, "rope_parameters", None), getattr(config, "rope_scaling", None)):
        if isinstance(holder, dict) and holder.get(key) is not None:
            return holder[key]
    value = getattr(config, key, None)
    return default if value is None else value


def write_manifest(arch, config, model, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    g = GGUF_ARCH.get(arch, arch)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    md = [
        ("general.architecture", "str", g), ("general.name", "str", f"random {arch} (HF transformers)"),
        (f"{g}.context_length", "u32", config.max_position_embeddings),
        (f"{g}.embedding_length", "u32", config.hidden_size),
        (f"{g}.feed_forward_length", "u32", config.intermediate_size),
        (f"{g}.block_count", "u32", config.num_hidden_layers),
        (f"{g}.attention.head_count", "u32", config.num_attention_heads),
        (f"{g}.attention.head_count_kv", "u32", config.num_key_value_heads),
        (f"{g}.attention.key_length", "u32", head_dim),
        (f"{g}.attention.value_length", "u32", head_dim),
        (f"{g}.attention.layer_norm_rms_epsilon", "f32", config.rms_norm_eps),
        ("tokenizer.ggml.model", "str", "gpt2"), ("tokenizer.ggml.pre", "str", "qwen2"),
        ("tokenizer.ggml.tokens", "str[]", byte_level_vocab()),
        ("tokenizer.ggml.token_type", "i32[]", [1] * 256),
        ("tokenizer.ggml.merges", "str[]", []),
        ("tokenizer.ggml.eos_token_id", "u32", 0), ("tokenizer.ggml.bos_token_id", "u32", 0),
        ("tokenizer.ggml.add_bos_token", "bool", False),
    ]
    if arch != "gemma2":  # Gemma2Model in the converter writes no rope base (the default 10000)
        md.append((f"{g}.rope.freq_base", "f32", rope_theta(config)))
    if arch in GEMMA:
        md.append((f"{g}.attention.sliding_window", "u32", config.sliding_window))
        for key in ("attn_logit_softcapping", "final_logit_softcapping"):
            if getattr(config, key, None):
                md.append((f"{g}.{key}", "f32", float(getattr(config, key))))
        # Checks that the layer pattern and local rope base the engine assumes are the model's.
        types = layer_types(config)
        pattern = 2 if arch == "gemma2" else 6
        assumed = ["sliding_attention" if i % pattern < pattern - 1 else "full_attention" for i in range(len(types))]
        assert types == assumed, f"{arch}: layer types {types} differ from the GGUF pattern {assumed}"
    if arch == "gemma3":
        local_base = rope_theta(config, "sliding_attention")
        if local_base != 10000.0:
            md.append((f"{g}.rope.freq_base_swa", "f32", local_base))
    extra = {}
    if arch == "chatglm":
        n_rot = int(float(rope_setting(config, "partial_rotary_factor", 1.0)) * head_dim)
        md.append((f"{g}.rope.dimension_count", "u32", n_rot))
    if arch == "phi3":
        # Phi3MiniModel.set_gguf_parameters / generate_extra_tensors
        orig = int(rope_setting(config, "original_max_position_embeddings"))
        n_rot = int(float(rope_setting(config, "partial_rotary_factor", 1.0)) * head_dim)
        scale = config.max_position_embeddings / orig
        md += [(f"{g}.rope.dimension_count", "u32", n_rot),
               (f"{g}.rope.scaling.original_context_length", "u32", orig),
               (f"{g}.attention.sliding_window", "u32", config.sliding_window or 0),
               (f"{g}.rope.scaling.attn_factor", "f32", math.sqrt(1 + math.log(scale) / math.log(orig)))]
        extra["rope_factors_long.weight"] = np.array(rope_setting(config, "long_factor"), dtype=np.float32)
        extra["rope_factors_short.weight"] = np.array(rope_setting(config, "short_factor"), dtype=np.float32)
    if arch in MOE:
        n_expert = getattr(config, "num_local_experts", None) or config.num_experts
        ff = getattr(config, "moe_intermediate_size", None) or config.intermediate_size
        md += [(f"{g}.expert_count", "u32", n_expert), (f"{g}.expert_used_count", "u32", config.num_experts_per_tok)]
        if arch != "mixtral":
            md.append((f"{g}.expert_feed_forward_length", "u32", ff))
        if arch == "qwen2moe":
            md.append((f"{g}.expert_shared_feed_forward_length", "u32", config.shared_expert_intermediate_size))
        extra.update(expert_tensors(model.state_dict(), config.num_hidden_layers, n_expert, ff, config.hidden_size))
    tensors = []

    def add(name, data):
        file = name.replace(".", "_") + ".f32"
        data.astype("<f4").tofile(os.path.join(out_dir, file))
        tensors.append({"name": name, "shape": list(reversed(data.shape)), "file": file})

    for name, tensor in model.state_dict().items():
        if arch in GEMMA and name == "lm_head.weight":
            continue  # tied to the embedding; the converter skips it
        target = gguf_name(arch, name)
        if target is None:
            continue  # an expert tensor, in `extra`
        data = tensor.detach().float().contiguous()
        if arch in GEMMA and name.endswith("norm.weight"):
            data = data + 1.0  # the converter stores gemma's (1 + w)
        data = data.numpy()
        if arch == "mixtral" and name.endswith("self_attn.q_proj.weight"):
            data = permute_for_normal_rope(data, config.num_attention_heads)
        if arch == "mixtral" and name.endswith("self_attn.k_proj.weight"):
            data = permute_for_normal_rope(data, config.num_key_value_heads)
        if target.endswith("ffn_gate_inp_shexp.weight"):
            data = data.reshape(-1)  # [1, hidden] -> [hidden]
        add(target, data)
    for name, data in extra.items():
        add(name, data)
    manifest = {"metadata": [{"key": k, "type": t, "value": v} for k, t, v in md], "tensors": tensors}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def check(args, arch, seed):
    """Builds, converts and compares one family; returns its result lines (dicts)."""
    config, model = build_model(arch, seed)
    out_dir = os.path.join(args.work, arch)
    write_manifest(arch, config, model, out_dir)
    gguf = os.path.join(out_dir, f"{arch}-random.gguf")
    subprocess.run([args.converter, os.path.join(out_dir, "manifest.json"), gguf], check=True)
    rng = np.random.default_rng(seed)
    results = []
    for n_tokens in (40, 20) if arch == "phi3" else (40,):
        tokens = rng.integers(0, config.vocab_size, size=n_tokens).tolist()
        with torch.no_grad():
            ref = model(torch.tensor([tokens])).logits[0].float().numpy()
        ours_path = os.path.join(out_dir, "ours.f32")
        subprocess.run([args.rocmforge, "logits", "-m", gguf, "--device", args.device, "--tokens",
                        " ".join(map(str, tokens)), "-o", ours_path], check=True)
        ours = np.fromfile(ours_path, dtype="<f4").reshape(ref.shape)
        rel = float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))
        argmax_same = bool((ours.argmax(-1) == ref.argmax(-1)).all())
        verdict = "PASS" if rel <= args.tolerance and argmax_same else "FAIL"
        results.append({"arch": arch, "gguf_arch": GGUF_ARCH.get(arch, arch), "device": args.device,
                        "transformers": transformers.__version__,
                        "tokens": len(tokens), "rope_theta": rope_theta(config),
                        "sliding_window": getattr(config, "sliding_window", None), "rel_error": rel,
                        "argmax_identical": argmax_same, "tolerance": args.tolerance, "verdict": verdict})
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rocmforge", required=True)
    ap.add_argument("--converter", required=True)
    ap.add_argument("--work", default="/tmp/hf_random_model_check")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"], help="rocmforge logits --device")
    ap.add_argument("--arch", default="qwen2,qwen3,gemma2,gemma3,phi3,chatglm,mixtral,qwen2moe,qwen3moe")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    ok = True
    seeds = {"qwen2": 1, "qwen3": 2, "gemma2": 3, "gemma3": 4, "phi3": 5, "mixtral": 6, "qwen2moe": 7, "qwen3moe": 8,
             "chatglm": 9}
    for arch in args.arch.split(","):
        try:
            results = check(args, arch, seeds[arch])
        except Exception as e:  # one family's failure must not hide the others' results
            results = [{"arch": arch, "verdict": "FAIL", "error": f"{type(e).__name__}: {e}"}]
        for r in results:
            ok &= r["verdict"] == "PASS"
            print(json.dumps(r), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
