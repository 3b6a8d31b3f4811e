#!/usr/bin/python3
"""PyTorch reference for `bench train-step`: the same MiniLM-shaped BERT training step (forward, cross-entropy on a
3-class head, backward, AdamW step) as Microsoft.ML.Lora, in plain PyTorch (Debian python3-torch 1.13, MKL BLAS).

usage: train_step_reference.py {lora|full|head} SEQ [--batch 32] [--steps 20] [--threads 2] [--precision fp32|bf16]
                               [--lora-dropout 0.0]
       train_step_reference.py roofline [--threads 2] [--precision fp32|bf16]
Prints one JSON line: {"config":..., "median_ms":..., "peak_rss_mb":..., "trainable":...}.
--precision bf16 runs forward and loss under torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own mixed precision
(weights, gradients and AdamW state float32; matmuls in bfloat16), backward and the optimizer step outside it.
Weights are random (timing does not depend on their values); shapes are all-MiniLM-L6-v2's.
"""
import argparse, json, math, resource, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

H, L, HEADS, I, V, P = 384, 6, 12, 1536, 30522, 512


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r=8, alpha=16, dropout=0.0):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.drop = nn.Dropout(dropout)
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(self.drop(x))) * self.scale


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.attn_out, self.ln1 = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-12)
        self.inter, self.out, self.ln2 = nn.Linear(H, I), nn.Linear(I, H), nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, HEADS, H // HEADS).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(H // HEADS) + mask       # torch 1.13 has no scaled_dot_product_attention
        a = (self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, H)
        x = self.ln1(x + self.drop(self.attn_out(a)))
        return self.ln2(x + self.drop(self.out(F.gelu(self.inter(x)))))


class Bert(nn.Module):
    def __init__(self, labels=3):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(2, H)
        self.ln, self.drop = nn.LayerNorm(H, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.pooler, self.classifier = nn.Linear(H, H), nn.Linear(H, labels)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.pos(torch.arange(t)) + self.token_type.weight[0]))
        add = (1.0 - mask[:, None, None, :].float()) * -1e9
        for layer in self.layers:
            x = layer(x, add)
        return self.classifier(self.drop(torch.tanh(self.pooler(x[:, 0]))))


def model_for(config, lora_dropout):
    m = Bert()
    if config == "full":
        return m
    for p in m.parameters():
        p.requires_grad = False
    for p in m.classifier.parameters():
        p.requires_grad = True
    if config == "lora":
        for layer in m.layers:
            layer.query, layer.value = LoraLinear(layer.query, dropout=lora_dropout), LoraLinear(layer.value, dropout=lora_dropout)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config", choices=["lora", "full", "head", "roofline"])
    ap.add_argument("seq", type=int, nargs="?", default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--lora-dropout", type=float, default=0.0)
    a = ap.parse_args()
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.config == "roofline":
        x, y = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
        for _ in range(2): x @ y
        t0 = time.perf_counter(); n = 10
        for _ in range(n): x @ y
        print(json.dumps({"config": "roofline", "precision": a.precision, "gflops": 2 * 2048 ** 3 * n / (time.perf_counter() - t0) / 1e9}))
        return
    m = model_for(a.config, a.lora_dropout)
    m.train()
    params = [p for p in m.parameters() if p.requires_grad]
    decay = [p for n, p in m.named_parameters() if p.requires_grad and not n.endswith("bias") and "ln" not in n]
    no_decay = [p for n, p in m.named_parameters() if p.requires_grad and (n.endswith("bias") or "ln" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-4)
    ids = torch.randint(5, V, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, 3, (a.batch,))
    times, cpu = [], []
    for step in range(a.steps + a.warmup):
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = F.cross_entropy(m(ids, mask), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"config": a.config, "seq": a.seq, "precision": a.precision, "median_ms": statistics.median(times),
                      "ms": times, "cpu_ms": cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "trainable": sum(p.numel() for p in params), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
