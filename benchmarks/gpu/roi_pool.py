#!/usr/bin/env python3
"""torchvision.ops.roi_pool as landmark pooling, the peer a PyTorch user would reach for (issue 16).

Each landmark becomes a box of K x K cells of the feature map centred on its cell (the kernels' rule: floor(x * W)),
pooled to one bin; invisible landmarks are zeroed by multiplying with the visibility, which keeps the step free of
host synchronisation. Checks that roi_pool gives the pure-tensor reference's values (reference.py) bit for bit, then
times forward + backward of both with CUDA events at the shapes of the .NET checks (C=512, 28 x 28, L=8, K=3).

Usage: roi_pool.py OUT_DIR   (writes roi_pool.json there)
"""
import json
import pathlib
import sys

import torch
import torchvision

from reference import landmark_pooling, time_cuda


def roi_landmark_pooling(features, landmarks, visibility, window):
    n, c, h, w = features.shape
    l = landmarks.shape[1]
    cx = torch.floor(landmarks[..., 0].double() * w)
    cy = torch.floor(landmarks[..., 1].double() * h)
    half = window // 2
    batch_index = torch.arange(n, device=features.device, dtype=torch.float64)[:, None].expand(n, l)
    boxes = torch.stack([batch_index, cx - half, cy - half, cx + half, cy + half], dim=2).reshape(n * l, 5).float()
    pooled = torchvision.ops.roi_pool(features, boxes, output_size=1, spatial_scale=1.0)  # [N * L, C, 1, 1]
    return pooled.reshape(n, l, c, 1, 1) * (visibility != 0).to(features.dtype)[:, :, None, None, None]


def inputs(n, seed):
    generator = torch.Generator(device="cuda").manual_seed(seed)
    features = torch.randn(n, 512, 28, 28, device="cuda", generator=generator).requires_grad_()
    landmarks = (torch.rand(n, 8, 2, device="cuda", generator=generator) * 256 - 16) / 224
    visibility = (torch.rand(n, 8, device="cuda", generator=generator) < 0.85).float()
    grad_output = torch.randint(-3, 4, (n, 8, 512, 1, 1), device="cuda", generator=generator).float()
    return features, landmarks, visibility, grad_output


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = torch.cuda.get_device_name(0)
    print(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__}, {device}")
    rows = []
    ok = True
    for n in (32, 256):
        features, landmarks, visibility, grad_output = inputs(n, seed=n)
        expected = landmark_pooling(features, landmarks, visibility, 3)
        actual = roi_landmark_pooling(features, landmarks, visibility, 3)
        same_values = torch.equal(expected, actual)
        (expected_grad,) = torch.autograd.grad(expected, features, grad_output)
        (actual_grad,) = torch.autograd.grad(actual, features, grad_output)
        same_grad = torch.equal(expected_grad, actual_grad)
        ok &= same_values and same_grad

        def step(op):
            return lambda: torch.autograd.grad(op(features, landmarks, visibility, 3), features, grad_output)

        roi_ms, reference_ms = time_cuda(step(roi_landmark_pooling)), time_cuda(step(landmark_pooling))
        print(f"N={n}: roi_pool equals the reference: values {same_values}, gradient {same_grad}; "
              f"forward + backward roi_pool {roi_ms:.4f} ms, pure-tensor reference {reference_ms:.4f} ms")
        rows.append({"batch": n, "roi_pool_ms": roi_ms, "reference_ms": reference_ms, "values_equal": same_values, "gradient_equal": same_grad})
    (out_dir / "roi_pool.json").write_text(json.dumps({"device": device, "torch": torch.__version__, "torchvision": torchvision.__version__,
                                                       "rows": rows}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
