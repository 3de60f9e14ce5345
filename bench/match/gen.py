# gen.py: N x D standard normal float32 vectors with a fixed seed, raw
# (numpy tofile: little-endian on x86), for both FAISS and raw2emb.
# usage: python3 gen.py OUT N D SEED
import sys

import numpy as np

out, n, d, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
# in chunks, so a million vectors never need float64 copies at once
with open(out, "wb") as f:
    for i in range(0, n, 100000):
        rng.standard_normal((min(100000, n - i), d), dtype=np.float32).tofile(f)
