#!/usr/bin/env python3
"""The PyTorch side of the peer comparison (run.sh). Each command reads what the .NET side (FashionNet.Peers) wrote
into the same folder, checks that the PyTorch module computes what the library computed, times the same work, and
prints one line `ratio NAME: X` (X > 1: FashionNet.Core is faster).

usage: peers.py machine
       peers.py train-step DIR [--tolerance 1e-4]
       peers.py train-epoch DIR
       peers.py embed-fashionnet DIR [--tolerance 1e-4]
"""
import argparse
import copy
import json
import os
import pathlib
import random
import statistics
import sys
import time

import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fashionnet_torch as fn  # noqa: E402


class CheckFailed(Exception):
    pass


def load_json(folder, name):
    path = folder / name
    if not path.exists():
        raise CheckFailed(f"'{path}' is missing: run the .NET side of this comparison first")
    return json.loads(path.read_text())


def write_json(folder, name, value):
    temp = folder / f".{name}.tmp"
    temp.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(temp, folder / name)


def build_model(folder, description, state_file):
    """The PyTorch module with the .NET model's weights; its parameter count must equal the .NET model's."""
    model = fn.FashionNet(description)
    ours, theirs = fn.parameter_count(model), description["parameters"]
    print(f"parameters: PyTorch {ours:,}, FashionNet.Core {theirs:,}", file=sys.stderr)
    if ours != theirs:
        raise CheckFailed(f"the PyTorch module has {ours:,} parameters, the .NET model {theirs:,}: not the same architecture")
    model.load_state_dict(torch.load(folder / state_file), strict=True)
    return model


def environment():
    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "intra_op_threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "load_average": os.getloadavg()[0],
    }


def machine(_):
    print(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__} (Debian python3-torch / python3-torchvision)")
    print(torch.__config__.show().rstrip())
    print(torch.__config__.parallel_info().rstrip())


def relative_difference(a, b):
    return abs(a - b) / max(abs(b), 1e-6)


def train_step(args):
    folder = pathlib.Path(args.dir)
    d = load_json(folder, "dotnet.json")
    model = build_model(folder, d["model"], "initial-state.pt")
    batch = torch.load(folder / "batch.pt")
    criterion = fn.Criterion(d["loss_weights"], d["triplet_margin"])
    opt = fn.optimizer(model, d["optimizer"])
    clip = d["optimizer"]["gradient_clip_norm"]
    model.train()

    checked, warmup, steps = d["checked_losses"], d["warmup"], len(d["step_seconds"])
    losses, seconds = [], []
    for step in range(warmup + steps):
        start = time.perf_counter()
        values = fn.train_step(model, criterion, opt, clip, batch["images"], batch)
        elapsed = time.perf_counter() - start
        if step < len(checked):
            losses.append(values)
        if step >= warmup:
            seconds.append(elapsed)
        print(f"step {step + 1}/{warmup + steps}: {elapsed:.3f} s, loss {values['total']:.6f}", file=sys.stderr)

    # The first step's terms come from identical weights and inputs; later ones follow identical updates, where Adam's
    # normalization lets rounding differences of near-zero gradients grow, hence the looser tolerance.
    worst = 0.0
    for step, (ours, theirs) in enumerate(zip(losses, checked)):
        if set(ours) != set(theirs):
            raise CheckFailed(f"step {step + 1}: PyTorch computed the terms {sorted(ours)}, FashionNet.Core {sorted(theirs)}")
        tolerance = args.tolerance if step == 0 else args.later_tolerance
        for name in ours:
            difference = relative_difference(ours[name], theirs[name])
            worst = max(worst, difference)
            print(f"step {step + 1} {name}: PyTorch {ours[name]:.6f}, FashionNet.Core {theirs[name]:.6f} (relative difference {difference:.2e})", file=sys.stderr)
            if difference > tolerance:
                raise CheckFailed(f"step {step + 1}: the {name} term differs by {difference:.2e} (relative), above {tolerance:.0e}: not the same computation")

    median = statistics.median(seconds)
    ratio = median / d["median_step_seconds"]
    write_json(folder, "torch.json", {"side": "PyTorch", "batch": d["batch"], "step_seconds": seconds, "median_step_seconds": median,
                                      "images_per_second": d["batch"] / median, "worst_loss_difference": worst,
                                      "checked_losses": losses, "environment": environment()})
    print(f"train-step: FashionNet.Core {d['median_step_seconds']:.3f} s, PyTorch {median:.3f} s per step (median of {len(seconds)}, batch {d['batch']})", file=sys.stderr)
    print(f"ratio train-step: {ratio:.3f}")


class Normalization:
    """The .NET normalizer: BGR minus the mean image (ImageNet ResNet18 weights) or per-channel mean/std (torchvision)."""

    def __init__(self, tensors):
        self.mean_bgr = tensors.get("mean_bgr")
        self.mean_rgb, self.std_rgb = tensors.get("mean_rgb"), tensors.get("std_rgb")

    def __call__(self, rgb):  # rgb: float [3, H, W] on 0..255
        if self.mean_bgr is not None:
            return rgb.flip(0) - self.mean_bgr
        return (rgb / 255 - self.mean_rgb[:, None, None]) / self.std_rgb[:, None, None]


PADDING = (124, 116, 104)  # ImageTransformOptions.PaddingColor


class TrainingImages(torch.utils.data.Dataset):
    """The epoch's samples through torchvision's functional transforms, with the library's augmentation ranges: the
    crop side scaled by 1 +- 0.15, its centre moved by up to 0.08 of the side, a horizontal flip half the time."""

    def __init__(self, samples, size, normalize, seed):
        self.samples, self.size, self.normalize, self.seed = samples, size, normalize, seed

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        sample = self.samples[index]
        rng = random.Random(self.seed * 1_000_003 + index)
        with Image.open(sample["path"]) as file:
            image = file.convert("RGB")
        width, height = image.size
        side = max(width, height) * (1 + 0.15 * (2 * rng.random() - 1))
        cx = width / 2 + 0.08 * (2 * rng.random() - 1) * side
        cy = height / 2 + 0.08 * (2 * rng.random() - 1) * side
        top, left, side = round(cy - side / 2), round(cx - side / 2), round(side)
        # Where the crop leaves the photo, it shows the library's padding colour (the ImageNet mean), not black.
        margin = max(0, -top, -left, top + side - height, left + side - width)
        if margin:
            image = TF.pad(image, margin, fill=PADDING)
            top, left = top + margin, left + margin
        crop = TF.resized_crop(image, top, left, side, side, [self.size, self.size], interpolation=TF.InterpolationMode.BILINEAR)
        if rng.random() < 0.5:
            crop = TF.hflip(crop)
        return self.normalize(TF.pil_to_tensor(crop).float()), sample["item"], sample["category"]


def train_epoch(args):
    folder = pathlib.Path(args.dir)
    d = load_json(folder, "dotnet.json")
    batches = load_json(folder, "batches.json")["batches"]
    model = build_model(folder, d["model"], "initial-state.pt")
    criterion = fn.Criterion(d["loss_weights"], d["triplet_margin"])
    opt = fn.optimizer(model, d["optimizer"])
    clip = d["optimizer"]["gradient_clip_norm"]

    samples = [sample for batch in batches for sample in batch]
    starts = [sum(len(b) for b in batches[:i]) for i in range(len(batches))]
    batch_indices = [list(range(start, start + len(batch))) for start, batch in zip(starts, batches)]
    dataset = TrainingImages(samples, d["model"]["image_size"], Normalization(torch.load(folder / "normalizer.pt")), seed=1)
    landmarks = d["model"]["landmark_count"]
    model.train()

    start = time.perf_counter()
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=batch_indices, num_workers=d["workers"])
    images_done = 0
    for step, (images, items, categories) in enumerate(loader):
        n = len(images)
        batch = {  # the sample has no landmarks: those terms drop out and the local branch pools at predictions
            "positions": torch.zeros(n, landmarks, 2), "visible": torch.zeros(n, landmarks, dtype=torch.bool),
            "labelled": torch.zeros(n, landmarks, dtype=torch.bool), "categories": categories, "items": items,
        }
        fn.train_step(model, criterion, opt, clip, images, batch)
        images_done += n
        print(f"step {step + 1}/{len(batches)}: {images_done / (time.perf_counter() - start):.1f} images/s so far", file=sys.stderr)
    seconds = time.perf_counter() - start

    ips = images_done / seconds
    ratio = d["images_per_second"] / ips
    write_json(folder, "torch.json", {"side": "PyTorch", "workers": d["workers"], "steps": len(batches), "images": images_done,
                                      "seconds": seconds, "images_per_second": ips, "environment": environment()})
    print(f"train-epoch: FashionNet.Core {d['images_per_second']:.2f} images/s, PyTorch {ips:.2f} images/s ({images_done} images, {len(batches)} steps)", file=sys.stderr)
    print(f"ratio train-epoch: {ratio:.3f}")


class EvaluationImages(torch.utils.data.Dataset):
    """Whole images resized to the network input (the library's framing of box-less In-shop photos)."""

    def __init__(self, paths, size, normalize):
        self.paths, self.size, self.normalize = paths, size, normalize

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        with Image.open(self.paths[index]) as file:
            image = TF.resize(file.convert("RGB"), [self.size, self.size], interpolation=TF.InterpolationMode.BILINEAR)
        return self.normalize(TF.pil_to_tensor(image).float())


def embed_fashionnet(args):
    folder = pathlib.Path(args.dir)
    d = load_json(folder, "dotnet.json")
    model = build_model(folder, d["model"], "state.pt")
    model.eval()

    check = torch.load(folder / "check.pt")
    threshold = d["model"]["visibility_threshold"]
    with torch.no_grad():
        ours = model(check["images"], pool_at=(check["landmarks"], torch.sigmoid(check["visibility_logits"]) > threshold))
        free = model(check["images"])
    differences = {name: (ours[name] - check[name]).abs().max().item() for name in ("embedding", "landmarks", "visibility_logits")}
    for name, value in differences.items():
        print(f"embed-fashionnet check, {len(check['images'])} images: max |PyTorch - FashionNet.Core| {name} = {value:.2e}", file=sys.stderr)
    tipped = ((free["embedding"] - check["embedding"]).abs().amax(1) > args.tolerance).sum().item()
    print(f"embed-fashionnet check: {tipped} of {len(check['images'])} images pool other cells when PyTorch picks its own landmarks", file=sys.stderr)
    if max(differences.values()) > args.tolerance:
        raise CheckFailed(f"the outputs differ by up to {max(differences.values()):.2e}, above {args.tolerance:.0e}: not the same model")

    dataset = EvaluationImages(d["paths"], d["model"]["image_size"], Normalization(torch.load(folder / "normalizer.pt")))
    channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
    timings = {}
    for name, network, layout in (("default", model, torch.contiguous_format), ("channels-last", channels_last, torch.channels_last)):
        start = time.perf_counter()
        with torch.no_grad():
            loader = torch.utils.data.DataLoader(dataset, batch_size=d["batch_size"], num_workers=d["workers"])
            count = sum(len(network(images.contiguous(memory_format=layout))["embedding"]) for images in loader)
        timings[name] = {"images": count, "seconds": time.perf_counter() - start}
        timings[name]["images_per_second"] = count / timings[name]["seconds"]

    ours = {"default": d["images_per_second"], "channels-last": d["channels_last_images_per_second"]}
    write_json(folder, "torch.json", {"side": "PyTorch (eval mode, no_grad)", "timings": timings, "check_differences": differences,
                                      "environment": environment()})
    for name, timing in timings.items():
        print(f"embed-fashionnet ({name}): FashionNet.Core {ours[name]:.2f} images/s, PyTorch {timing['images_per_second']:.2f} images/s "
              f"({timing['images']} images)", file=sys.stderr)
    print(f"embed-fashionnet (ONNX Runtime): FashionNet.Core {d['onnx_runtime_images_per_second']:.2f} images/s", file=sys.stderr)
    print(f"ratio embed-fashionnet: {ours['default'] / timings['default']['images_per_second']:.3f}")
    print(f"ratio embed-fashionnet-channels-last: {ours['channels-last'] / timings['channels-last']['images_per_second']:.3f}")
    # The library's ONNX Runtime path (OnnxFashionNetEmbedder) against the same PyTorch run in its default layout.
    print(f"ratio embed-fashionnet-onnx: {d['onnx_runtime_images_per_second'] / timings['default']['images_per_second']:.3f}")
    # The same in int8 (calibrated on training photos; retrieval quality is checked by FashionNet.Peers recall).
    print(f"embed-fashionnet (ONNX Runtime int8): FashionNet.Core {d['onnx_runtime_int8_images_per_second']:.2f} images/s, "
          f"smallest cosine to the float embeddings on the check batch {d['onnx_runtime_int8_min_cosine']:.4f}", file=sys.stderr)
    print(f"ratio embed-fashionnet-onnx-int8: {d['onnx_runtime_int8_images_per_second'] / timings['default']['images_per_second']:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="PyTorch intra-op threads (default: the cores, as LibTorch's default)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("machine").set_defaults(run=machine)
    step = commands.add_parser("train-step")
    step.add_argument("dir")
    step.add_argument("--tolerance", type=float, default=1e-4, help="relative, on the first step's loss terms")
    step.add_argument("--later-tolerance", type=float, default=1e-3, help="relative, on the later checked steps' terms")
    step.set_defaults(run=train_step)
    epoch = commands.add_parser("train-epoch")
    epoch.add_argument("dir")
    epoch.set_defaults(run=train_epoch)
    embed = commands.add_parser("embed-fashionnet")
    embed.add_argument("dir")
    embed.add_argument("--tolerance", type=float, default=1e-4)
    embed.set_defaults(run=embed_fashionnet)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        args.run(args)
    except CheckFailed as e:
        print(f"error: {args.command}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
