# PyTorch CPU reference for scripts/bench.js: the same 4 nets, batch sizes, SGD(lr=0.01), cross-entropy;
# one training step, median of `steps` after 3 warm-up steps. Prints one RESULT JSON line per net.
# usage: /usr/bin/python3 scripts/torch_bench.py [threads] [steps] [nets...]   (BATCH=n overrides the batch)
import json, math, os, statistics, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
nets = sys.argv[3:] or ['lenet', 'mnist', 'cifar', 'mlp']
torch.set_num_threads(threads)
torch.manual_seed(0)

class LeNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 6, 5, padding=2); s.c2 = nn.Conv2d(6, 16, 5)
        s.d1 = nn.Linear(400, 120); s.d2 = nn.Linear(120, 84); s.d3 = nn.Linear(84, 10)
    def forward(s, x):
        x = F.avg_pool2d(torch.tanh(s.c1(x)), 2); x = F.avg_pool2d(torch.tanh(s.c2(x)), 2)
        x = torch.flatten(x, 1); x = torch.tanh(s.d1(x)); x = torch.tanh(s.d2(x)); return s.d3(x)

class MnistNet(nn.Module):  # pytorch/examples mnist
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 32, 3, 1); s.c2 = nn.Conv2d(32, 64, 3, 1)
        s.dr1 = nn.Dropout(0.25); s.dr2 = nn.Dropout(0.5)
        s.d1 = nn.Linear(9216, 128); s.d2 = nn.Linear(128, 10)
    def forward(s, x):
        x = F.relu(s.c1(x)); x = F.relu(s.c2(x)); x = F.max_pool2d(x, 2); x = s.dr1(x)
        x = torch.flatten(x, 1); x = F.relu(s.d1(x)); x = s.dr2(x); return s.d2(x)

class CifarNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(3, 16, 5); s.c2 = nn.Conv2d(16, 32, 5)
        s.d1 = nn.Linear(800, 120); s.d2 = nn.Linear(120, 84); s.d3 = nn.Linear(84, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.c1(x)), 2); x = F.max_pool2d(F.relu(s.c2(x)), 2)
        x = torch.flatten(x, 1); x = F.relu(s.d1(x)); x = F.relu(s.d2(x)); return s.d3(x)

class MLP(nn.Module):
    def __init__(s):
        super().__init__()
        s.l = nn.ModuleList([nn.Linear(784, 100), nn.Linear(100, 100), nn.Linear(100, 100), nn.Linear(100, 10)])
    def forward(s, x):
        for i, l in enumerate(s.l):
            x = l(x)
            if i < 3: x = F.relu(x)
        return x

CFG = {'lenet': (LeNet, 256, (1, 28, 28), 60000), 'mnist': (MnistNet, 64, (1, 28, 28), 60000),
       'cifar': (CifarNet, 128, (3, 32, 32), 50000), 'mlp': (MLP, 300, (784,), 60000)}

for name in nets:
    cls, bs, shp, ntrain = CFG[name]
    bs = int(os.environ.get('BATCH', bs))
    m = cls(); m.train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    xs = [torch.rand(bs, *shp) for _ in range(3)]
    ys = [torch.randint(0, 10, (bs,)) for _ in range(3)]
    ts = []
    for i in range(3 + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(m(xs[i % 3]), ys[i % 3])
        loss.backward(); opt.step(); loss.item()
        dt = (time.perf_counter() - t0) * 1000
        if i >= 3: ts.append(dt)
    med = statistics.median(ts)
    nb = math.ceil(ntrain / bs)
    print('RESULT ' + json.dumps({'net': name, 'backend': 'torch', 'threads': threads, 'batch': bs,
        'minMs': round(min(ts), 1), 'medMs': round(med, 1), 'steps': steps,
        'epochS': round(med * nb / 1000, 1), 'batchesPerEpoch': nb, 'torch': torch.__version__}), flush=True)
