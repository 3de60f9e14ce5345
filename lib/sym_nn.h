/*
 * sym_nn.h: the neural-network engine. f32 tensors, row-major, batch
 * first (B x C x H x W). All parameters of a net live in one float array
 * that layers view, likewise their gradients, so saving, loading, the
 * optimizer and gradient checks are each one loop.
 */
#ifndef SYM_NN_H
#define SYM_NN_H

/* ---- BLAS ---- */

/* Row-major C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C,
 * op = transpose when ta/tb is nonzero. Every GEMM goes through here
 * (cblas_sgemm); the naive version is the reference for tests. */
void sym_gemm(int ta, int tb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc);
void sym_gemm_naive(int ta, int tb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc);
/* Call first in main() of every command that uses BLAS. When
 * OPENBLAS_CORETYPE is unset and OpenBLAS picked a core below what the CPU
 * supports (Debian's 0.3.21 takes some current CPUs for "Prescott"),
 * set the right core type and re-exec so OpenBLAS initialises with it.
 * A user's OPENBLAS_CORETYPE is never overridden. verbose: say so. */
void sym_blas_init(char **argv, int verbose);
/* Threads OpenBLAS may use (1..64); the net's other kernels split their
 * work over as many (results are the same for any count). */
void sym_blas_threads(int n);
/* The core OpenBLAS runs ("SkylakeX", "Haswell", ...). */
const char *sym_blas_core(void);

/* ---- towers ---- */

struct sym_net;
/* Build a tower from a named architecture ("mlp", "conv4", "koch") or a
 * spec string ("conv:64:3,bn,relu,pool:2,...,flatten,dense:128"; see
 * sym-train(1)) for C x H x W inputs. Layers: conv:OUT:K[:PAD] (stride
 * 1), pool:S (max, stride S, floor), bn, relu, sigmoid, flatten,
 * dense:N (a flatten is put before it if needed, and after a spec that
 * ends on an image). NULL with sym_strerror() on error (unknown layer,
 * shape that shrinks to nothing, ...).
 * Parameters, in layer order: conv weights OUT x C x K x K then OUT
 * biases; dense weights N x IN then N biases; bn gamma then beta (C
 * each); state: bn running mean then running variance. A conv bias right
 * before a bn cancels out: it gets no gradient (exactly 0 in theory). */
struct sym_net *sym_net_new(const char *arch, int c, int h, int w);
void sym_net_free(struct sym_net *net);
/* Check an architecture's syntax (names, layer tokens, numbers) without
 * an input shape, so commands can refuse a bad one before reading data.
 * 0, or -1 with sym_strerror(). */
int sym_arch_check(const char *arch);
/* Canonical spec string of the net: a named arch expanded, implied
 * flattens written out, conv padding 0 left out. Do not free. */
const char *sym_net_spec(const struct sym_net *net);
/* Length of one output (embedding) vector. */
int sym_net_out_dim(const struct sym_net *net);
/* Trainable parameters and their gradients: one array each. */
size_t sym_net_nparams(const struct sym_net *net);
float *sym_net_params(struct sym_net *net);
float *sym_net_grads(struct sym_net *net);
/* Non-trained state saved with the model (batch-norm running stats). */
size_t sym_net_nstate(const struct sym_net *net);
float *sym_net_state(struct sym_net *net);
/* He init before ReLU, Glorot elsewhere; biases 0; BN gamma 1 beta 0. */
void sym_net_init(struct sym_net *net, struct sym_rng *rng);
/* Forward B >= 1 inputs (B x C x H x W). train = 1: batch statistics for
 * BN (updating the running stats), activations kept for backward; 0: the
 * running stats. Returns B x D, owned by net, valid until the next
 * forward. Workspace grows to the largest B seen and is then reused. */
const float *sym_net_forward(struct sym_net *net, const float *in, int B,
    int train);
/* Bytes of the workspace a train forward of B inputs allocates and
 * keeps (for B up to what SIZE_MAX counts): what grows with B. */
size_t sym_net_work_bytes(const struct sym_net *net, int B);
/* Backward of the last train forward, dout is B x D. Gradients are
 * ADDED to sym_net_grads() (zero them per step). If din is not NULL,
 * writes the gradient w.r.t. the input (B x C x H x W) there. */
void sym_net_backward(struct sym_net *net, const float *dout, float *din);
/* Seconds spent in GEMM (and the direct convolutions, the same
 * multiply-adds without im2col) and in everything else since the last
 * reset (for the benchmark's breakdown). */
void sym_net_times(const struct sym_net *net, double *gemm, double *other);
void sym_net_reset_times(struct sym_net *net);
/* Eval-mode fusion of conv, bn, relu and pool into one pass (on by
 * default; the same numbers, to the bit unless a conv with a bias feeds a
 * bn, as only models trained elsewhere have). Off only to test or time
 * it against the layer-by-layer path. */
void sym_net_set_fusion(struct sym_net *net, int on);
/* Convolutions (forward, and backward's input gradient) without im2col
 * (conv_direct.c), on by default where the CPU has AVX-512: the same
 * numbers but for the last bits. Off only to test or time it against
 * im2col and GEMM. */
void sym_net_set_direct(struct sym_net *net, int on);
/* Forward passes (eval and training) of convolutions with large kernels
 * by the discrete Fourier transform (conv_dft.c), on by default: the same
 * numbers up to rounding (not only the last bits). Off only to test or
 * time it. */
void sym_net_set_dft(struct sym_net *net, int on);

/* ---- heads and losses ---- */

enum sym_loss {
	SYM_LOSS_CONTRASTIVE = 1,	/* Euclidean d, margin (Hadsell 2006) */
	SYM_LOSS_BCE,			/* Koch: weighted L1, sigmoid, BCE */
	SYM_LOSS_CONCAT,		/* [e1 e2] -> dense 1 -> sigmoid, BCE */
	SYM_LOSS_PROTO			/* Snell 2017 episodes */
};
/* "contrastive" ... "proto" <-> enum; -1 / NULL when unknown. */
int sym_loss_parse(const char *name);
const char *sym_loss_name(int loss);
/* Parameters the head owns for embedding size D: bce D + 1 (weights of
 * |e1 - e2|, bias), concat 2D + 1, contrastive and proto 0. */
size_t sym_head_nparams(int loss, int D);
/* Init head parameters (bce: weights ~ N(0, 0.2) as Koch, bias 0; concat:
 * Glorot). */
void sym_head_init(int loss, int D, float *hp, struct sym_rng *rng);
/* Mean loss over B pairs. e1, e2: B x D; same[i] is 1 for the same class.
 * Writes d loss/d e1 and d e2 (B x D) and ADDS head gradients to hg.
 * margin is used by contrastive: same d^2 + (1 - same) max(0, margin -
 * d)^2, not halved. bce and concat: binary cross-entropy from the logit
 * (stable for any logit). proto is no pair loss: 0, zero gradients. */
float sym_pair_loss(int loss, const float *hp, float *hg, float margin,
    const float *e1, const float *e2, const float *same, int B, int D,
    float *de1, float *de2);
/* Similarity in [0, 1] of one pair (1 = surely the same class).
 * contrastive: 2^(-4 d^2 / margin^2), so d = margin/2 maps to 0.5;
 * proto: 1 / (1 + d^2 / D); bce and concat: the head's sigmoid. */
float sym_pair_similarity(int loss, const float *hp, float margin,
    const float *e1, const float *e2, int D);
/* Map a squared Euclidean distance to that similarity (contrastive,
 * proto), so a matcher can rank by distance computed with GEMM. bce and
 * concat need the vectors; for them this falls back to proto's map. */
float sym_dist2_similarity(int loss, float margin, float d2, int D);
/* Prototypical loss on one episode. emb: (way * (shot + query)) x D,
 * class-major: class k's shot supports, then its query queries.
 * Returns mean cross-entropy over the way*query queries, writes demb
 * (same shape) and the number of queries classified right. */
float sym_proto_loss(const float *emb, int way, int shot, int query, int D,
    float *demb, int *correct);

/* ---- optimisation ---- */

enum sym_optimizer { SYM_ADAM = 1, SYM_SGD };
enum sym_schedule { SYM_SCHED_CONST = 1, SYM_SCHED_STEP, SYM_SCHED_COSINE };

struct sym_optim {
	int type;		/* enum sym_optimizer */
	size_t n;		/* parameters */
	float beta1, beta2, eps;	/* Adam */
	float momentum;		/* SGD */
	float weight_decay;	/* SGD: L2 in the gradient; Adam: decoupled */
	float *m, *v;		/* moments (SGD: m is the velocity) */
	long t;			/* steps taken */
};
/* Defaults: Adam 0.9/0.999/1e-8, SGD momentum 0.9, no weight decay. */
void sym_optim_init(struct sym_optim *o, int type, size_t n);
void sym_optim_free(struct sym_optim *o);
/* One step on params with grads at learning rate lr. */
void sym_optim_step(struct sym_optim *o, float *params, const float *grads,
    float lr);
/* Learning rate at step (0-based) of total: const; step (x0.1 at 50% and
 * 75%); cosine from base to 0. */
float sym_lr_at(int schedule, float base, long step, long total);
int sym_schedule_parse(const char *name);
int sym_optimizer_parse(const char *name);

/* ---- kernels (layers.c), used by the nets; exposed for the tests ---- */

/* Inside a net, spatial tensors are channel-major: C x B x H x W. */

/* Run fn(ctx, lo, hi) over [0, n) split into one range per thread
 * (sym_par_nthreads(), at most 8), or in one call when work (in floats)
 * is small. */
void sym_par(void (*fn)(void *, int, int), void *ctx, int n, size_t work);
/* Threads our own kernels split into (sym_par, the DFT convolution's
 * chunks): n >= 1, or 0, the default, for as many as OpenBLAS has. The
 * tests hold OpenBLAS to one thread and vary this, so that they check
 * our splits and not OpenBLAS's (whose bits may change with its thread
 * count on some of its cores). Returns the setting it replaces. */
int sym_par_threads(int n);
int sym_par_nthreads(void);
/* Convolution read from zero-bordered copies of the planes, no im2col
 * (conv_direct.c): in C x B x H x W, w OC x C x K x K, stride 1,
 * padding pad, out OC x B x OH x OW, no bias. buf: cap floats of scratch;
 * wpk: sym_conv_direct_wsize() floats. With fuse, out is not written:
 * fuse->out gets the max pool fuse->S of (relu of) a[o] x + b[o] instead,
 * as sym_affine_pool_forward would from out. Returns -1 (and does
 * nothing) without AVX-512, when the border columns would waste over 40 %
 * of the work or when buf cannot hold one image's planes. */
struct sym_conv_fuse {
	float *out;
	const float *a, *b;
	int relu, S;
};
int sym_conv_direct(float *out, const float *in, const float *w, int C,
    int B, int H, int W, int OC, int K, int pad, float *buf, size_t cap,
    float *wpk, const struct sym_conv_fuse *fuse);
/* Planes lo .. hi - 1 of images b0 .. b0 + nb - 1 of channel-major in
 * (C x B x H x W) into dst with a zero border of pad, (H + 2 pad) x
 * (W + 2 pad) each, plane p = c nb + b: what the direct and the DFT
 * convolutions read. */
void sym_pad_planes(float *dst, const float *in, int B, int H, int W,
    int pad, int b0, int nb, int lo, int hi);
/* Whether sym_conv_direct takes such a shape (given scratch enough); the
 * scratch it needs for one image (a net keeps that much, so that the
 * shape and the CPU alone choose the path, not the batch size); the size
 * of wpk. */
int sym_conv_direct_runs(int H, int W, int K, int pad);
size_t sym_conv_direct_scratch(int C, int H, int W, int K, int pad);
size_t sym_conv_direct_wsize(int C, int OC, int K);

/* Convolution by DFT (conv_dft.c), forward: in C x B x H x W,
 * w OC x C x K x K, stride 1, padding pad, out OC x B x OH x OW, no
 * bias; with fuse, pooled into fuse->out as by sym_conv_direct, and out
 * not written. The object keeps the kernels' spectra (remade when w changes)
 * and the scratch. _pays: whether it saves enough over the direct
 * multiply-adds to be worth it (large kernels on large maps); only
 * shapes with an output (OH, OW >= 1) may be given to _new. */
struct sym_conv_dft;
/* Each thread's scratch, shared by the calls of one thread of control
 * (a net's layers), grown as needed and kept until freed. */
struct sym_dft_scratch;
struct sym_dft_scratch *sym_dft_scratch_new(void);
void sym_dft_scratch_free(struct sym_dft_scratch *sc);
int sym_conv_dft_pays(int C, int H, int W, int OC, int K, int pad);
struct sym_conv_dft *sym_conv_dft_new(int C, int H, int W, int OC, int K,
    int pad);
void sym_conv_dft(struct sym_conv_dft *d, struct sym_dft_scratch *sc,
    float *out, const float *in, const float *w, int B,
    const struct sym_conv_fuse *fuse);
void sym_conv_dft_free(struct sym_conv_dft *d);
/* For tests: at most nb images per chunk (fewer than the scratch budget
 * allows), so that small shapes run in several chunks and threads. */
void sym_conv_dft_chunk(struct sym_conv_dft *d, int nb);

/* in: C x B x H x W; col: (C*K*K) x (nb*OH*OW) for images b0..b0+nb-1,
 * stride 1, zero padding pad (OH = H + 2 pad - K + 1). */
void sym_im2col(float *col, const float *in, int C, int B, int H, int W,
    int K, int pad, int b0, int nb);
/* Adjoint of sym_im2col: ADDS col into din. */
void sym_col2im(float *din, const float *col, int C, int B, int H, int W,
    int K, int pad, int b0, int nb);
/* Max pool S x S, stride S, floor, over P planes of H x W; arg gets the
 * index of each maximum within its plane. Backward overwrites din. */
void sym_pool_forward(float *out, int *arg, const float *in, int P, int H,
    int W, int S);
void sym_pool_backward(float *din, const float *dout, const int *arg,
    int P, int H, int W, int S);
/* Eval mode: max pool S x S of y = a[c] x + b[c] (then max(0, y) if
 * relu) for C channels of P planes of H x W, channel c being planes
 * c*P .. c*P + P-1. No argmax. Equal to sym_bn_forward then
 * sym_pool_forward. */
void sym_affine_pool_forward(float *out, const float *in, const float *a,
    const float *b, int relu, int C, int P, int H, int W, int S);
/* The same for one plane whose rows are stride floats apart. */
void sym_affine_pool_plane(float *out, const float *in, int H, int W,
    int stride, int S, float a, float b, int relu);
/* Batch norm (eps 1e-5, momentum 0.1) on data seen as O x C x In, channel
 * c being every [o][c][i]. train: batch stats, keeps mean and istd (C
 * each) for backward, updates rmean/rvar; else uses them. relu: fused
 * max(0, .) on the output. sum: scratch of 2*C doubles. Backward reads
 * the forward's input (not its output), ADDS to dgamma/dbeta; din may
 * equal dout. */
/* Eval-mode bn of C channels as y = a[c] x + b[c], the numbers
 * sym_bn_forward uses with train = 0. */
void sym_bn_eval_affine(float *a, float *b, const float *gamma,
    const float *beta, const float *rmean, const float *rvar, int C);
void sym_bn_forward(float *out, float *mean, float *istd, const float *in,
    const float *gamma, const float *beta, float *rmean, float *rvar,
    int O, int C, size_t In, int train, int relu, double *sum);
void sym_bn_backward(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *in, const float *beta, const float *mean,
    const float *istd, const float *gamma, int O, int C, size_t In, int relu,
    double *sum);
/* Activations in place; backward from the output y, dx may equal dy. */
void sym_relu_forward(float *x, size_t n);
void sym_relu_backward(float *dx, const float *dy, const float *y,
    size_t n);
void sym_sigmoid_forward(float *x, size_t n);
void sym_sigmoid_backward(float *dx, const float *dy, const float *y,
    size_t n);
/* out[b][a][s] = in[a][b][s]: A x B x S to B x A x S. */
void sym_swap01(float *out, const float *in, int A, int B, size_t S);

#endif
