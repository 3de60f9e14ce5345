/* heads.c: what turns two embeddings into a loss or a similarity: the
 * contrastive loss (Hadsell 2006), Koch's weighted-L1 sigmoid head (Koch
 * 2015), a concatenation head, and prototypical episodes (Snell 2017). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

static const char *const names[] = { NULL, "contrastive", "bce", "concat",
    "proto" };

int
sym_loss_parse(const char *name)
{
	int i;

	for (i = 1; i <= SYM_LOSS_PROTO; i++)
		if (name && strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *
sym_loss_name(int loss)
{
	return loss >= 1 && loss <= SYM_LOSS_PROTO ? names[loss] : NULL;
}

size_t
sym_head_nparams(int loss, int D)
{
	if (loss == SYM_LOSS_BCE)
		return (size_t)D + 1;
	if (loss == SYM_LOSS_CONCAT)
		return 2 * (size_t)D + 1;
	return 0;
}

void
sym_head_init(int loss, int D, float *hp, struct sym_rng *rng)
{
	double lim = sqrt(6.0 / (2.0 * D + 1));
	int i;

	if (loss == SYM_LOSS_BCE) {
		for (i = 0; i < D; i++)
			hp[i] = (float)(0.2 * sym_rng_normal(rng));
		hp[D] = 0;
	} else if (loss == SYM_LOSS_CONCAT) {
		for (i = 0; i < 2 * D; i++)
			hp[i] = (float)((2 * sym_rng_uniform(rng) - 1) * lim);
		hp[2 * D] = 0;
	}
}

/* log(1 + e^z) without overflow */
static double
softplus(double z)
{
	return (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
}

static double
sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	return exp(z) / (1 + exp(z));
}

/* The head's logit for one pair (bce, concat). */
static double
logit(int loss, const float *hp, const float *e1, const float *e2, int D)
{
	double z;
	int k;

	if (loss == SYM_LOSS_BCE) {
		z = hp[D];
		for (k = 0; k < D; k++)
			z += hp[k] * fabsf(e1[k] - e2[k]);
	} else {
		z = hp[2 * D];
		for (k = 0; k < D; k++)
			z += (double)hp[k] * e1[k] + (double)hp[D + k] * e2[k];
	}
	return z;
}

static double
dist2(const float *a, const float *b, int D)
{
	double s = 0;
	int k;

	for (k = 0; k < D; k++)
		s += (double)(a[k] - b[k]) * (a[k] - b[k]);
	return s;
}

/* Contrastive: L = same d^2 + (1 - same) max(0, margin - d)^2 per pair,
 * NOT halved (Hadsell et al. halve it; that only rescales the learning
 * rate), averaged over the B pairs. BCE heads: binary cross-entropy of
 * sigmoid(z) computed from the logit z as softplus(z) - same z, which is
 * exact for any z. The proto loss is episodic, not a pair loss: here it
 * gives 0 and zero gradients (use sym_proto_loss). */
float
sym_pair_loss(int loss, const float *hp, float *hg, float margin,
    const float *e1, const float *e2, const float *same, int B, int D,
    float *de1, float *de2)
{
	double total = 0, invB = 1.0 / B;
	int i, k;

	for (i = 0; i < B; i++) {
		const float *a = e1 + (size_t)i * D, *b = e2 + (size_t)i * D;
		float *da = de1 + (size_t)i * D, *db = de2 + (size_t)i * D;
		double y = same[i], d2, d, z, dz, c;

		switch (loss) {
		case SYM_LOSS_CONTRASTIVE:
			d2 = dist2(a, b, D);
			d = sqrt(d2);
			total += y * d2;
			/* dL/d(a - b) = 2 y (a - b) - 2 (1 - y) (m - d) (a -
			 * b) / d; at d = 0 the hinge has no direction (and
			 * a - b is 0), so it contributes nothing there */
			c = 2 * y;
			if (d < margin) {
				total += (1 - y) * (margin - d) *
				    (margin - d);
				if (d > 1e-12)
					c -= 2 * (1 - y) * (margin - d) / d;
			}
			c *= invB;
			for (k = 0; k < D; k++) {
				da[k] = (float)(c * (a[k] - b[k]));
				db[k] = -da[k];
			}
			break;
		case SYM_LOSS_BCE:
		case SYM_LOSS_CONCAT:
			z = logit(loss, hp, a, b, D);
			total += softplus(z) - y * z;
			dz = (sigmoid(z) - y) * invB;
			if (loss == SYM_LOSS_BCE) {
				for (k = 0; k < D; k++) {
					float df = a[k] - b[k];
					float s = df > 0 ? 1 : df < 0 ? -1 : 0;

					hg[k] += (float)(dz * fabsf(df));
					da[k] = (float)(dz * hp[k] * s);
					db[k] = -da[k];
				}
				hg[D] += (float)dz;
			} else {
				for (k = 0; k < D; k++) {
					hg[k] += (float)(dz * a[k]);
					hg[D + k] += (float)(dz * b[k]);
					da[k] = (float)(dz * hp[k]);
					db[k] = (float)(dz * hp[D + k]);
				}
				hg[2 * D] += (float)dz;
			}
			break;
		default:
			memset(da, 0, sizeof(*da) * D);
			memset(db, 0, sizeof(*db) * D);
			break;
		}
	}
	return (float)(total * invB);
}

float
sym_dist2_similarity(int loss, float margin, float d2, int D)
{
	if (loss == SYM_LOSS_CONTRASTIVE) {
		double m = margin > 0 ? margin : 1;

		return (float)exp2(-4.0 * d2 / (m * m));
	}
	/* proto, and a fallback for the heads that need the vectors */
	return (float)(1 / (1 + (double)d2 / (D > 0 ? D : 1)));
}

float
sym_pair_similarity(int loss, const float *hp, float margin,
    const float *e1, const float *e2, int D)
{
	if (loss == SYM_LOSS_BCE || loss == SYM_LOSS_CONCAT)
		return (float)sigmoid(logit(loss, hp, e1, e2, D));
	return sym_dist2_similarity(loss, margin, (float)dist2(e1, e2, D), D);
}

/* Prototypes c_j are the means of class j's supports; a query q of class
 * k has logits -|q - c_j|^2 and loss -log softmax_k. With g_j = dL/dlogit
 * = p_j - [j = k]: dq = -2 sum_j g_j (q - c_j), dc_j = 2 g_j (q - c_j),
 * and each support of class j gets dc_j / shot. */
float
sym_proto_loss(const float *emb, int way, int shot, int query, int D,
    float *demb, int *correct)
{
	size_t per = (size_t)(shot + query) * D;
	float *proto = sym_ecalloc((size_t)way * D, sizeof(float));
	float *dproto = sym_ecalloc((size_t)way * D, sizeof(float));
	double *lg = sym_ecalloc(way, sizeof(double));
	double total = 0, scale = 1.0 / ((double)way * query);
	int j, k, s, q, best, ok = 0;

	memset(demb, 0, sizeof(*demb) * per * way);
	for (j = 0; j < way; j++)
		for (s = 0; s < shot; s++)
			for (k = 0; k < D; k++)
				proto[(size_t)j * D + k] += emb[j * per +
				    (size_t)s * D + k] / shot;
	for (j = 0; j < way; j++) {
		for (q = 0; q < query; q++) {
			size_t off = j * per + (size_t)(shot + q) * D;
			const float *x = emb + off;
			float *dx = demb + off;
			double mx = -HUGE_VAL, z = 0;
			int c;

			best = 0;
			for (c = 0; c < way; c++) {
				lg[c] = -dist2(x, proto + (size_t)c * D, D);
				if (lg[c] > mx) {
					mx = lg[c];
					best = c;
				}
			}
			ok += best == j;
			for (c = 0; c < way; c++)
				z += exp(lg[c] - mx);
			total += mx + log(z) - lg[j];
			for (c = 0; c < way; c++) {
				double g = (exp(lg[c] - mx) / z - (c == j)) *
				    scale;
				const float *pc = proto + (size_t)c * D;

				for (k = 0; k < D; k++) {
					double t = 2 * g * (x[k] - pc[k]);

					dx[k] -= (float)t;
					dproto[(size_t)c * D + k] += (float)t;
				}
			}
		}
	}
	for (j = 0; j < way; j++)
		for (s = 0; s < shot; s++)
			for (k = 0; k < D; k++)
				demb[j * per + (size_t)s * D + k] +=
				    dproto[(size_t)j * D + k] / shot;
	free(proto);
	free(dproto);
	free(lg);
	if (correct)
		*correct = ok;
	return (float)(total * scale);
}
