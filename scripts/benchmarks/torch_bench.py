#!/usr/bin/python3
"""PyTorch peer of the bare TorchSharp loop (scripts/benchmarks/Bench/BareLoop.cs): same model, data handling and
loop, same options, same RESULT line. Run with Debian's /usr/bin/python3 (python3-torch); see docs/performance.md."""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx(data_dir, train, limit=None):
    prefix = "train" if train else "t10k"
    with gzip.open(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), "rb") as f:
        raw = f.read()
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    assert magic == 0x803 and rows == 28 and cols == 28, "not MNIST IDX images"
    with gzip.open(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), "rb") as f:
        lab = f.read()
    assert struct.unpack(">I", lab[:4])[0] == 0x801, "not MNIST IDX labels"
    if limit is not None:
        count = min(count, limit)
    images = torch.frombuffer(bytearray(raw[16:16 + count * 784]), dtype=torch.uint8).view(count, 1, 28, 28)
    labels = torch.frombuffer(bytearray(lab[8:8 + count]), dtype=torch.uint8).to(torch.int64)
    return images, labels, count


def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return -1.0


def process_seconds():
    """Seconds since this process started (from /proc/self/stat start time)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def busy_seconds():
    """Busy seconds of all CPUs together from /proc/stat (user + nice + system + irq + softirq + steal)."""
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / os.sysconf("SC_CLK_TCK")


def tutorial_model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(576, 64), nn.ReLU(),
        nn.Linear(64, 10))


def default_data_dir():
    if os.environ.get("MNIST_DATA_DIR"):
        return os.environ["MNIST_DATA_DIR"]
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for candidate in (os.path.join(repo, "shared", "datasets", "mnist"), os.path.join(repo, "..", "shared", "datasets", "mnist")):
        if os.path.exists(os.path.join(candidate, "train-images-idx3-ubyte.gz")):
            return os.path.abspath(candidate)
    return "/work/shared/datasets/mnist"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--train-size", type=int, default=60000)
    p.add_argument("--batches", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--optimizer", default="rmsprop")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--rho", type=float, default=0.9)
    p.add_argument("--eps", type=float, default=1e-7)
    p.add_argument("--eval", action="store_true")
    p.add_argument("--eval-batch", type=int, default=64)
    p.add_argument("--eval-repeats", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--label", default="pytorch")
    p.add_argument("--data", default=default_data_dir())
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format

    t0 = time.perf_counter()
    pixels, labels, count = load_idx(a.data, True, a.train_size)
    x_train = (pixels.float() / 255.0).to(device)
    y_train = labels.to(device)
    load_seconds = time.perf_counter() - t0

    model = tutorial_model().to(device).to(memory_format=fmt)
    lr = a.lr if a.lr is not None else (0.01 if a.optimizer == "sgd" else 0.001)
    if a.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=a.rho, eps=a.eps)
    elif a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, eps=a.eps)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    per_epoch = (count + a.batch_size - 1) // a.batch_size
    epoch_mode = a.epochs is not None
    warmup = 0 if epoch_mode else a.warmup
    timed = a.epochs * per_epoch if epoch_mode else a.batches
    total = warmup + timed
    gen = torch.Generator().manual_seed(a.seed)
    perm = None
    position = count
    loss_sum = torch.zeros(1, device=device)
    images = 0
    epoch_seconds = []
    model.train()
    start = epoch_start = None
    cpu_start = 0.0
    for step in range(total):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            cpu_start = time.process_time()
            busy_start = busy_seconds()
            start = epoch_start = time.perf_counter()
        if position >= count:
            perm = torch.randperm(count, generator=gen).to(device)
            position = 0
        size = min(a.batch_size, count - position)
        idx = perm[position:position + size]
        x = x_train.index_select(0, idx)
        if a.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = y_train.index_select(0, idx)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            loss_sum += loss.detach()
        position += size
        if step >= warmup:
            images += size
        if epoch_mode and position >= count:
            if device.type == "cuda":
                torch.cuda.synchronize()
            now = time.perf_counter()
            epoch_seconds.append(now - epoch_start)
            epoch_start = now
    mean_loss = loss_sum.item() / total
    train_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    other_cores = max(0.0, (busy_seconds() - busy_start - cpu_seconds) / train_seconds)

    result = {
        "impl": a.label, "model": "tutorial", "device": device.type, "threads": torch.get_num_threads(),
        "batchSize": a.batch_size, "trainSize": count, "images": images, "trainSeconds": train_seconds,
        "imagesPerSec": images / train_seconds, "cpuUtilisation": cpu_seconds / train_seconds,
        "imagesPerCpuSec": images / cpu_seconds, "otherCores": other_cores,
        "epochSeconds": epoch_seconds, "meanLoss": mean_loss, "loadSeconds": load_seconds,
        "torchVersion": torch.__version__,
    }
    if a.eval:
        tp, tl, tc = load_idx(a.data, False)
        x_test = (tp.float() / 255.0).to(device)
        y_test = tl.to(device)
        model.eval()
        evals, preds = [], []
        correct = 0
        for _ in range(a.eval_repeats):
            t = time.perf_counter()
            with torch.inference_mode():
                hits = torch.zeros((), dtype=torch.int64, device=device)
                for s in range(0, tc, a.eval_batch):
                    x = x_test[s:s + a.eval_batch].contiguous(memory_format=fmt)
                    hits += (model(x).argmax(1) == y_test[s:s + a.eval_batch]).sum()
                correct = hits.item()
            evals.append(time.perf_counter() - t)
            t = time.perf_counter()
            predicted, confidence = [], []
            with torch.inference_mode():
                for s in range(0, tc, a.eval_batch):
                    x = x_test[s:s + a.eval_batch].contiguous(memory_format=fmt)
                    values, indexes = F.softmax(model(x), 1).max(1)
                    predicted.append(indexes.cpu().numpy() if hasattr(indexes, "numpy") else indexes.cpu())
                    confidence.append(values.cpu())
            preds.append(time.perf_counter() - t)
        result.update({"testAccuracy": correct / tc, "evalSeconds": min(evals), "evalSecondsFirst": evals[0],
                       "predictSeconds": min(preds), "evalBatch": a.eval_batch})
    result["peakRssMiB"] = peak_rss_mib()
    result["startToResultSeconds"] = process_seconds()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
