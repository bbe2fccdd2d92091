"""ONNX corpus fixtures for test/io/onnx-corpus.test.ts and the bench: torchvision models with seeded,
non-trivial weights, exported by torch.onnx.export as users export them.

    python torch-export.py OUT_DIR PHOTO_DIR

For every model in MODELS, writes OUT_DIR/<name>.onnx with the default exporter (dynamo, its default
opset, weights as external data in OUT_DIR/<name>.onnx.data), and for those in LEGACY also
OUT_DIR/<name>-legacy17.onnx (dynamo=False, opset 17, weights inline). OUT_DIR/fixtures.json lists
the files, input shapes and versions. Run by scripts/torch-fixtures.sh in its pinned venv.

Weights (no pretrained download is possible, and fresh models would not test an importer: BatchNorm
gamma 1, beta 0, running stats 0 / 1, zero biases):
- every parameter a torchvision initialiser sets to a constant is redrawn (BN / LayerNorm scale and
  shift, biases);
- BN statistics are warmed with a few train-mode passes over augmented real photos (PHOTO_DIR/*.jpg,
  normalised as ImageNet models expect), then eval().
"""
import glob
import json
import os
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision.transforms import v2 as T

SEED = 20261207
RES = 224
# name -> constructor kwargs (no weights: nothing is downloaded)
MODELS = {
    "mobilenet_v2": {},
    "mobilenet_v3_small": {},
    "mobilenet_v3_large": {},
    "efficientnet_b0": {},
    "shufflenet_v2_x1_0": {},
    "lraspp_mobilenet_v3_large": {"weights_backbone": None},
    "deeplabv3_mobilenet_v3_large": {"weights_backbone": None},
}
# Also exported with the deprecated TorchScript exporter (dynamo=False) at opset 17: GlobalAveragePool +
# Flatten, Constant nodes, Shape / Gather / Slice chains, Resize with computed sizes.
LEGACY = ["mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x1_0", "lraspp_mobilenet_v3_large"]
WARM_PASSES, WARM_BATCH = 6, 8


def build(name, kwargs):
    if name in ("lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"):
        return getattr(torchvision.models.segmentation, name)(weights=None, **kwargs)
    return getattr(torchvision.models, name)(weights=None, **kwargs)


def redraw(model, gen):
    """Every parameter that starts as a constant gets seeded values of a plausible scale."""
    for mod in model.modules():
        if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.GroupNorm)):
            if mod.weight is not None:
                mod.weight.data = torch.empty_like(mod.weight).uniform_(0.5, 1.5, generator=gen)
                mod.bias.data = torch.empty_like(mod.bias).normal_(0.0, 0.2, generator=gen)
            if isinstance(mod, torch.nn.BatchNorm2d):
                # Cumulative statistics over the warm-up passes (not an exponential average from 0 / 1).
                mod.reset_running_stats()
                mod.momentum = None
        elif isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)) and mod.bias is not None:
            mod.bias.data = torch.empty_like(mod.bias).normal_(0.0, 0.1, generator=gen)


def photos(photo_dir):
    files = sorted(glob.glob(os.path.join(photo_dir, "*.jpg")))
    if not files:
        raise SystemExit(f"no photos (*.jpg) in {photo_dir}")
    return [T.functional.pil_to_tensor(Image.open(f).convert("RGB")) for f in files]


def warm_batches(imgs, gen):
    """Augmented crops of the photos, ImageNet-normalised, as training would feed them."""
    aug = T.Compose([
        T.RandomResizedCrop(RES, scale=(0.2, 1.0), antialias=True),
        T.RandomHorizontalFlip(),
        T.ColorJitter(0.4, 0.4, 0.4, 0.05),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    out = []
    for _ in range(WARM_PASSES):
        idx = torch.randint(len(imgs), (WARM_BATCH,), generator=gen)
        out.append(torch.stack([aug(imgs[int(i)]) for i in idx]))
    return out


def main(out, photo_dir):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    tmp = out + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    imgs = photos(photo_dir)
    batches = warm_batches(imgs, torch.Generator().manual_seed(SEED))
    example = (batches[0][:1].clone(),)
    files = []
    for k, (name, kwargs) in enumerate(MODELS.items()):
        t0 = time.time()
        torch.manual_seed(SEED + k)
        model = build(name, kwargs)
        redraw(model, torch.Generator().manual_seed(SEED + k))
        model.train()
        with torch.no_grad():
            for b in batches:
                model(b)
        model.eval()
        path = os.path.join(tmp, f"{name}.onnx")
        # What a user writes: the default exporter (dynamo), its default opset, external data.
        torch.onnx.export(model, example, path)
        files.append({"name": name, "file": f"{name}.onnx", "exporter": "dynamo", "inputShape": [1, 3, RES, RES]})
        if name in LEGACY:
            lpath = os.path.join(tmp, f"{name}-legacy17.onnx")
            torch.onnx.export(model, example, lpath, dynamo=False, opset_version=17, input_names=["input"], output_names=["output"])
            files.append({"name": name, "file": f"{name}-legacy17.onnx", "exporter": "torchscript opset 17", "inputShape": [1, 3, RES, RES]})
        print(f"{name}: {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    meta = {
        "seed": SEED,
        "warmup": f"{WARM_PASSES} train-mode passes of {WARM_BATCH} augmented crops of {len(imgs)} photos",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "models": files,
    }
    with open(os.path.join(tmp, "fixtures.json"), "w") as f:
        json.dump(meta, f, indent=1)
    if os.path.exists(out):
        raise SystemExit(f"{out} exists")
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
