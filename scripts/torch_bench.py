# PyTorch CPU reference for scripts/bench.js: tsdl's bench nets (the four, and resnet20 on request) in PyTorch layout (NCHW), same batch
# sizes, SGD(lr=0.01, momentum=0.9), same criteria (cross-entropy; the MNIST example net: log_softmax +
# nll_loss, as upstream). One training step (zero_grad, forward, loss, backward, step, loss.item()) on
# prebuilt batches, median of `steps` after `warmup` steps. Prints one `RESULT {json}` line per net, with
# the BLAS actually loaded (from /proc/self/maps) and the process's peak RSS (ru_maxrss: run one net per
# process for a clean peak, as bench.js does).
# usage: /usr/bin/python3 scripts/torch_bench.py [--threads N] [--steps 20] [--warmup 5] [--warmup-s 3] [--net lenet,...]
#        /usr/bin/python3 scripts/torch_bench.py [threads] [steps] [nets...]      (the older form)
# Run it with Debian's python3-torch and libopenblas0-pthread (/usr/bin/python3, not the pyenv python3).
import argparse, ctypes, json, math, os, resource, statistics, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, default=None)
ap.add_argument('--steps', type=int, default=None)
ap.add_argument('--warmup', type=int, default=5)
ap.add_argument('--warmup-s', type=float, default=3.0, dest='warmup_s')
ap.add_argument('--net', default=None, help='comma-separated: lenet,mnist,cifar,mlp (default), resnet20')
ap.add_argument('legacy', nargs='*', help='[threads] [steps] [nets...]')
a = ap.parse_args()
leg = list(a.legacy)
threads = a.threads if a.threads is not None else (int(leg.pop(0)) if leg and leg[0].isdigit() else 1)
steps = a.steps if a.steps is not None else (int(leg.pop(0)) if leg and leg[0].isdigit() else 20)
nets = a.net.split(',') if a.net else (leg or ['lenet', 'mnist', 'cifar', 'mlp'])

# Same thread count for every pool torch may use: its intra-op pool (OpenMP), and OpenBLAS' own pthreads
# (libopenblas0-pthread does not follow OMP_NUM_THREADS alone). Set before torch loads its libraries.
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = str(threads)

import torch, torch.nn as nn, torch.nn.functional as F  # noqa: E402

torch.set_num_threads(threads)
torch.manual_seed(0)


class LeNet5(nn.Module):  # tsdl's LeNet5: C5 is a 5×5 conv to 120 channels
    def __init__(s):
        super().__init__()
        s.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
            nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten())
        s.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(s, x):
        return s.classifier(s.features(x))


class MnistNet(nn.Module):  # pytorch/examples mnist/main.py
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 32, 3, 1); s.conv2 = nn.Conv2d(32, 64, 3, 1)
        s.dropout1 = nn.Dropout(0.25); s.dropout2 = nn.Dropout(0.5)
        s.fc1 = nn.Linear(9216, 128); s.fc2 = nn.Linear(128, 10)

    def forward(s, x):
        x = F.relu(s.conv1(x)); x = F.relu(s.conv2(x)); x = F.max_pool2d(x, 2); x = s.dropout1(x)
        x = torch.flatten(x, 1); x = F.relu(s.fc1(x)); x = s.dropout2(x)
        return F.log_softmax(s.fc2(x), dim=1)


class CifarNet(nn.Module):  # the course net, channels 16/32
    def __init__(s, c1=16, c2=32):
        super().__init__()
        s.conv1 = nn.Conv2d(3, c1, 5); s.conv2 = nn.Conv2d(c1, c2, 5); s.pool = nn.MaxPool2d(2, 2)
        s.fc1 = nn.Linear(c2 * 25, 120); s.fc2 = nn.Linear(120, 84); s.fc3 = nn.Linear(84, 10)

    def forward(s, x):
        x = s.pool(F.relu(s.conv1(x))); x = s.pool(F.relu(s.conv2(x)))
        x = torch.flatten(x, 1); x = F.relu(s.fc1(x)); x = F.relu(s.fc2(x)); return s.fc3(x)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                         nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))


class Block(nn.Module):  # tsdl's BasicBlock: option-A shortcut (subsample, zero-pad the new channels)
    def __init__(s, i, o, stride):
        super().__init__()
        s.c1 = nn.Conv2d(i, o, 3, stride, 1, bias=False); s.b1 = nn.BatchNorm2d(o)
        s.c2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); s.b2 = nn.BatchNorm2d(o)
        s.pad = (o - i) // 2 if (stride != 1 or i != o) else None

    def forward(s, x):
        y = s.b2(s.c2(F.relu(s.b1(s.c1(x)))))
        sc = x if s.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, s.pad, s.pad))
        return F.relu(y + sc)


class ResNet20(nn.Module):  # tsdl's ResNet({ depth: 20 }): 269,722 parameters
    def __init__(s, n=3, w=16):
        super().__init__()
        s.conv = nn.Conv2d(3, w, 3, 1, 1, bias=False); s.bn = nn.BatchNorm2d(w)
        blocks, i = [], w
        for o, stride in ((w, 1), (2 * w, 2), (4 * w, 2)):
            for k in range(n):
                blocks.append(Block(i, o, stride if k == 0 else 1)); i = o
        s.blocks = nn.Sequential(*blocks); s.fc = nn.Linear(4 * w, 10)

    def forward(s, x):
        return s.fc(F.adaptive_avg_pool2d(s.blocks(F.relu(s.bn(s.conv(x)))), 1).flatten(1))


# name: (model, batch, sample shape (NCHW), training samples, criterion)
CFG = {
    'lenet': (LeNet5, 256, (1, 28, 28), 60000, F.cross_entropy),
    'mnist': (MnistNet, 64, (1, 28, 28), 60000, F.nll_loss),
    'cifar': (CifarNet, 128, (3, 32, 32), 50000, F.cross_entropy),
    'mlp': (mlp, 300, (1, 28, 28), 60000, F.cross_entropy),
    'resnet20': (ResNet20, 128, (3, 32, 32), 50000, F.cross_entropy),
}


def blas_info():
    """The BLAS really loaded: the libraries mapped into this process after a matmul has run."""
    a = torch.rand(64, 64)
    (a @ a).sum().item()
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            p = line.split()[-1]
            name = os.path.basename(p).lower()
            if p.startswith('/') and any(k in name for k in ('blas', 'mkl_', 'libmkl', 'blis', 'lapack', 'gomp', 'omp.so')):
                libs.add(p)
    info = {'libs': sorted(libs), 'name': 'unknown'}
    cfg = torch.__config__.show()
    info['torchBlasInfo'] = next((t.split('=')[1] for t in cfg.replace(',', '\n').split() if t.startswith('BLAS_INFO=')), None)
    info['mkldnn'] = bool(torch.backends.mkldnn.is_available())  # convolutions go through oneDNN when on
    ob = [p for p in libs if 'openblas' in os.path.basename(p).lower()]
    if ob:
        try:
            lib = ctypes.CDLL(ob[0])
            lib.openblas_get_config.restype = ctypes.c_char_p
            info['config'] = lib.openblas_get_config().decode()
            info['blasThreads'] = lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            pass
        variant = 'pthread' if 'pthread' in ob[0] else ('openmp' if 'openmp' in ob[0] else 'serial' if 'serial' in ob[0] else '?')
        info['name'] = 'OpenBLAS (%s) %s' % (variant, os.path.basename(ob[0]))
    elif any('mkl' in os.path.basename(p).lower() for p in libs):
        info['name'] = 'MKL'
    elif any('blis' in os.path.basename(p).lower() for p in libs):
        info['name'] = 'BLIS'
    elif any('libblas' in os.path.basename(p).lower() for p in libs):
        info['name'] = 'reference BLAS (' + os.path.realpath(next(p for p in libs if 'libblas' in p)) + ')'
    return info


blas = blas_info()
for name in nets:
    cls, bs, shp, ntrain, crit = CFG[name]
    bs = int(os.environ.get('BATCH', bs))
    m = cls(); m.train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    gen = torch.Generator().manual_seed(1)
    xs = [torch.randn(bs, *shp, generator=gen) for _ in range(3)]
    ys = [torch.randint(0, 10, (bs,), generator=gen) for _ in range(3)]
    ts, cs = [], []
    loss = float('nan')
    # warm-up: --warmup steps, repeated until --warmup-s seconds have passed (as the tsdl worker does)
    w0 = time.perf_counter()
    while True:
        for i in range(a.warmup):
            opt.zero_grad(); crit(m(xs[i % 3]), ys[i % 3]).backward(); opt.step()
        if time.perf_counter() - w0 >= a.warmup_s:
            break
    for i in range(a.warmup, a.warmup + steps):
        t0 = time.perf_counter(); c0 = time.process_time()
        opt.zero_grad()
        out = m(xs[i % 3])
        lt = crit(out, ys[i % 3])
        lt.backward(); opt.step(); loss = lt.item()
        dt = (time.perf_counter() - t0) * 1000; dc = (time.process_time() - c0) * 1000
        if i >= a.warmup:
            ts.append(dt); cs.append(dc)
    med = statistics.median(ts)
    nb = math.ceil(ntrain / bs)
    print('RESULT ' + json.dumps({
        'net': name, 'backend': 'torch', 'threads': threads, 'batch': bs, 'steps': steps, 'warmup': a.warmup,
        'medMs': round(med, 1), 'minMs': round(min(ts), 1), 'cpuMs': round(statistics.median(cs), 1),
        'epochS': round(med * nb / 1000, 1), 'batchesPerEpoch': nb, 'loss': round(loss, 2),
        'params': sum(p.numel() for p in m.parameters()),
        # ru_maxrss is in KiB on Linux; the high-water mark of the whole process (all nets run so far)
        'maxRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        'torch': torch.__version__, 'intraThreads': torch.get_num_threads(), 'blas': blas}), flush=True)
