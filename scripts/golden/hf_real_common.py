"""What make_hf_real_fixtures.py and check_osmosis_adapters_in_peft.py both compute."""

import torch


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
