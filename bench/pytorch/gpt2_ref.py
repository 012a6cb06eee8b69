"""A GPT-2 written out in plain PyTorch, with Hugging Face GPT-2 parameter names.

Used by bench/pytorch/gpt_step.py (the timed training step) and by
scripts/golden/make_engine_goldens.py (the golden fixtures), so the TypeScript twin can load the
very same weights by name:

  transformer.wte.weight            [vocab, d]      token embedding, also the LM head (tied)
  transformer.wpe.weight            [n_pos, d]      learned positional embedding
  transformer.h.{i}.ln_1.weight/bias
  transformer.h.{i}.attn.c_attn.weight/bias   [d, 3d] / [3d]   Conv1D: weight is [in, out]
  transformer.h.{i}.attn.c_proj.weight/bias   [d, d]  / [d]
  transformer.h.{i}.ln_2.weight/bias
  transformer.h.{i}.mlp.c_fc.weight/bias      [d, m]  / [m]
  transformer.h.{i}.mlp.c_proj.weight/bias    [m, d]  / [d]
  transformer.ln_f.weight/bias

Differences from `transformers.GPT2LMHeadModel` that do not change the math: no dropout, the
causal mask is a non-persistent buffer (HF saves `attn.bias`/`attn.masked_bias` buffers), there is
no separate `lm_head.weight` entry (it is the same tensor as `transformer.wte.weight`), and masked
scores are set to -inf instead of finfo.min (both give exactly zero after softmax when at least one
key in the row is visible, which causal attention always has).

Attention is the explicit math form softmax(Q K^T / sqrt(head_dim) + causal mask) V. PyTorch 1.13
has no torch.nn.functional.scaled_dot_product_attention (added in 2.0), so there is no fused kernel
to avoid; the benchmark times exactly this sequence of ops.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 512
    n_positions: int = 128
    n_embd: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_inner: int = 1024
    layer_norm_epsilon: float = 1e-5


class Conv1D(nn.Module):
    """GPT-2's linear layer: y = x @ weight + bias with weight stored as [in, out]."""

    def __init__(self, nx, nf):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(shape)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        mask = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        self.register_buffer("causal", mask.view(1, 1, cfg.n_positions, cfg.n_positions), persistent=False)

    def forward(self, x):
        b, t, c = x.shape
        hd = c // self.n_head
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, hd).transpose(1, 2)  # [b, h, t, hd]
        k = k.view(b, t, self.n_head, hd).transpose(1, 2)
        v = v.view(b, t, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(~self.causal[:, :, :t, :t], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, cfg.n_inner)
        self.c_proj = Conv1D(cfg.n_inner, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-LN: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),
                wpe=nn.Embedding(cfg.n_positions, cfg.n_embd),
                h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
                ln_f=nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon),
            )
        )
        self._init_weights()

    def _init_weights(self):
        # GPT2PreTrainedModel._init_weights: N(0, 0.02) everywhere, residual projections scaled
        # by 1/sqrt(2 * n_layer).
        nn.init.normal_(self.transformer.wte.weight, std=0.02)
        nn.init.normal_(self.transformer.wpe.weight, std=0.02)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * self.cfg.n_layer))

    def forward(self, idx):
        b, t = idx.shape
        pos = torch.arange(t, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        return F.linear(x, self.transformer.wte.weight)  # tied LM head


def lm_loss(logits, targets):
    """Mean cross-entropy over every position."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
