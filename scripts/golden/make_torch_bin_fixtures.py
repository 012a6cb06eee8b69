"""Pickle weight files as torch.save writes them, for Osmosis's torch-zip reader (no Python in tests).

AdapterHub saves adapter weights with `torch.save(state_dict, "pytorch_adapter.bin")` unless asked
for safetensors (adapters' loading.py, WeightsLoaderHelper.save_weights), and PEFT did the same
with adapter_model.bin before safetensors. This writes, into test/fixtures/adapterhub/torch-bin/:

  pytorch_adapter.bin  a plain dict of float32 tensors named as AdapterHub names a seq_bn adapter
                       'md' on the tiny fixture BERT (hidden 32, 2 layers, reduction 16), the
                       dict comprehension AdapterHub's filter builds
  adapter.safetensors  the same tensors through safetensors (the reference)
  mixed.bin            a module's state_dict() (an OrderedDict with _metadata): float32, float16,
                       bfloat16 and float64 tensors, a slice that shares a bigger storage
                       (nonzero offset), a 0-d tensor, and an int64 buffer
  mixed.json           their values, as float64 numbers
  peft-gpt2-lora/      PEFT's older layout: test/fixtures/hf-real/adapters/gpt2-lora (written by
                       peft 0.21) with its tensors in adapter_model.bin (torch.save of the dict
                       save_pretrained(safe_serialization=False) writes)

Run (torch 2.13.0+cpu from the local PyPI mirror, in /work/.venv-hf):
  /work/.venv-hf/bin/python scripts/golden/make_torch_bin_fixtures.py
"""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
import shutil

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "adapterhub" / "torch-bin"
OUT.mkdir(parents=True, exist_ok=True)
g = torch.Generator().manual_seed(0)

adapter = {}
for layer in range(2):
    p = f"bert.encoder.layer.{layer}.output.adapters.md."
    adapter[p + "adapter_down.0.weight"] = torch.randn(2, 32, generator=g) * 0.3
    adapter[p + "adapter_down.0.bias"] = torch.randn(2, generator=g) * 0.3
    adapter[p + "adapter_up.weight"] = torch.randn(32, 2, generator=g) * 0.3
    adapter[p + "adapter_up.bias"] = torch.randn(32, generator=g) * 0.3
torch.save({k: v for k, v in adapter.items()}, OUT / "pytorch_adapter.bin")
save_file(adapter, str(OUT / "adapter.safetensors"), metadata={"format": "pt"})


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        big = torch.randn(4, 3, generator=g)
        self.a = torch.nn.Parameter(torch.randn(2, 3, generator=g))
        self.h = torch.nn.Parameter(torch.randn(5, generator=g).half())
        self.bf = torch.nn.Parameter(torch.randn(3, generator=g).bfloat16())
        self.d = torch.nn.Parameter(torch.randn(2, 2, generator=g).double())
        self.register_buffer("tail", big[2:])  # shares big's storage, offset 6
        self.register_buffer("scalar", torch.tensor(1.5))
        self.register_buffer("steps", torch.tensor([3, -7], dtype=torch.int64))


state = Mixed().state_dict()
torch.save(state, OUT / "mixed.bin")
values = {
    k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "data": v.double().flatten().tolist()}
    for k, v in state.items()
}
(OUT / "mixed.json").write_text(json.dumps(values, indent=1) + "\n")
lora = OUT.parents[1] / "hf-real" / "adapters" / "gpt2-lora"
(OUT / "peft-gpt2-lora").mkdir(exist_ok=True)
shutil.copy(lora / "adapter_config.json", OUT / "peft-gpt2-lora" / "adapter_config.json")
torch.save(load_file(str(lora / "adapter_model.safetensors")), OUT / "peft-gpt2-lora" / "adapter_model.bin")
print(f"torch {torch.__version__}: wrote {sorted(p.name for p in OUT.iterdir())}")
