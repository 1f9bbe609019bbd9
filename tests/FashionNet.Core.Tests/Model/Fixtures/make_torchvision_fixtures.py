#!/usr/bin/env python3
"""Writes torchvision-<arch>.json: what torchvision itself says about ResNet34/50 (ResNet18 shares ResNet34's basic blocks and is left out to keep the tests fast).

Each file holds
  state_dict: [name, shape] of every entry of torchvision's state dict, in its order (classifier fc.* included);
  maps: for a deterministic input [1, 3, 64, 64] and deterministic weights (below), the per-channel and
        per-position means of layer2's output ("stride8"), layer3's ("trunk") and layer4's ("final"),
        captured with forward hooks while torchvision's own forward runs in eval mode.

Deterministic weights: the entry at index k of the state dict (n elements, j = 0..n-1, float64) gets
  s = sin(0.61 j + 1.37 k), then
  weights of 2 or more dimensions:  s * 2 / sqrt(elements per output channel)
  *.running_var:                    1 + 0.5 s^2
  other *.weight (batch-norm scale): 1 + 0.2 s
  everything else (biases, means):   0.1 s
  num_batches_tracked stays 0; all values are rounded to float32.
Input: x_j = sin(0.013 j) + 0.5 cos(0.37 j), j = 0..3*64*64-1 (float64, then float32), shape [1, 3, 64, 64].

The C# test applies the same formulas, pickles the state dict through TorchSharp.PyBridge, loads it with
Backbone.LoadPyTorchStateDict and compares. Usage (Debian's python3-torchvision package):
  python3 make_torchvision_fixtures.py [OUTPUT_DIR]
"""
import json
import math
import pathlib
import sys

import torch
import torchvision

SIZE = 64
MAPS = {"stride8": "layer2", "trunk": "layer3", "final": "layer4"}


def fill_deterministically(state_dict):
    with torch.no_grad():
        for k, (name, tensor) in enumerate(state_dict.items()):
            if name.endswith("num_batches_tracked"):
                continue
            j = torch.arange(tensor.numel(), dtype=torch.float64)
            s = torch.sin(0.61 * j + 1.37 * k)
            if tensor.dim() > 1:
                value = s * (2.0 / math.sqrt(tensor[0].numel()))
            elif name.endswith(".running_var"):
                value = 1 + 0.5 * s * s
            elif name.endswith(".weight"):
                value = 1 + 0.2 * s
            else:
                value = 0.1 * s
            tensor.copy_(value.reshape(tensor.shape).to(torch.float32))


def deterministic_input():
    j = torch.arange(3 * SIZE * SIZE, dtype=torch.float64)
    return (torch.sin(0.013 * j) + 0.5 * torch.cos(0.37 * j)).reshape(1, 3, SIZE, SIZE).to(torch.float32)


def describe(arch):
    model = getattr(torchvision.models, arch)()
    fill_deterministically(model.state_dict())
    model.eval()
    captured = {}
    for key, layer in MAPS.items():
        getattr(model, layer).register_forward_hook(lambda module, inputs, output, key=key: captured.__setitem__(key, output))
    with torch.no_grad():
        model(deterministic_input())
    maps = {}
    for key, output in captured.items():
        maps[key] = {
            "shape": list(output.shape),
            "channel_means": [float(f"{v:.8g}") for v in output.mean(dim=(0, 2, 3)).tolist()],
            "position_means": [float(f"{v:.8g}") for v in output.mean(dim=(0, 1)).flatten().tolist()],
        }
    return {
        "generator": "make_torchvision_fixtures.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "architecture": arch,
        "input": [1, 3, SIZE, SIZE],
        "state_dict": [[name, list(tensor.shape)] for name, tensor in model.state_dict().items()],
        "maps": maps,
    }


def main():
    output = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    for arch in ("resnet34", "resnet50"):
        path = output / f"torchvision-{arch}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(describe(arch), separators=(",", ":")) + "\n")
        temporary.replace(path)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
