# torch_train.py: PyTorch CPU training steps of a symnet tower on random
# data, the peer of train_bench.c: PAIRS pairs per step = 2 * PAIRS images
# through one shared tower, pair loss, backward, Adam. Prints the median
# step as "pairs_per_s N" (and the step time) like train_bench.
# usage: /usr/bin/python3 torch_train.py ARCH SIZE LOSS PAIRS STEPS WARMUP THREADS
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_towers import BceHead, contrastive, tower  # noqa: E402

arch, size, loss = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pairs, steps, warmup, threads = map(int, sys.argv[4:8])
torch.set_num_threads(threads)
torch.manual_seed(1)

net = tower(arch, size)
net.train()
with torch.no_grad():
    dim = net(torch.zeros(2, 1, size, size)).shape[1]
params = list(net.parameters())
head = None
if loss == "bce":
    head = BceHead(dim)
    params += list(head.parameters())
elif loss != "contrastive":
    raise SystemExit("torch_train.py: loss must be contrastive or bce")
opt = torch.optim.Adam(params, lr=1e-3)
x = torch.rand(2 * pairs, 1, size, size)
same = (torch.arange(pairs) % 2 == 0).float()

times = []
for i in range(warmup + steps):
    t0 = time.perf_counter()
    opt.zero_grad()
    e = net(x)
    e1, e2 = e[:pairs], e[pairs:]
    lv = head(e1, e2, same) if head else contrastive(e1, e2, same)
    lv.backward()
    opt.step()
    if i >= warmup:
        times.append(time.perf_counter() - t0)
times.sort()
n = len(times)
med = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
print("torch %s threads %d" % (torch.__version__, torch.get_num_threads()))
print("step_median_ms %.2f" % (1e3 * med))
print("pairs_per_s %.1f" % (pairs / med))
