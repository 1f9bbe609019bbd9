"""FashionNet as a plain PyTorch module: the peer of FashionNet.Core's FashionNetModel in the speed comparison.

Same architecture, parameter names and parameter count as the .NET model described by the harness's JSON (a ResNet of
basic blocks split at layer3, the global branch on the backbone's layer4, the pose branch on its own copy of layer4,
landmark pooling on the trunk map, fusion, heads), the same training objective (landmark L2, visibility, category and
batch-hard triplet terms weighted by name), and the same optimizer (AdamW in two parameter groups, gradient clipping).
Landmark pooling is the pure-tensor formulation (as in benchmarks/gpu/reference.py): the cell of a normalized
coordinate is floor(x * W), the K x K window around it is gathered and max-reduced, cells outside the map and
invisible landmarks give 0.
"""
import copy

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

LOSS_TERMS = ("landmarks", "visibility", "category", "attributes", "triplet")


def landmark_pooling(features, landmarks, visible, window):
    """Max over the K x K window around each landmark's cell (one bin): [N, C, H, W] -> [N, L, C, 1, 1]."""
    n, c, h, w = features.shape
    l = landmarks.shape[1]
    cx = torch.floor(landmarks[..., 0].double() * w).clamp(-window, w + window).long()
    cy = torch.floor(landmarks[..., 1].double() * h).clamp(-window, h + window).long()
    offsets = torch.arange(-(window // 2), window // 2 + 1)
    ys = cy[..., None, None] + offsets[:, None]  # [N, L, K, 1]
    xs = cx[..., None, None] + offsets[None, :]  # [N, L, 1, K]
    inside = ((ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)).reshape(n, l, window * window)
    cells = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).reshape(n, 1, l * window * window).expand(n, c, -1)
    gathered = features.reshape(n, c, h * w).gather(2, cells).reshape(n, c, l, window * window)
    pooled = gathered.masked_fill(~inside[:, None], float("-inf")).amax(dim=3)  # [N, C, L]
    keep = visible[:, None, :] & inside.any(dim=2)[:, None, :]
    pooled = torch.where(keep, pooled, torch.zeros((), dtype=pooled.dtype))
    return pooled.permute(0, 2, 1).reshape(n, l, c, 1, 1)


class FashionNet(nn.Module):
    """The .NET FashionNetModel's architecture; attribute names are its state-dict names."""

    def __init__(self, d):
        super().__init__()
        if d["pooling_bins"] != 1 or d["pooled_map"] not in ("Trunk", "Stride8"):
            raise ValueError(f"the PyTorch peer pools one bin on the Trunk or Stride8 map, not {d['pooling_bins']} bins on {d['pooled_map']}")
        self.d = d
        self.backbone = ResNet(BasicBlock, list(d["blocks_per_stage"]))
        del self.backbone.fc  # the .NET backbone ends at the pooled final stage
        self.poseStage = copy.deepcopy(self.backbone.layer4)
        stage, trunk = 512, 128 if d["pooled_map"] == "Stride8" else 256
        landmarks, hidden, grid = d["landmark_count"], d["pose_hidden_size"], d["pose_grid_size"]
        self.globalFc = nn.Linear(stage, d["global_feature_size"])
        self.poseFc1 = nn.Linear(stage * grid * grid, hidden)
        self.poseFc2 = nn.Linear(hidden, hidden)
        self.landmarkHead = nn.Linear(hidden, landmarks * 2)
        self.visibilityHead = nn.Linear(hidden, landmarks)
        local = d["local_feature_size"] if d["local_branch"] else 0
        if d["local_branch"]:
            self.localFc = nn.Linear(landmarks * trunk, local)
        self.fusionFc = nn.Linear(d["global_feature_size"] + local, d["embedding_size"])
        self.categoryHead = nn.Linear(d["embedding_size"], d["category_count"])
        self.attributeHead = nn.Linear(d["embedding_size"], d["attribute_count"])

    def forward(self, images, truth=None, pool_at=None):
        """Embedding, landmarks, visibility logits, category and attribute logits (as FashionNetOutput).

        truth: (positions, visible) of the batch; in training mode a sample with a visible true landmark pools at its
        true visible landmarks, as the .NET model does. pool_at: (landmarks, visible) to pool at instead of the
        model's own choice (the equality check uses the .NET side's, so a landmark on a cell border cannot tip it)."""
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(images))))
        stride8 = b.layer2(b.layer1(x))
        conv4 = b.layer3(stride8)
        n = images.shape[0]
        global_feature = F.relu(self.globalFc(F.adaptive_avg_pool2d(b.layer4(conv4), 1).flatten(1)))
        pose_map = F.adaptive_avg_pool2d(self.poseStage(conv4), self.d["pose_grid_size"]).flatten(1)
        pose = F.relu(self.poseFc2(F.relu(self.poseFc1(pose_map))))
        landmarks = torch.sigmoid(self.landmarkHead(pose)).view(n, self.d["landmark_count"], 2)
        visibility_logits = self.visibilityHead(pose)
        if self.d["local_branch"]:
            at, visible = pool_at if pool_at is not None else self._pooling_landmarks(landmarks, visibility_logits, truth)
            pooled = landmark_pooling(stride8 if self.d["pooled_map"] == "Stride8" else conv4, at, visible, self.d["pooling_window"])
            local = F.relu(self.localFc(pooled.flatten(1)))
            fused = self.fusionFc(torch.cat([global_feature, local], 1))
        else:
            fused = self.fusionFc(global_feature)
        return {
            "embedding": F.normalize(fused, p=2, dim=1),
            "landmarks": landmarks,
            "visibility_logits": visibility_logits,
            "category_logits": self.categoryHead(fused),
            "attribute_logits": self.attributeHead(fused),
        }

    def _pooling_landmarks(self, landmarks, visibility_logits, truth):
        predicted, predicted_visible = landmarks.detach(), torch.sigmoid(visibility_logits.detach()) > self.d["visibility_threshold"]
        if not self.training or truth is None:
            return predicted, predicted_visible
        positions, truth_visible = truth
        has_truth = truth_visible.any(1, keepdim=True)
        return torch.where(truth_visible[..., None], positions, predicted), torch.where(has_truth, truth_visible, predicted_visible)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def masked_mean(values, mask):
    return torch.where(mask, values, torch.zeros_like(values)).sum() / mask.count_nonzero().clamp_min(1).to(values.dtype)


def pairwise_euclidean(x):
    squared = x.square().sum(1, keepdim=True) + x.square().sum(1)[None, :] - 2 * x @ x.t()
    return squared.clamp_min(1e-12).sqrt()


def triplet_loss(embeddings, items, margin):
    """Batch-hard mining (farthest positive, closest negative; no gradient) and the triplet margin loss."""
    with torch.no_grad():
        distances = pairwise_euclidean(embeddings)
        known = items >= 0
        both = known[:, None] & known[None, :]
        same = (items[:, None] == items[None, :]) & both
        positive = same & ~torch.eye(len(items), dtype=torch.bool)
        negative = ~same & both
        hardest_positive = torch.where(positive, distances, torch.full_like(distances, -1.0)).argmax(1)
        hardest_negative = torch.where(negative, distances, torch.full_like(distances, float("inf"))).argmin(1)
        anchors = (positive.any(1) & negative.any(1)).nonzero().squeeze(1)
    if len(anchors) == 0:
        return embeddings.flatten()[:0].sum()
    a = embeddings[anchors]

    def row_distance(b):
        return (a - b).square().sum(1).clamp_min(1e-12).sqrt()

    return F.relu(row_distance(embeddings[hardest_positive[anchors]]) - row_distance(embeddings[hardest_negative[anchors]]) + margin).mean()


class Criterion:
    """The standard objective without attributes (In-shop photos have none), terms weighted by name."""

    def __init__(self, weights, margin):
        self.weights, self.margin = weights, margin

    def __call__(self, output, batch):
        """The weighted total and the unweighted terms; a term runs when weighted and when the batch has its labels."""
        terms = {}
        for name in LOSS_TERMS:
            value = getattr(self, "_" + name)(output, batch) if self.weights.get(name, 0) > 0 else None
            if value is not None:
                terms[name] = value
        weighted = [value * self.weights[name] for name, value in terms.items()]
        total = torch.stack(weighted).sum() if weighted else output["embedding"].sum() * 0
        return total, terms

    def _landmarks(self, output, batch):
        if not batch["labelled"].any():
            return None
        visible = batch["visible"]
        target = torch.where(visible[..., None], batch["positions"], output["landmarks"].detach())
        return masked_mean((output["landmarks"] - target).square().sum(-1), visible)

    def _visibility(self, output, batch):
        if not batch["labelled"].any():
            return None
        # every slot of an annotated sample, as the .NET term: a slot its clothes type lacks is trained as not visible
        annotated = batch["labelled"].any(1, keepdim=True).expand_as(batch["labelled"])
        per_slot = F.binary_cross_entropy_with_logits(output["visibility_logits"], batch["visible"].float(), reduction="none")
        return masked_mean(per_slot, annotated)

    def _category(self, output, batch):
        categories = batch["categories"]
        if not (categories >= 0).any():
            return None
        safe = torch.where(categories >= 0, categories, torch.zeros_like(categories))
        nll = -F.log_softmax(output["category_logits"], 1).gather(1, safe[:, None]).squeeze(1)
        return masked_mean(nll, categories >= 0)

    @staticmethod
    def _attributes(output, batch):
        return None  # In-shop photos carry no attribute labels; the .NET criterion has no attribute term for them either

    def _triplet(self, output, batch):
        if not (batch["items"] >= 0).any():
            return None
        return triplet_loss(output["embedding"], batch["items"], self.margin)


def optimizer(model, o):
    """AdamW over the new branches and heads at the base rate and the backbone at backbone_learning_rate_factor times it."""
    backbone = [p for p in model.backbone.parameters() if p.requires_grad]
    ids = {id(p) for p in backbone}
    heads = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    rate = o["learning_rate"]
    return torch.optim.AdamW([
        {"params": heads, "lr": rate},
        {"params": backbone, "lr": rate * o["backbone_learning_rate_factor"]},
    ], lr=rate, betas=(0.9, 0.999), eps=1e-8, weight_decay=o["weight_decay"])


def train_step(model, criterion, opt, clip, images, batch):
    opt.zero_grad()
    output = model(images, (batch["positions"], batch["visible"]))
    total, terms = criterion(output, batch)
    total.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], clip)
    opt.step()
    values = {name: value.item() for name, value in terms.items()}
    values["total"] = total.item()
    return values
