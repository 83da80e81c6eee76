"""Training throughput (forward + backward + optimizer step) in images/s, reference model in the same run.

    python benchmarks/throughput.py                       # GPU: bf16 autocast, channels_last, batch 64 at 224 px
    python benchmarks/throughput.py --compile             # also with torch.compile
    python benchmarks/throughput.py --device cpu --image-size 64 --batch-size 8 --steps 3   # smoke test

Models: RLA-ResNet-50, RLA-ResNet-50 + SE, CNN+GRU (ResNet-34 trunk), EfficientNet-B0 and torchvision
ResNet-50 (the reference; the goal is RLA-ResNet-50 >= 0.85x its images/s). Peak GPU memory is reported per
model; a batch size that runs out of memory is halved until it fits. Results:
outputs/benchmarks/throughput_<device>.json.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn as nn

from artlib.models import create_model

from records import write_result

MODELS = {
    "torchvision resnet50 (reference)": ("tv_resnet50", {}),
    "rla_resnet50": ("rla_resnet50", {}),
    "rla_resnet50_se": ("rla_resnet50_se", {}),
    "cnn_gru (resnet34 trunk)": ("cnn_gru", {"trunk": "resnet34", "hidden": 256}),
    "efficientnet_b0": ("efficientnet_b0", {}),
}


def step_time(
    model: nn.Module, batch: int, size: int, device: torch.device, steps: int, amp: bool, channels_last: bool
) -> tuple[float, float]:
    """Seconds per training step and peak memory (GiB, CUDA only)."""
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, size, size, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    loss_fn = nn.CrossEntropyLoss()

    def one():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(x)["label"]
        loss = loss_fn(out.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up (and compilation)
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return (time.perf_counter() - start) / steps, peak


def measure(name: str, spec, args, device) -> dict:
    batch = args.batch_size
    while batch >= 1:
        try:
            model = create_model(spec[0], {"label": 10}, **spec[1]).to(device)
            if args.compile:
                model = torch.compile(model)
            seconds, peak = step_time(
                model, batch, args.image_size, device, args.steps, device.type == "cuda", device.type == "cuda"
            )
            return {
                "model": name,
                "batch_size": batch,
                "images_per_s": round(batch / seconds, 1),
                "peak_memory_gib": round(peak, 2) if peak is not None else None,
                "compiled": args.compile,
            }
        except torch.OutOfMemoryError:
            del model
            torch.cuda.empty_cache()
            batch //= 2  # automatic fallback
    raise RuntimeError(f"{name}: does not fit even with batch size 1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--only", nargs="*", help="subset of model names")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    rows = [measure(name, spec, args, device) for name, spec in MODELS.items() if not args.only or name in args.only]
    ref = rows[0]["images_per_s"] if rows and "reference" in rows[0]["model"] else None
    for row in rows:
        if ref:
            row["vs_reference"] = round(row["images_per_s"] / ref, 3)
    info = {
        "image_size": args.image_size,
        "steps": args.steps,
        "amp": "bf16" if device.type == "cuda" else "off",
        "rows": rows,
    }
    write_result(f"throughput_{device.type}", info, device=device)


if __name__ == "__main__":
    main()
