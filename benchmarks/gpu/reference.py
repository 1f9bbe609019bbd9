#!/usr/bin/env python3
"""PyTorch reference formulation of FashionNet's two operators, run on the GPU beside the .NET GPU check.

1. Checks the GPU check's dumped N=32 outputs (tensors-n32/) against the reference: pooled values bit-exact, feature
   gradient, loss and logit gradient within 1e-5 relative.
2. Times the reference forward + backward with CUDA events at the GPU check's batch sizes and sets the times beside
   the .NET kernels' (results.json), with the speed-up.

Usage: reference.py CHECK_DIR   (the --out folder of FashionNet.GpuCheck)
"""
import json
import pathlib
import sys

import numpy as np
import torch


def landmark_pooling(features, landmarks, visibility, window):
    """Landmark pooling with one bin (P=1), as pure tensor operations: gather each landmark's K x K window."""
    n, c, h, w = features.shape
    l = landmarks.shape[1]
    cx = torch.floor(landmarks[..., 0].double() * w).long()
    cy = torch.floor(landmarks[..., 1].double() * h).long()
    offsets = torch.arange(-(window // 2), window // 2 + 1, device=features.device)
    ys = cy[..., None, None] + offsets[:, None]  # [N, L, K, 1]
    xs = cx[..., None, None] + offsets[None, :]  # [N, L, 1, K]
    inside = ((ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)).reshape(n, l, window * window)
    cells = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).reshape(n, 1, l * window * window).expand(n, c, -1)
    gathered = features.reshape(n, c, h * w).gather(2, cells).reshape(n, c, l, window * window)
    gathered = gathered.masked_fill(~inside[:, None], float("-inf"))
    pooled = gathered.amax(dim=3)  # [N, C, L]
    keep = (visibility != 0)[:, None, :] & inside.any(dim=2)[:, None, :]
    pooled = torch.where(keep, pooled, torch.zeros((), device=features.device))
    return pooled.permute(0, 2, 1).reshape(n, l, c, 1, 1)


def weighted_attribute_loss(logits, targets, mask, pos_weight, neg_weight):
    """Elementwise -(w+ y log s(x) + w- (1 - y) log(1 - s(x))) times the mask, in the stable softplus form."""
    loss = pos_weight * targets * torch.nn.functional.softplus(-logits) + neg_weight * (1 - targets) * torch.nn.functional.softplus(logits)
    return torch.where(mask != 0, loss * mask, torch.zeros((), device=logits.device))


def time_cuda(step, warmup=10, iterations=100):
    for _ in range(warmup):
        step()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iterations):
        step()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iterations


def load(folder, name, dtype, shape):
    return torch.from_numpy(np.fromfile(folder / f"{name}.bin", dtype=dtype).reshape(shape)).cuda()


def check_dump(folder):
    s = json.loads((folder / "shape.json").read_text())
    n, c, h, w, l, a = s["batch"], s["channels"], s["height"], s["width"], s["landmarks"], s["attributes"]
    features = load(folder, "features", np.float32, (n, c, h, w)).requires_grad_()
    landmarks = load(folder, "landmarks", np.float32, (n, l, 2))
    visibility = load(folder, "visibility", np.float32, (n, l))
    grad_output = load(folder, "grad_output", np.float32, (n, l, c, 1, 1))
    pooled = landmark_pooling(features, landmarks, visibility, s["window"])
    (grad_features,) = torch.autograd.grad(pooled, features, grad_output)
    logits = load(folder, "logits", np.float32, (n, a)).requires_grad_()
    targets, mask = load(folder, "targets", np.float32, (n, a)), load(folder, "mask", np.float32, (n, a))
    pos_weight, neg_weight = load(folder, "pos_weight", np.float32, (a,)), load(folder, "neg_weight", np.float32, (a,))
    loss = weighted_attribute_loss(logits, targets, mask, pos_weight, neg_weight)
    (grad_logits,) = torch.autograd.grad(loss.sum(), logits)

    def relative(actual, expected):
        # Below float32's normal range (loss and gradient at |x| >= 100) subnormals carry few bits: absolute there.
        excess = ((actual - expected).abs() - 1e-37).clamp(min=0)
        return (excess / expected.abs().clamp(min=1e-37)).max().item()

    checks = {
        "pooled bit-exact": torch.equal(load(folder, "pooled", np.float32, pooled.shape), pooled.detach()),
        # Exact unless a window's maximum is tied: amax then splits the gradient, the kernels give it to the first.
        "feature gradient (max abs diff)": (load(folder, "grad_features", np.float32, grad_features.shape) - grad_features).abs().max().item(),
        "loss (max rel diff)": relative(load(folder, "loss", np.float32, loss.shape), loss.detach()),
        "logit gradient (max rel diff)": relative(load(folder, "grad_logits", np.float32, grad_logits.shape), grad_logits),
    }
    for name, value in checks.items():
        print(f"  N={n} {name}: {value}")
    ok = checks["pooled bit-exact"] and checks["feature gradient (max abs diff)"] == 0 and checks["loss (max rel diff)"] <= 1e-5 \
        and checks["logit gradient (max rel diff)"] <= 1e-5
    return ok, checks


def time_reference(n, shapes):
    c, h, l, k, a = shapes["C"], shapes["H"], shapes["L"], shapes["K"], shapes["A"]
    generator = torch.Generator(device="cuda").manual_seed(n)
    features = torch.rand(n, c, h, h, device="cuda", generator=generator).requires_grad_()
    landmarks = (torch.rand(n, l, 2, device="cuda", generator=generator) * 256 - 16) / 224  # normalized, some beyond the border
    visibility = (torch.rand(n, l, device="cuda", generator=generator) < 0.85).float()
    grad_output = torch.ones(n, l, c, 1, 1, device="cuda")
    logits = (torch.rand(n, a, device="cuda", generator=generator) * 60 - 30).requires_grad_()
    targets = (torch.rand(n, a, device="cuda", generator=generator) < 0.5).float()
    mask = (torch.rand(n, a, device="cuda", generator=generator) >= 0.1).float()
    pos_weight, neg_weight = torch.rand(a, device="cuda") * 20 + 0.5, torch.rand(a, device="cuda") + 0.5

    def pooling_step():
        torch.autograd.grad(landmark_pooling(features, landmarks, visibility, k), features, grad_output)

    def loss_step():
        torch.autograd.grad(weighted_attribute_loss(logits, targets, mask, pos_weight, neg_weight).sum(), logits)

    return time_cuda(pooling_step), time_cuda(loss_step)


def main(check_dir):
    check_dir = pathlib.Path(check_dir)
    results = json.loads((check_dir / "results.json").read_text())
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    all_ok = True
    for dump in sorted(check_dir.glob("tensors-n*")):
        ok, _ = check_dump(dump)
        all_ok &= ok
        print(f"  {dump.name}: {'matches the PyTorch reference' if ok else 'DIFFERS from the PyTorch reference'}")

    shapes = {"C": 512, "H": 28, "L": 8, "K": 3, "A": 1000}
    rows = []
    print()
    print("| N | implementation | pooling fwd+bwd (ms) | speed-up vs PyTorch | loss fwd+bwd (ms) | speed-up vs PyTorch |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for n in sorted({r["batch"] for r in results["results"]}):
        pooling_ms, loss_ms = time_reference(n, shapes)
        print(f"| {n} | PyTorch reference | {pooling_ms:.4f} | 1.0x | {loss_ms:.4f} | 1.0x |")
        for r in (r for r in results["results"] if r["batch"] == n):
            p, q = r["pooling_forward_backward_ms"], r["loss_forward_backward_ms"]
            print(f"| {n} | {r['backend']} | {p:.4f} | {pooling_ms / p:.1f}x | {q:.4f} | {loss_ms / q:.1f}x |")
        rows.append({"batch": n, "pytorch_pooling_ms": pooling_ms, "pytorch_loss_ms": loss_ms})
    (check_dir / "reference.json").write_text(json.dumps({"torch": torch.__version__, "rows": rows, "dump_matches": all_ok}, indent=2))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
