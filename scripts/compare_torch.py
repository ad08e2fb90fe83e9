#!/usr/bin/python3
"""PyTorch side of scripts/compare-torch.js: reads the problems (JSON) on stdin, writes the
trajectories (JSON) on stdout. Run with Debian's /usr/bin/python3 (python3-torch, CPU)."""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)


def t(a):
    return torch.tensor(a, dtype=torch.float32)


def make_optimizer(spec, params):
    kind, o = spec["kind"], spec["options"]
    if kind == "SGD":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                               weight_decay=o.get("weightDecay", 0), nesterov=o.get("nesterov", False))
    if kind == "Adadelta":
        return torch.optim.Adadelta(params, lr=o.get("lr", 1.0), rho=o.get("rho", 0.9), eps=o.get("eps", 1e-6),
                                    weight_decay=o.get("weightDecay", 0))
    if kind == "Adam":
        return torch.optim.Adam(params, lr=o.get("lr", 1e-3), betas=tuple(o.get("betas", (0.9, 0.999))),
                                eps=o.get("eps", 1e-8), weight_decay=o.get("weightDecay", 0))
    raise ValueError(kind)


def loss_fn(problem, params):
    if problem["kind"] == "leastSquares":
        X, y = t(problem["X"]), t(problem["y"])
        (beta,) = params
        return ((X @ beta - y) ** 2).mean()
    X, labels = t(problem["X"]), torch.tensor(problem["labels"], dtype=torch.long)
    W, b = params
    return F.cross_entropy(X @ W + b, labels)


def trajectory(case):
    problem = case["problem"]
    params = [t(p).requires_grad_(True) for p in problem["init"]]
    opt = make_optimizer(case["optimizer"], params)
    sched = None
    if case.get("stepLR"):
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=case["stepLR"]["stepSize"], gamma=case["stepLR"]["gamma"])
    losses, finals, lrs = [], None, []
    for _ in range(case["steps"]):
        opt.zero_grad()
        loss = loss_fn(problem, params)
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched:
            sched.step()
        losses.append(loss.item())
        finals = [p.detach().flatten().tolist() for p in params]
    return {"losses": losses, "params": finals, "lrs": lrs}


def cross_entropy(ce):
    logits = t(ce["logits"]).requires_grad_(True)
    loss = F.cross_entropy(logits, torch.tensor(ce["labels"], dtype=torch.long))
    loss.backward()
    return {"loss": loss.item(), "grad": logits.grad.flatten().tolist()}


def modules(m):
    out = {}
    # Conv2d (+bias) then AvgPool2d(2, padding=1), NCHW; the JS side runs NHWC with permuted weights.
    x = t(m["convX"])  # NCHW
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(t(m["convW"]))
        conv.bias.copy_(t(m["convB"]))
    y = F.avg_pool2d(torch.relu(conv(x)), 2, padding=1)
    out["convPool"] = y.detach().permute(0, 2, 3, 1).flatten().tolist()  # to NHWC order
    # BatchNorm1d in train mode: output, then running stats after 3 forwards.
    bn = torch.nn.BatchNorm1d(5)
    xb = t(m["bnX"])
    for _ in range(3):
        yb = bn(xb)
    out["bnOut"] = yb.detach().flatten().tolist()
    out["bnRunning"] = bn.running_mean.tolist() + bn.running_var.tolist()
    bn.eval()
    out["bnEval"] = bn(xb).detach().flatten().tolist()
    ln = torch.nn.LayerNorm(5)
    out["layerNorm"] = ln(xb).detach().flatten().tolist()
    return out


def main():
    spec = json.load(sys.stdin)
    result = {
        "version": torch.__version__,
        "cases": {c["name"]: trajectory(c) for c in spec["cases"]},
        "crossEntropy": cross_entropy(spec["crossEntropy"]),
        "modules": modules(spec["modules"]),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
