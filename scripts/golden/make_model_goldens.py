#!/usr/bin/python3
"""Golden checkpoints for Osmosis's model families (GPT-2, BERT, Llama), computed with PyTorch.

Debian 12 ships python3-torch (1.13) but not python3-transformers, so the three architectures are
re-stated here in plain PyTorch, following Hugging Face Transformers' modeling_gpt2.py,
modeling_bert.py and modeling_llama.py line by line, with the same module and parameter names.
The directories written are laid out as `save_pretrained(..., safe_serialization=True)` lays
them out (config.json + model.safetensors, or shards + model.safetensors.index.json), so the
TypeScript loaders read them exactly as they read a Hugging Face checkpoint:

  gpt2/          GPT2LMHeadModel, `transformer.` keys, F32, no lm_head.weight (tied to wte)
  gpt2-f16/      the same architecture saved as a hub GPT-2 is: keys WITHOUT the `transformer.`
                 prefix, F16, plus the legacy `h.N.attn.bias` / `h.N.attn.masked_bias` buffers;
                 expected values computed from the F16-rounded weights
  bert-mlm/      BertForMaskedLM (no pooler; cls.predictions.decoder tied, not saved)
  bert-seqcls/   BertForSequenceClassification, 3 labels with id2label/label2id
  bert-tokcls/   BertForTokenClassification, 5 labels
  bert-qa/       BertForQuestionAnswering, saved in two shards + model.safetensors.index.json
  llama/         LlamaForCausalLM, grouped-query attention (4 heads, 2 kv heads), untied lm_head
  llama-bf16/    LlamaForCausalLM, BF16, tied embeddings (no lm_head.weight), multi-query
                 attention (1 kv head), attention_bias, rope_theta 500000, linear rope scaling

Each directory also holds expected.json: fixed inputs (input_ids, attention_mask, token_type_ids,
labels / positions) and the outputs of the float32 forward (logits, or start/end logits, and the
loss); for gpt2 and llama also the loss's gradient norm for every parameter. Tensors are
{"shape", "data"} with data flat in row-major order, floats written to 9 significant digits (exact
for float32).

Weights are drawn with torch.manual_seed and then scaled so that every nonlinearity is exercised
(norm weights 1 + 0.2 N, biases 0.1 N, matrices N / sqrt(fan_in), embeddings 0.5 N): HF's
initializer_range of 0.02 would make every logit nearly zero and the comparison weak.

Usage (Debian: apt-get install python3-torch python3-numpy; torch is in the system Python):

    /usr/bin/python3 scripts/golden/make_model_goldens.py [--out test/fixtures/models]
"""

import argparse
import json
import math
import os
import shutil
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = "scripts/golden/make_model_goldens.py"
NEG = torch.finfo(torch.float32).min


def act_fn(name):
    return {
        "gelu": lambda x: F.gelu(x),
        "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
        "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "relu": F.relu,
        "silu": F.silu,
    }[name]


def extended_mask(mask, dtype=torch.float32):
    """[B, Tk] 1/0 -> additive [B, 1, 1, Tk] as HF's get_extended_attention_mask."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * NEG


# ---------------------------------------------------------------------------------------------
# GPT-2 (modeling_gpt2.py, eager attention)


class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, cfg, layer_idx):
        super().__init__()
        self.embed_dim = cfg["n_embd"]
        self.num_heads = cfg["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.scale_attn_weights = cfg.get("scale_attn_weights", True)
        self.scale_by_layer = cfg.get("scale_attn_by_inverse_layer_idx", False)
        self.layer_idx = layer_idx
        n = cfg["n_positions"]
        self.register_buffer(
            "bias", torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False
        )
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def split_heads(self, t):
        return t.view(t.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, x, attention_mask):
        q, k, v = self.c_attn(x).split(self.embed_dim, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        if self.scale_attn_weights:
            w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        if self.scale_by_layer:
            w = w / float(self.layer_idx + 1)
        ql, kl = q.size(-2), k.size(-2)
        causal = self.bias[:, :, kl - ql : kl, :kl]
        w = torch.where(causal, w, torch.full([], NEG, dtype=w.dtype))
        if attention_mask is not None:
            w = w + attention_mask
        w = F.softmax(w, dim=-1)
        y = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        y = y.view(y.size()[:-2] + (self.embed_dim,))
        return self.c_proj(y)


class GPT2MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        inner = cfg.get("n_inner") or 4 * cfg["n_embd"]
        self.c_fc = Conv1D(inner, cfg["n_embd"])
        self.c_proj = Conv1D(cfg["n_embd"], inner)
        self.act = act_fn(cfg.get("activation_function", "gelu_new"))

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, cfg, layer_idx):
        super().__init__()
        eps = cfg["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(cfg["n_embd"], eps=eps)
        self.attn = GPT2Attention(cfg, layer_idx)
        self.ln_2 = nn.LayerNorm(cfg["n_embd"], eps=eps)
        self.mlp = GPT2MLP(cfg)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg, i) for i in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        T = input_ids.shape[1]
        pos = torch.arange(T)[None]
        h = self.wte(input_ids) + self.wpe(pos)
        if token_type_ids is not None:
            h = h + self.wte(token_type_ids)
        mask = extended_mask(attention_mask) if attention_mask is not None else None
        for block in self.h:
            h = block(h, mask)
        return self.ln_f(h)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None):
        logits = self.lm_head(self.transformer(input_ids, attention_mask, token_type_ids))
        return {"logits": logits, "loss": causal_lm_loss(logits, labels)}


def causal_lm_loss(logits, labels):
    if labels is None:
        return None
    shift_logits = logits[..., :-1, :].contiguous()
    shift_labels = labels[..., 1:].contiguous()
    return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))


# ---------------------------------------------------------------------------------------------
# BERT (modeling_bert.py, absolute positions, eager attention)


class BertEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], d, padding_idx=cfg["pad_token_id"])
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        pos = torch.arange(T)[None]
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        e = e + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(e))


class BertSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.head_size = d // self.num_heads
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def heads(self, x):
        return x.view(x.size()[:-1] + (self.num_heads, self.head_size)).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        if mask is not None:
            s = s + mask
        p = F.softmax(s, dim=-1)
        c = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous()
        return c.view(c.size()[:-2] + (self.num_heads * self.head_size,))


class BertSelfOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])
        self.act = act_fn(cfg["hidden_act"])

    def forward(self, x):
        return self.act(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["intermediate_size"], cfg["hidden_size"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertOutput(cfg)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, cfg, add_pooling_layer=True):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        self.pooler = BertPooler(cfg) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        mask = extended_mask(attention_mask) if attention_mask is not None else None
        h = self.encoder(self.embeddings(input_ids, token_type_ids), mask)
        return h, (self.pooler(h) if self.pooler is not None else None)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.act = act_fn(cfg["hidden_act"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transform = BertPredictionHeadTransform(cfg)
        self.decoder = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.predictions = BertLMPredictionHead(cfg)

    def forward(self, x):
        return self.predictions(x)


class BertForMaskedLM(nn.Module):
    tied = ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"]

    def __init__(self, cfg):
        super().__init__()
        self.bert = BertModel(cfg, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(cfg)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.cls(h)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
        return {"logits": logits, "loss": loss}


class BertForSequenceClassification(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_labels = cfg["num_labels"]
        self.bert = BertModel(cfg)
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])
        self.classifier = nn.Linear(cfg["hidden_size"], cfg["num_labels"])

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        _, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss = F.mse_loss(logits.squeeze(), labels.squeeze().float())
            else:
                loss = F.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return {"logits": logits, "loss": loss}


class BertForTokenClassification(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_labels = cfg["num_labels"]
        self.bert = BertModel(cfg, add_pooling_layer=False)
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])
        self.classifier = nn.Linear(cfg["hidden_size"], cfg["num_labels"])

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(self.dropout(h))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return {"logits": logits, "loss": loss}


class BertForQuestionAnswering(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bert = BertModel(cfg, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(cfg["hidden_size"], 2)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, start_positions=None, end_positions=None):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        start, end = self.qa_outputs(h).split(1, dim=-1)
        start, end = start.squeeze(-1).contiguous(), end.squeeze(-1).contiguous()
        loss = None
        if start_positions is not None:
            ignored = start.size(1)
            s = start_positions.clamp(0, ignored)
            e = end_positions.clamp(0, ignored)
            loss = (F.cross_entropy(start, s, ignore_index=ignored) + F.cross_entropy(end, e, ignore_index=ignored)) / 2
        return {"start_logits": start, "end_logits": end, "loss": loss}


# ---------------------------------------------------------------------------------------------
# Llama (modeling_llama.py, eager attention)


class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.variance_epsilon = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x.to(dtype)


def rope_cos_sin(cfg, head_dim, position_ids):
    base = cfg["rope_theta"]
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    pos = position_ids.float()
    scaling = cfg.get("rope_scaling")
    if scaling is not None:
        assert scaling.get("rope_type", scaling.get("type")) == "linear"
        pos = pos / scaling["factor"]
    inv = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    freqs = (inv @ pos[:, None, :]).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, h, t, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, h, n_rep, t, d).reshape(b, h * n_rep, t, d)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.head_dim = cfg.get("head_dim") or d // self.num_heads
        self.num_kv = cfg["num_key_value_heads"]
        bias = cfg.get("attention_bias", False)
        self.q_proj = nn.Linear(d, self.num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d, self.num_kv * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d, self.num_kv * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, d, bias=bias)

    def forward(self, x, mask, cos, sin):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.num_kv, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_kv, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = (q * cos) + (rotate_half(q) * sin)
        k = (k * cos) + (rotate_half(k) * sin)
        k = repeat_kv(k, self.num_heads // self.num_kv)
        v = repeat_kv(v, self.num_heads // self.num_kv)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        w = w + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        y = torch.matmul(w, v).transpose(1, 2).contiguous().reshape(b, t, -1)
        return self.o_proj(y)


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, m = cfg["hidden_size"], cfg["intermediate_size"]
        bias = cfg.get("mlp_bias", False)
        self.gate_proj = nn.Linear(d, m, bias=bias)
        self.up_proj = nn.Linear(d, m, bias=bias)
        self.down_proj = nn.Linear(m, d, bias=bias)
        self.act = act_fn(cfg["hidden_act"])

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.post_attention_layernorm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, x, mask, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), mask, cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"], cfg.get("pad_token_id"))
        self.layers = nn.ModuleList([LlamaDecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, input_ids, attention_mask=None):
        b, t = input_ids.shape
        h = self.embed_tokens(input_ids)
        pos = torch.arange(t)[None].expand(b, t)
        head_dim = self.cfg.get("head_dim") or self.cfg["hidden_size"] // self.cfg["num_attention_heads"]
        cos, sin = rope_cos_sin(self.cfg, head_dim, pos)
        causal = torch.full((t, t), NEG).triu(1)[None, None]
        mask = causal.expand(b, 1, t, t).clone()
        if attention_mask is not None:
            pad = attention_mask[:, None, None, :] == 0
            mask = mask.masked_fill(pad, NEG)
        for layer in self.layers:
            h = layer(h, mask, cos, sin)
        return self.norm(h)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        self.tied = ["lm_head.weight"] if cfg["tie_word_embeddings"] else []
        if cfg["tie_word_embeddings"]:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids, attention_mask=None, labels=None):
        logits = self.lm_head(self.model(input_ids, attention_mask))
        return {"logits": logits, "loss": causal_lm_loss(logits, labels)}


# ---------------------------------------------------------------------------------------------
# weights and files


def randomize_(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, 1 / math.sqrt(m.in_features))
                if m.bias is not None:
                    m.bias.normal_(0, 0.1)
            elif isinstance(m, Conv1D):
                m.weight.normal_(0, 1 / math.sqrt(m.weight.shape[0]))
                m.bias.normal_(0, 0.1)
            elif isinstance(m, nn.Embedding):
                m.weight.normal_(0, 0.5)
            elif isinstance(m, (nn.LayerNorm, LlamaRMSNorm)):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape))
                if getattr(m, "bias", None) is not None:
                    m.bias.normal_(0, 0.1)
            elif isinstance(m, BertLMPredictionHead):
                m.bias.normal_(0, 0.1)


def round_weights_(model, dtype):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).float())


ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.bool: "BOOL", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.bool:
        return t.to(torch.uint8).numpy().tobytes()
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors):
    """Minimal safetensors writer (the `safetensors` package is not in Debian 12): sorted keys,
    contiguous offsets, header padded with spaces to a multiple of 8, as the reference writes."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        raw = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def checkpoint_tensors(model, dtype, prefix_strip=None, tied=()):
    """The state dict as save_pretrained writes it: tied duplicates dropped, cast to dtype."""
    out = {}
    for name, t in model.state_dict().items():
        if name in tied:
            continue
        if prefix_strip and name.startswith(prefix_strip):
            name = name[len(prefix_strip) :]
        out[name] = t.to(dtype)
    return out


def save_dir(out, name, config, tensors, shards=1):
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    else:
        names = sorted(tensors)
        per = math.ceil(len(names) / shards)
        weight_map, total = {}, 0
        for i in range(shards):
            fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[i * per : (i + 1) * per]}
            write_safetensors(os.path.join(d, fname), part)
            for n, t in part.items():
                weight_map[n] = fname
                total += t.numel() * t.element_size()
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return d


def T(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    data = [float("%.9g" % v) for v in t.float().reshape(-1).tolist()]
    assert all(math.isfinite(v) for v in data), "non-finite value in a fixture"
    return {"shape": list(t.shape), "data": data}


def f9(v):
    return float("%.9g" % v)


def write_expected(d, doc):
    doc = {"generator": GENERATOR, "torch": torch.__version__, **doc}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


def grad_norms(model, loss):
    model.zero_grad()
    loss.backward()
    out = {}
    for name, p in model.named_parameters():
        out[name] = f9(p.grad.norm().item())
    return out


# ---------------------------------------------------------------------------------------------
# fixtures


def gpt2_config(**kw):
    cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": 98,
        "embd_pdrop": 0.1,
        "eos_token_id": 99,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_embd": 32,
        "n_head": 4,
        "n_inner": None,
        "n_layer": 2,
        "n_positions": 16,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": 100,
    }
    cfg.update(kw)
    return cfg


def make_gpt2(out):
    torch.manual_seed(1)
    cfg = gpt2_config()
    model = GPT2LMHeadModel(cfg).eval()
    randomize_(model)
    ids = torch.randint(0, 100, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.int64)
    mask[1, 6:] = 0  # right padding in row 1
    labels = ids.clone()
    labels[1, 6:] = -100
    res = model(ids, mask, labels)
    norms = grad_norms(model, res["loss"])
    d = save_dir(out, "gpt2", cfg, checkpoint_tensors(model, torch.float32, tied=("lm_head.weight",)))
    tt = torch.randint(0, 100, (1, 5))
    ids2 = torch.randint(0, 100, (1, 5))
    res2 = model(ids2, None, None, tt)
    write_expected(
        d,
        {
            "architecture": "GPT2LMHeadModel",
            "cases": [
                {
                    "name": "right-padded batch with labels",
                    "inputs": {"input_ids": T(ids), "attention_mask": T(mask), "labels": T(labels)},
                    "outputs": {"logits": T(res["logits"]), "loss": f9(res["loss"].item()), "grad_norms": norms},
                },
                {
                    "name": "token_type_ids (embedded with wte, as HF GPT-2 does)",
                    "inputs": {"input_ids": T(ids2), "token_type_ids": T(tt)},
                    "outputs": {"logits": T(res2["logits"])},
                },
            ],
        },
    )


def make_gpt2_f16(out):
    torch.manual_seed(2)
    cfg = gpt2_config(n_inner=48, scale_attn_by_inverse_layer_idx=True, torch_dtype="float16")
    model = GPT2LMHeadModel(cfg).eval()
    randomize_(model)
    round_weights_(model, torch.float16)
    ids = torch.randint(0, 100, (2, 6))
    res = model(ids)
    tensors = checkpoint_tensors(model, torch.float16, prefix_strip="transformer.", tied=("lm_head.weight",))
    n = cfg["n_positions"]
    for i in range(cfg["n_layer"]):
        # The buffers old GPT-2 checkpoints carry (the hub's gpt2 has them); loaders ignore them.
        tensors[f"h.{i}.attn.bias"] = torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n)
        tensors[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4, dtype=torch.float16)
    d = save_dir(out, "gpt2-f16", cfg, tensors)
    write_expected(
        d,
        {
            "architecture": "GPT2LMHeadModel",
            "cases": [{"name": "F16 weights, no prefix", "inputs": {"input_ids": T(ids)}, "outputs": {"logits": T(res["logits"])}}],
        },
    )


def bert_config(arch, **kw):
    cfg = {
        "architectures": [arch],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 16,
        "model_type": "bert",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 100,
    }
    cfg.update(kw)
    return cfg


def bert_inputs():
    ids = torch.randint(1, 100, (2, 8))
    ids[1, 6:] = 0  # [PAD] = 0
    mask = (ids != 0).long()
    tt = torch.zeros(2, 8, dtype=torch.int64)
    tt[0, 4:] = 1
    tt[1, 3:6] = 1
    return ids, mask, tt


def bert_case_inputs(ids, mask, tt, **extra):
    out = {"input_ids": T(ids), "attention_mask": T(mask), "token_type_ids": T(tt)}
    out.update({k: T(v) for k, v in extra.items()})
    return out


def make_bert_mlm(out):
    torch.manual_seed(3)
    cfg = bert_config("BertForMaskedLM")
    model = BertForMaskedLM(cfg).eval()
    randomize_(model)
    ids, mask, tt = bert_inputs()
    labels = torch.full_like(ids, -100)
    labels[0, 2] = 17
    labels[0, 5] = 3
    labels[1, 1] = 42
    res = model(ids, mask, tt, labels)
    d = save_dir(out, "bert-mlm", cfg, checkpoint_tensors(model, torch.float32, tied=BertForMaskedLM.tied))
    write_expected(
        d,
        {
            "architecture": "BertForMaskedLM",
            "cases": [
                {
                    "name": "padded pair batch with sparse labels",
                    "inputs": bert_case_inputs(ids, mask, tt, labels=labels),
                    "outputs": {"logits": T(res["logits"]), "loss": f9(res["loss"].item())},
                }
            ],
        },
    )


def make_bert_seqcls(out):
    torch.manual_seed(4)
    labels_names = {0: "negative", 1: "neutral", 2: "positive"}
    # HF derives num_labels from id2label and does not write it to config.json.
    cfg = bert_config(
        "BertForSequenceClassification",
        hidden_act="gelu_new",
        id2label={str(k): v for k, v in labels_names.items()},
        label2id={v: k for k, v in labels_names.items()},
    )
    model = BertForSequenceClassification({**cfg, "num_labels": 3}).eval()
    randomize_(model)
    ids, mask, tt = bert_inputs()
    labels = torch.tensor([2, 0])
    res = model(ids, mask, tt, labels)
    d = save_dir(out, "bert-seqcls", cfg, checkpoint_tensors(model, torch.float32))
    write_expected(
        d,
        {
            "architecture": "BertForSequenceClassification",
            "cases": [
                {
                    "name": "three labels",
                    "inputs": bert_case_inputs(ids, mask, tt, labels=labels),
                    "outputs": {"logits": T(res["logits"]), "loss": f9(res["loss"].item())},
                }
            ],
        },
    )


def make_bert_tokcls(out):
    torch.manual_seed(5)
    names = {i: n for i, n in enumerate(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])}
    cfg = bert_config(
        "BertForTokenClassification",
        id2label={str(k): v for k, v in names.items()},
        label2id={v: k for k, v in names.items()},
    )
    model = BertForTokenClassification({**cfg, "num_labels": 5}).eval()
    randomize_(model)
    ids, mask, tt = bert_inputs()
    labels = torch.randint(0, 5, (2, 8))
    labels[1, 6:] = -100
    labels[0, 0] = -100
    res = model(ids, mask, tt, labels)
    d = save_dir(out, "bert-tokcls", cfg, checkpoint_tensors(model, torch.float32))
    write_expected(
        d,
        {
            "architecture": "BertForTokenClassification",
            "cases": [
                {
                    "name": "five labels, -100 ignored",
                    "inputs": bert_case_inputs(ids, mask, tt, labels=labels),
                    "outputs": {"logits": T(res["logits"]), "loss": f9(res["loss"].item())},
                }
            ],
        },
    )


def make_bert_qa(out):
    torch.manual_seed(6)
    cfg = bert_config("BertForQuestionAnswering", hidden_act="relu")
    model = BertForQuestionAnswering(cfg).eval()
    randomize_(model)
    ids, mask, tt = bert_inputs()
    start = torch.tensor([4, 20])  # 20 is beyond the sequence: clamped to T and ignored
    end = torch.tensor([6, 4])
    res = model(ids, mask, tt, start, end)
    d = save_dir(out, "bert-qa", cfg, checkpoint_tensors(model, torch.float32), shards=2)
    write_expected(
        d,
        {
            "architecture": "BertForQuestionAnswering",
            "cases": [
                {
                    "name": "two shards; one start position out of range (ignored)",
                    "inputs": bert_case_inputs(ids, mask, tt, start_positions=start, end_positions=end),
                    "outputs": {
                        "start_logits": T(res["start_logits"]),
                        "end_logits": T(res["end_logits"]),
                        "loss": f9(res["loss"].item()),
                    },
                }
            ],
        },
    )


def llama_config(**kw):
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": 32,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": 100,
    }
    cfg.update(kw)
    return cfg


def make_llama(out):
    torch.manual_seed(7)
    cfg = llama_config()
    model = LlamaForCausalLM(cfg).eval()
    randomize_(model)
    ids = torch.randint(3, 100, (2, 9))
    mask = torch.ones(2, 9, dtype=torch.int64)
    mask[1, 7:] = 0
    labels = ids.clone()
    labels[1, 7:] = -100
    res = model(ids, mask, labels)
    norms = grad_norms(model, res["loss"])
    d = save_dir(out, "llama", cfg, checkpoint_tensors(model, torch.float32))
    write_expected(
        d,
        {
            "architecture": "LlamaForCausalLM",
            "cases": [
                {
                    "name": "GQA, right-padded batch with labels",
                    "inputs": {"input_ids": T(ids), "attention_mask": T(mask), "labels": T(labels)},
                    "outputs": {"logits": T(res["logits"]), "loss": f9(res["loss"].item()), "grad_norms": norms},
                }
            ],
        },
    )


def make_llama_bf16(out):
    torch.manual_seed(8)
    cfg = llama_config(
        attention_bias=True,
        num_key_value_heads=1,
        rope_theta=500000.0,
        rope_scaling={"factor": 2.0, "rope_type": "linear"},
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
        intermediate_size=40,
    )
    model = LlamaForCausalLM(cfg).eval()
    randomize_(model)
    round_weights_(model, torch.bfloat16)
    ids = torch.randint(3, 100, (1, 12))
    res = model(ids)
    d = save_dir(out, "llama-bf16", cfg, checkpoint_tensors(model, torch.bfloat16, tied=("lm_head.weight",)))
    write_expected(
        d,
        {
            "architecture": "LlamaForCausalLM",
            "cases": [{"name": "BF16, tied, MQA, linear rope scaling", "inputs": {"input_ids": T(ids)}, "outputs": {"logits": T(res["logits"])}}],
        },
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "models"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_grad_enabled(True)
    for make in (make_gpt2, make_gpt2_f16, make_bert_mlm, make_bert_seqcls, make_bert_tokcls, make_bert_qa, make_llama, make_llama_bf16):
        make(args.out)
        print("wrote", make.__name__[len("make_") :])


if __name__ == "__main__":
    main()
