"""
The two model families of the bench in plain eager PyTorch, for the same-run anchor
(torch_grpo_step.py): GPT-2 and the Llama family (Llama, Qwen2), built from an HF config.json,
with random weights or the weights of an HF folder's model.safetensors, LoRA on chosen Linear
layers, a preallocated KV cache for sampling, and log-probs computed on completion positions only
(TRL's logits_to_keep), so the vocab-sized head never runs over the prompt.

Written the way a careful eager-PyTorch user would (no torch.compile, no fused kernels beyond what
torch 1.13 ships); torch 1.13 has no scaled_dot_product_attention, so attention is matmul-softmax-
matmul. Order follows the data: safetensors → LoRA → GPT-2 → Llama → the causal LM wrapper.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint


def read_safetensors(path):
    """name → float32 tensor. The format is 8 bytes of header length, a JSON header, raw data; read
    with numpy because the safetensors package is optional where the bench runs."""
    dtypes = {"F32": np.float32, "F16": np.float16}
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}; the anchor reads F32 and F16 only")
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


class LoRALinear(nn.Module):
    """y = base(x) + (dropout(x) Aᵀ Bᵀ)·alpha/r, PEFT's init (A Kaiming-uniform, B zero); base frozen."""

    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        self.scale = alpha / r
        self.enabled = True

    def forward(self, x):
        y = self.base(x)
        if self.enabled:
            y = y + F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B) * self.scale
        return y


class KVCache:
    """Per-layer key/value buffers [B, kv_heads, max_len, D] filled in place (no concatenation per step)."""

    def __init__(self, layers, batch, kv_heads, max_len, head_dim):
        self.k = [torch.empty(batch, kv_heads, max_len, head_dim) for _ in range(layers)]
        self.v = [torch.empty(batch, kv_heads, max_len, head_dim) for _ in range(layers)]
        self.length = 0

    def update(self, layer, k, v):
        """Stores k, v [B, kvh, T, D] at the current position; returns the keys/values so far."""
        start, end = self.length, self.length + k.shape[2]
        self.k[layer][:, :, start:end] = k
        self.v[layer][:, :, start:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]


def attend(q, k, v, past):
    """softmax(q kᵀ/√D + causal mask) v; q [B, H, T, D], k/v [B, H, past+T, D]."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])  # [B, H, T, past+T]
    t = q.shape[2]
    if t > 1:
        mask = torch.ones(t, past + t, dtype=torch.bool).triu(past + 1)
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.matmul(scores.softmax(-1), v)


# GPT-2 ------------------------------------------------------------------------------------------


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c["n_embd"]
        inner = c.get("n_inner") or 4 * C
        self.heads = c["n_head"]
        self.ln_1 = nn.LayerNorm(C, eps=c.get("layer_norm_epsilon", 1e-5))
        # HF's Conv1D stores [in, out]; nn.Linear holds [out, in], so the loader transposes.
        self.c_attn = nn.Linear(C, 3 * C)
        self.attn_c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=c.get("layer_norm_epsilon", 1e-5))
        self.c_fc = nn.Linear(C, inner)
        self.mlp_c_proj = nn.Linear(inner, C)

    def forward(self, x, layer, cache):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))  # [B, H, T, D]
        past = cache.length if cache else 0
        if cache:
            k, v = cache.update(layer, k, v)
        a = attend(q, k, v, past).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn_c_proj(a)
        return x + self.mlp_c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    lora_names = {"c_attn": "c_attn", "c_proj": "attn_c_proj"}
    default_targets = ["c_attn"]

    def __init__(self, c):
        super().__init__()
        self.c = c
        C = c["n_embd"]
        self.wte = nn.Embedding(c["vocab_size"], C)
        self.wpe = nn.Embedding(c["n_positions"], C)
        self.h = nn.ModuleList(GPT2Block(c) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(C, eps=c.get("layer_norm_epsilon", 1e-5))
        self.cache_shape = (c["n_layer"], c["n_head"], C // c["n_head"])

    def embed(self, ids, start):
        pos = torch.arange(start, start + ids.shape[1])
        return self.wte(ids) + self.wpe(pos)

    def head_weight(self):
        return self.wte.weight

    def load(self, tensors):
        for name, t in tensors.items():
            name = name[len("transformer."):] if name.startswith("transformer.") else name
            if name == "lm_head.weight" or name.endswith(".attn.bias") or name.endswith(".masked_bias"):
                continue
            parts = name.split(".")
            if parts[0] == "h":
                block = self.h[int(parts[1])]
                module = {"attn.c_attn": block.c_attn, "attn.c_proj": block.attn_c_proj, "mlp.c_fc": block.c_fc, "mlp.c_proj": block.mlp_c_proj,
                          "ln_1": block.ln_1, "ln_2": block.ln_2}[".".join(parts[2:-1])]
                conv1d = parts[-1] == "weight" and not parts[2].startswith("ln")
                getattr(module, parts[-1]).data.copy_(t.t() if conv1d else t)
            else:
                getattr(getattr(self, parts[0]), parts[1]).data.copy_(t)


# Llama family ------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, H, KV = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        D = c.get("head_dim") or C // H
        qkv_bias = c["model_type"] == "qwen2" or bool(c.get("attention_bias"))
        self.H, self.KV, self.D = H, KV, D
        self.input_layernorm = RMSNorm(C, c["rms_norm_eps"])
        self.q_proj = nn.Linear(C, H * D, bias=qkv_bias)
        self.k_proj = nn.Linear(C, KV * D, bias=qkv_bias)
        self.v_proj = nn.Linear(C, KV * D, bias=qkv_bias)
        self.o_proj = nn.Linear(H * D, C, bias=c["model_type"] == "llama" and bool(c.get("attention_bias")))
        self.post_attention_layernorm = RMSNorm(C, c["rms_norm_eps"])
        mlp_bias = bool(c.get("mlp_bias"))
        self.gate_proj = nn.Linear(C, c["intermediate_size"], bias=mlp_bias)
        self.up_proj = nn.Linear(C, c["intermediate_size"], bias=mlp_bias)
        self.down_proj = nn.Linear(c["intermediate_size"], C, bias=mlp_bias)

    def forward(self, x, layer, cache, cos, sin):
        B, T, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.H, self.D).transpose(1, 2)  # [B, H, T, D]
        k = self.k_proj(h).view(B, T, self.KV, self.D).transpose(1, 2)  # [B, KV, T, D]
        v = self.v_proj(h).view(B, T, self.KV, self.D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        past = cache.length if cache else 0
        if cache:
            k, v = cache.update(layer, k, v)
        rep = self.H // self.KV  # grouped-query attention: each KV head serves `rep` query heads
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        a = attend(q, k, v, past).transpose(1, 2).reshape(B, T, self.H * self.D)
        x = x + self.o_proj(a)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    default_targets = ["q_proj", "v_proj"]

    def __init__(self, c):
        super().__init__()
        if c["model_type"] not in ("llama", "qwen2") or c.get("rope_scaling"):
            raise ValueError(f"the anchor implements llama and qwen2 without rope scaling, not model_type {c['model_type']}")
        self.c = c
        C = c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], C)
        self.layers = nn.ModuleList(LlamaBlock(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(C, c["rms_norm_eps"])
        self.lm_head = None if c.get("tie_word_embeddings", True) else nn.Linear(C, c["vocab_size"], bias=False)
        D = c.get("head_dim") or C // c["num_attention_heads"]
        self.inv_freq = 1.0 / c.get("rope_theta", 10000.0) ** (torch.arange(0, D, 2, dtype=torch.float64) / D)
        self.cache_shape = (c["num_hidden_layers"], c["num_key_value_heads"], D)

    def rotary(self, start, T):
        """cos, sin [T, D], angles in float64 then rounded once (as grpojs's rotary.ts)."""
        angles = torch.arange(start, start + T, dtype=torch.float64)[:, None] * self.inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos().float(), angles.sin().float()

    def embed(self, ids, start):
        return self.embed_tokens(ids)

    def head_weight(self):
        return self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight

    def load(self, tensors):
        for name, t in tensors.items():
            if name == "lm_head.weight":
                if self.lm_head is not None:
                    self.lm_head.weight.data.copy_(t)
                continue
            parts = name.split(".")[1:]  # drop "model."
            if parts[0] == "layers":
                block = self.layers[int(parts[1])]
                getattr(getattr(block, parts[-2]), parts[-1]).data.copy_(t)  # self_attn./mlp. are flat here
            else:
                getattr(getattr(self, parts[0]), parts[1]).data.copy_(t)


# The causal LM the step drives ----------------------------------------------------------------------


class CausalLM(nn.Module):
    """Wraps a GPT2 or Llama body: forward over token ids with an optional KV cache, LoRA switching,
    gradient checkpointing per block, and head + log-softmax on chosen positions only."""

    def __init__(self, config, checkpointing=False):
        super().__init__()
        self.body = GPT2(config) if config["model_type"] == "gpt2" else Llama(config)
        self.checkpointing = checkpointing
        self.loras = []

    @classmethod
    def from_folder(cls, folder, **kw):
        with open(os.path.join(folder, "config.json")) as f:
            lm = cls(json.load(f), **kw)
        lm.body.load(read_safetensors(os.path.join(folder, "model.safetensors")))
        return lm

    def add_lora(self, r, alpha, dropout, targets=None):
        """Wraps every Linear whose name is in `targets` (PEFT's names; default as PEFT for the family)."""
        targets = targets or self.body.default_targets
        for p in self.parameters():
            p.requires_grad_(False)
        blocks = self.body.h if isinstance(self.body, GPT2) else self.body.layers
        names = {GPT2.lora_names.get(t, t) for t in targets} if isinstance(self.body, GPT2) else set(targets)
        for block in blocks:
            for name in names:
                lora = LoRALinear(getattr(block, name), r, alpha, dropout)
                setattr(block, name, lora)
                self.loras.append(lora)
        return [p for lora in self.loras for p in (lora.lora_A, lora.lora_B)]

    def set_adapters(self, enabled):
        for lora in self.loras:
            lora.enabled = enabled

    def new_cache(self, batch, max_len):
        layers, kv_heads, head_dim = self.body.cache_shape
        return KVCache(layers, batch, kv_heads, max_len, head_dim)

    def hidden(self, ids, cache=None):
        """Final-norm hidden states [B, T, C] of ids [B, T] after cache.length cached positions."""
        start = cache.length if cache else 0
        x = self.body.embed(ids, start)
        llama = isinstance(self.body, Llama)
        extra = self.body.rotary(start, ids.shape[1]) if llama else ()
        blocks = self.body.layers if llama else self.body.h
        for i, block in enumerate(blocks):
            if self.checkpointing and torch.is_grad_enabled():
                x = checkpoint(block, x, i, None, *extra, use_reentrant=False)
            else:
                x = block(x, i, cache, *extra)
        if cache:
            cache.length += ids.shape[1]
        return self.body.norm(x) if llama else self.body.ln_f(x)

    def logits(self, h):
        return F.linear(h, self.body.head_weight())

    def token_log_probs(self, prompt, completion, temperature, with_entropy=False):
        """log p(completion token | prefix) [B, N] (and the entropy [B, N] without gradient): the
        head runs on the N positions that predict the completion only."""
        P, N = prompt.shape[1], completion.shape[1]
        ids = torch.cat((prompt, completion[:, :-1]), dim=1)  # the last token predicts nothing we score
        h = self.hidden(ids)[:, P - 1:P - 1 + N]  # [B, N, C]
        logp_all = (self.logits(h) / temperature).log_softmax(-1)  # [B, N, V]
        logp = logp_all.gather(-1, completion[..., None]).squeeze(-1)
        if not with_entropy:
            return logp, None
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(-1)
        return logp, entropy
