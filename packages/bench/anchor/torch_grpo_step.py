"""
The same-run PyTorch CPU anchor of `pnpm bench`: one GRPO step on the bench's work unit in plain
eager torch, timed by phase as packages/bench/src/grpo-step.ts times grpojs's:

  rollout    KV-cached sampling of new_tokens per row (temperature 0.9, no EOS stop), LoRA on
  reference  log-probs of the completions with the adapters off, no grad, per micro-batch
  training   forward + backward of the GRPO loss (β 0.04, ε 0.2, loss_type grpo, one iteration so
             the old log-probs are the detached current) per micro-batch, LoRA gradients summed
  optimizer  global-norm clip (1.0) + AdamW (lr 1e-5) on the LoRA parameters

The base is fp32 (bitsandbytes' NF4 has no CPU kernels in torch, so NF4 rows are compared with this
fp32 anchor). One warm-up step, then the median of --runs steps; JSON on stdout.

  python3 torch_grpo_step.py --config config.json [--runs 1 --threads 2 --checkpointing ...]
  python3 torch_grpo_step.py --checkpoint DIR --logprobs '{"prompt": [[..]], "completion": [[..]]}'
  python3 torch_grpo_step.py --probe
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

TEMPERATURE = 0.9
BETA = 0.04
EPSILON = 0.2
MAX_LOG_RATIO = 20.0  # @grpojs/rl's clamp of log-ratios before exp

# Torch on CPU has no caching allocator: every tensor comes from malloc, and glibc hands large blocks
# (over its 128 KiB–32 MiB mmap threshold) back to the kernel on free, so the next step's logits
# fault in their pages again. On a VM that costs ~100× the arithmetic (measured here: 310 ms to fill
# a fresh 256 × 50257 fp32 tensor, 3 ms to refill it). PyTorch's CPU tuning guides answer this with
# jemalloc or tcmalloc; neither ships beside Debian's torch, so the anchor keeps freed memory in the
# process with glibc's own tunables (set before start: the script re-executes itself with them).
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=68719476736"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--probe", action="store_true", help="print the torch and numpy versions as JSON and exit")
    p.add_argument("--config", help="HF config.json of the shape (random weights)")
    p.add_argument("--checkpoint", help="HF folder (config.json + model.safetensors) to load instead")
    p.add_argument("--logprobs", help='JSON {"prompt": [[ids]], "completion": [[ids]]}: print their per-token log-probs (temperature 1; also through the KV cache) and exit')
    p.add_argument("--rows", type=int, default=8, help="sequences per step (prompts × generations)")
    p.add_argument("--generations", type=int, default=2, help="generations per prompt (adjacent rows)")
    p.add_argument("--prompt-tokens", type=int, default=128)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--micro-batch", type=int, default=2, help="rows per reference / training micro-batch")
    p.add_argument("--runs", type=int, default=1, help="timed steps after one warm-up step")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch intra-op threads")
    p.add_argument("--checkpointing", action="store_true", help="recompute each block in the backward pass")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=float, default=32)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--lora-targets", help="comma list of PEFT module names (default: PEFT's for the family)")
    p.add_argument("--seed", type=int, default=1234)
    return p.parse_args(argv)


def probe():
    import numpy
    import torch

    return {"torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version()}


def build_model(args, torch, CausalLM):
    torch.manual_seed(args.seed)
    if args.checkpoint:
        return CausalLM.from_folder(args.checkpoint, checkpointing=args.checkpointing)
    with open(args.config) as f:
        config = json.load(f)
    lm = CausalLM(config, checkpointing=args.checkpointing)
    with torch.no_grad():  # random weights at the real shape: the speed does not depend on the values
        for name, p in lm.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0 if "norm" in name or "ln" in name else 0.0)
            else:
                p.normal_(0.0, 0.02)
    return lm


def make_prompts(torch, args, vocab):
    """rows // generations random prompts, each repeated in adjacent rows (TRL's layout)."""
    g = torch.Generator().manual_seed(7)
    unique = torch.randint(0, vocab - 1, (args.rows // args.generations, args.prompt_tokens), generator=g)
    return unique.repeat_interleave(args.generations, dim=0)  # [rows, P]


def rollout(torch, lm, prompts, args, step):
    """Samples new_tokens per row: one prefill, then one cached forward per token."""
    g = torch.Generator().manual_seed(1000 + step)
    lm.eval()
    out = []
    with torch.no_grad():
        cache = lm.new_cache(prompts.shape[0], args.prompt_tokens + args.new_tokens)
        h = lm.hidden(prompts, cache)[:, -1]  # [B, C]
        for i in range(args.new_tokens):
            probs = (lm.logits(h) / TEMPERATURE).softmax(-1)  # [B, V]
            token = torch.multinomial(probs, 1, generator=g)  # [B, 1]
            out.append(token)
            if i + 1 < args.new_tokens:
                h = lm.hidden(token, cache)[:, -1]
    return torch.cat(out, dim=1)  # [B, N]


def advantages(torch, completions, args):
    """A fixed pseudo-random reward per row (as grpo-step.ts), normalized within each group."""
    rewards = (completions.sum(1) % 7).float() / 7
    groups = rewards.view(-1, args.generations)
    adv = (groups - groups.mean(1, keepdim=True)) / (groups.std(1, keepdim=True) + 1e-4)
    return adv.view(-1)


def micro_batches(args):
    return [(a, min(a + args.micro_batch, args.rows)) for a in range(0, args.rows, args.micro_batch)]


def reference_log_probs(torch, lm, prompts, completions, args):
    lm.eval()
    lm.set_adapters(False)
    with torch.no_grad():
        refs = [lm.token_log_probs(prompts[a:b], completions[a:b], TEMPERATURE)[0] for a, b in micro_batches(args)]
    lm.set_adapters(True)
    return refs


def training_backward(torch, lm, prompts, completions, refs, adv, args):
    """GRPO loss per micro-batch (loss_type grpo: per-row token mean, batch mean, ÷ accumulation steps), backward."""
    lm.train()
    parts = micro_batches(args)
    total = 0.0
    for (a, b), ref in zip(parts, refs):
        logp, _entropy = lm.token_log_probs(prompts[a:b], completions[a:b], TEMPERATURE, with_entropy=True)
        ratio = torch.exp((logp - logp.detach()).clamp(-MAX_LOG_RATIO, MAX_LOG_RATIO))
        A = adv[a:b, None]
        surrogate = torch.minimum(ratio * A, ratio.clamp(1 - EPSILON, 1 + EPSILON) * A)
        delta = (ref - logp).clamp(-MAX_LOG_RATIO, MAX_LOG_RATIO)
        per_token = -surrogate + BETA * (torch.exp(delta) - delta - 1)
        loss = per_token.mean(1).mean() / len(parts)
        loss.backward()
        total += loss.item()
    return total


def time_step(torch, lm, optimizer, params, prompts, args, step):
    phases = {}
    cpu = {}

    def timed(name, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        phases[name], cpu[name] = time.perf_counter() - t0, time.process_time() - c0
        return value

    completions = timed("rollout", lambda: rollout(torch, lm, prompts, args, step))
    adv = advantages(torch, completions, args)
    refs = timed("reference", lambda: reference_log_probs(torch, lm, prompts, completions, args))
    timed("training", lambda: training_backward(torch, lm, prompts, completions, refs, adv, args))

    def optimize():
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    timed("optimizer", optimize)
    phases["total"] = sum(phases.values())
    cpu["total"] = sum(cpu.values())
    return {**phases, "cpu": cpu}


def bench(args):
    import torch

    from torch_models import CausalLM

    torch.set_num_threads(args.threads)
    lm = build_model(args, torch, CausalLM)
    params = lm.add_lora(args.lora_r, args.lora_alpha, args.lora_dropout, args.lora_targets.split(",") if args.lora_targets else None)
    optimizer = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    prompts = make_prompts(torch, args, lm.body.c["vocab_size"])
    load_before = os.getloadavg()
    warmup = time_step(torch, lm, optimizer, params, prompts, args, 0)
    print(f"torch anchor: warm-up step {warmup['total']:.2f} s", file=sys.stderr)
    runs = []
    for i in range(args.runs):
        runs.append(time_step(torch, lm, optimizer, params, prompts, args, i + 1))
        r = runs[-1]
        print(f"torch anchor: run {i + 1}/{args.runs} {r['total']:.2f} s (rollout {r['rollout']:.2f}, ref {r['reference']:.2f}, train {r['training']:.2f}) load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    keys = ["rollout", "reference", "training", "optimizer", "total"]
    median = {k: statistics.median(r[k] for r in runs) for k in keys}
    median["cpu"] = {k: statistics.median(r["cpu"][k] for r in runs) for k in keys}
    return {
        "anchor": "torch",
        **probe(),
        "threads": torch.get_num_threads(),
        "base": "fp32",
        "allocator": f"glibc malloc, GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '')}",
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "default (spin, then sleep)"),
        "checkpointing": args.checkpointing,
        "workUnit": {"sequences": args.rows, "promptTokens": args.prompt_tokens, "newTokens": args.new_tokens, "microBatch": args.micro_batch},
        "lora": {"r": args.lora_r, "alpha": args.lora_alpha, "dropout": args.lora_dropout, "targets": args.lora_targets.split(",") if args.lora_targets else lm.body.default_targets},
        "loadavgBefore": list(load_before),
        "loadavgAfter": list(os.getloadavg()),
        "warmup": warmup,
        "runs": runs,
        "median": median,
        "rolloutTokensPerSecond": args.rows * args.new_tokens / median["rollout"],
        "trainingTokensPerSecond": args.rows * (args.prompt_tokens + args.new_tokens) / median["training"],
    }


def log_probs(args):
    import torch

    from torch_models import CausalLM

    torch.set_num_threads(args.threads)
    lm = CausalLM.from_folder(args.checkpoint)
    lm.eval()
    ids = json.loads(args.logprobs)
    prompt, completion = torch.tensor(ids["prompt"]), torch.tensor(ids["completion"])
    with torch.no_grad():
        logp, _ = lm.token_log_probs(prompt, completion, 1.0)
        # The same through the rollout's path (prefill, then one cached token at a time).
        cache = lm.new_cache(prompt.shape[0], prompt.shape[1] + completion.shape[1])
        h = lm.hidden(prompt, cache)[:, -1]
        cached = []
        for t in range(completion.shape[1]):
            cached.append(lm.logits(h).log_softmax(-1).gather(-1, completion[:, t:t + 1]))
            h = lm.hidden(completion[:, t:t + 1], cache)[:, -1]
    return {"logProbs": logp.tolist(), "cachedLogProbs": torch.cat(cached, dim=1).tolist()}


def main(argv):
    args = parse_args(argv)
    if not args.probe and MALLOC_TUNABLES not in os.environ.get("GLIBC_TUNABLES", ""):
        env = {**os.environ, "GLIBC_TUNABLES": ":".join(filter(None, [os.environ.get("GLIBC_TUNABLES"), MALLOC_TUNABLES]))}
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *argv], env)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.probe:
        result = probe()
    elif args.logprobs:
        if not args.checkpoint:
            raise SystemExit("--logprobs needs --checkpoint DIR (the weights to score with)")
        result = log_probs(args)
    else:
        if not (args.config or args.checkpoint):
            raise SystemExit("give --config config.json (random weights) or --checkpoint DIR")
        if args.rows % args.generations:
            raise SystemExit(f"--rows {args.rows} must be a multiple of --generations {args.generations}")
        result = bench(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
