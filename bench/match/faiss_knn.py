# faiss_knn.py: exact k-NN with FAISS IndexFlatL2 on 2 threads; prints the
# search time, rate and CPU time (all threads) like sym-match -v, and
# writes each query's nearest support index (one per line) to compare
# with sym-match's answers.
# usage: /usr/bin/python3 faiss_knn.py SUPPORT QUERIES D K OUT
import sys
import time

import faiss
import numpy as np

sup, qry, d, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
faiss.omp_set_num_threads(2)
xb = np.fromfile(sup, dtype=np.float32).reshape(-1, d)
xq = np.fromfile(qry, dtype=np.float32).reshape(-1, d)
index = faiss.IndexFlatL2(d)
index.add(xb)
t0 = time.perf_counter()
c0 = time.process_time()
dist, ind = index.search(xq, k)
t = time.perf_counter() - t0
c = time.process_time() - c0
print("search: %.2f s, %.0f queries/s, cpu %.2f s" % (t, len(xq) / t, c))
np.savetxt(out, ind[:, 0], fmt="%d")
