# torch_embed.py: PyTorch CPU inference of a symnet tower (eval mode, no
# autograd) in batches of BATCH random images, the peer of sym-embed.
# Times only the forward passes, after one warm-up batch; prints
# "images_per_s N".
# usage: /usr/bin/python3 torch_embed.py ARCH SIZE IMAGES BATCH THREADS
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "train"))
from torch_towers import tower  # noqa: E402

arch, size = sys.argv[1], int(sys.argv[2])
images, batch, threads = map(int, sys.argv[3:6])
torch.set_num_threads(threads)
torch.manual_seed(1)

net = tower(arch, size)
net.eval()
x = torch.rand(batch, 1, size, size)
with torch.no_grad():
    net(x)
    t0 = time.perf_counter()
    done = 0
    while done < images:
        n = min(batch, images - done)
        net(x[:n])
        done += n
    t = time.perf_counter() - t0
print("torch %s threads %d" % (torch.__version__, torch.get_num_threads()))
print("images_per_s %.1f" % (images / t))
