"""What make_hf_real_fixtures.py, make_gpt2_qa_fixture.py and check_osmosis_adapters_in_peft.py
share."""

import math

import torch


@torch.no_grad()
def redraw(module, gen):
    """Weights far from HF's 0.02-std init, so that every op moves the logits."""
    for name, p in module.named_parameters():
        noise = torch.randn(p.shape, generator=gen)
        leaf = name.split(".")[-1]
        if "norm" in name.lower() or "ln_" in name:
            p.copy_(1 + 0.2 * noise if leaf == "weight" else 0.1 * noise)
        elif leaf == "bias":
            p.copy_(0.1 * noise)
        elif "embed" in name or name.endswith(("wte.weight", "wpe.weight")):
            p.copy_(0.5 * noise)
        else:
            fan_in = p.shape[0] if "c_" in name and p.dim() == 2 else p.shape[-1]
            p.copy_(noise / math.sqrt(fan_in))


def logits_of(model, inputs):
    """logits, or for question answering start and end logits side by side [B, T, 2]."""
    with torch.no_grad():
        out = model(**inputs)
    if getattr(out, "start_logits", None) is not None:
        return torch.stack([out.start_logits, out.end_logits], dim=-1)
    return out.logits


def qa_logits_with_token_types(model, inputs):
    """What peft's PeftModelForQuestionAnswering computes when token_type_ids reach the model.

    Its forward (peft 0.21) takes token_type_ids and never passes them on, so the model sees
    zeros; this calls its own code paths with them.
    """
    config = model.peft_config[model.active_adapter]
    inputs = dict(inputs)
    with torch.no_grad():
        if config.is_prompt_learning:
            assert config.peft_type.value == "PREFIX_TUNING"
            mask = inputs.pop("attention_mask")
            ones = torch.ones(mask.shape[0], config.num_virtual_tokens, dtype=mask.dtype)
            mask = torch.cat([ones, mask], 1)
            out = model._prefix_tuning_forward(attention_mask=mask, return_dict=True, **inputs)
        else:
            out = model.base_model(**inputs)
    return torch.stack([out.start_logits, out.end_logits], dim=-1)
