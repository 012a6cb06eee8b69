/*
 * osmosis_blas: a thin Node-API binding over OpenBLAS's cblas_sgemm, used by the optional `blas`
 * backend (src/core/backend/blas). Arrays are read and written in place (zero-copy). The TS side
 * checks shapes first; every check is repeated here because an out-of-bounds read in C would
 * crash the process rather than throw.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cblas.h>
#include <node_api.h>

/* A cblas.h from another BLAS (e.g. netlib's, picked by Debian's alternatives) lacks these. */
#ifndef OPENBLAS_VERSION
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
#endif

#define GEMM_ARGC 14
#define INT_MAX_BLAS 2147483647.0
/* Largest element offset we accept: 2^53, beyond which JS numbers stop being exact. */
#define OFFSET_MAX 9007199254740992.0

static napi_value throw_error(napi_env env, int type_error, const char *msg) {
  if (type_error) {
    napi_throw_type_error(env, NULL, msg);
  } else {
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

/* Reads argument i as a non-negative integer no larger than max. Returns 0 and throws if not. */
static int get_index(napi_env env, napi_value v, const char *name, double max, uint64_t *out) {
  char msg[160];
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, v, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "osmosis_blas.gemm: argument '%s' must be a number", name);
    throw_error(env, 1, msg);
    return 0;
  }
  if (!(d >= 0) || d > max || floor(d) != d) {
    snprintf(msg, sizeof msg,
             "osmosis_blas.gemm: argument '%s' must be an integer in [0, %.0f], got %g", name, max,
             d);
    throw_error(env, 0, msg);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

static int get_number(napi_env env, napi_value v, const char *name, double *out) {
  char msg[128];
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, v, out) != napi_ok) {
    snprintf(msg, sizeof msg, "osmosis_blas.gemm: argument '%s' must be a number", name);
    throw_error(env, 1, msg);
    return 0;
  }
  return 1;
}

static int get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  char msg[128];
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean ||
      napi_get_value_bool(env, v, out) != napi_ok) {
    snprintf(msg, sizeof msg, "osmosis_blas.gemm: argument '%s' must be a boolean", name);
    throw_error(env, 1, msg);
    return 0;
  }
  return 1;
}

/* Reads a Float32Array's data pointer and length (elements) without copying. */
static int get_f32(napi_env env, napi_value v, const char *name, float **data, uint64_t *len) {
  char msg[128];
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    snprintf(msg, sizeof msg, "osmosis_blas.gemm: argument '%s' must be a Float32Array", name);
    throw_error(env, 1, msg);
    return 0;
  }
  *data = (float *)ptr;
  *len = (uint64_t)length;
  return 1;
}

/* Elements a batch of matrices spans: (batch-1)*stride + size, or 0 when empty. */
static double span(uint64_t batch, uint64_t stride, uint64_t size) {
  if (batch == 0 || size == 0) return 0;
  return (double)(batch - 1) * (double)stride + (double)size;
}

static int check_len(napi_env env, const char *name, uint64_t len, double need) {
  char msg[192];
  if (need > (double)len) {
    snprintf(msg, sizeof msg,
             "osmosis_blas.gemm: argument '%s' has %llu elements, the shapes and strides need %.0f",
             name, (unsigned long long)len, need);
    throw_error(env, 0, msg);
    return 0;
  }
  return 1;
}

static int leading_dim(uint64_t row_len) { return row_len > 0 ? (int)row_len : 1; }

/* gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, alpha, beta) */
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = GEMM_ARGC;
  napi_value argv[GEMM_ARGC];
  char msg[128];
  float *a, *b, *c;
  uint64_t la, lb, lc, batch, m, n, k, sa, sb, sc;
  bool ta, tb;
  double alpha, beta;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != GEMM_ARGC) {
    snprintf(msg, sizeof msg, "osmosis_blas.gemm: expected %d arguments, got %zu", GEMM_ARGC,
             argc);
    return throw_error(env, 1, msg);
  }
  if (!get_f32(env, argv[0], "a", &a, &la) || !get_f32(env, argv[1], "b", &b, &lb) ||
      !get_f32(env, argv[2], "c", &c, &lc) ||
      !get_index(env, argv[3], "batch", INT_MAX_BLAS, &batch) ||
      !get_index(env, argv[4], "m", INT_MAX_BLAS, &m) ||
      !get_index(env, argv[5], "n", INT_MAX_BLAS, &n) ||
      !get_index(env, argv[6], "k", INT_MAX_BLAS, &k) ||
      !get_bool(env, argv[7], "transA", &ta) || !get_bool(env, argv[8], "transB", &tb) ||
      !get_index(env, argv[9], "strideA", OFFSET_MAX, &sa) ||
      !get_index(env, argv[10], "strideB", OFFSET_MAX, &sb) ||
      !get_index(env, argv[11], "strideC", OFFSET_MAX, &sc) ||
      !get_number(env, argv[12], "alpha", &alpha) || !get_number(env, argv[13], "beta", &beta)) {
    return NULL;
  }
  if (!check_len(env, "a", la, span(batch, sa, m * k)) ||
      !check_len(env, "b", lb, span(batch, sb, k * n)) ||
      !check_len(env, "c", lc, span(batch, sc, m * n))) {
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;

  /* Row-major leading dimensions are the stored row lengths; BLAS wants them >= 1. */
  const int lda = leading_dim(ta ? m : k);
  const int ldb = leading_dim(tb ? k : n);
  for (uint64_t i = 0; i < batch; i++) {
    float *ci = c + i * sc;
    if (k == 0) {
      /* C = beta * C; handled here so no BLAS sees k = 0. beta 0 overwrites, as in js. */
      for (uint64_t j = 0; j < m * n; j++) ci[j] = beta == 0 ? 0.0f : (float)(ci[j] * beta);
      continue;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, (float)alpha, a + i * sa, lda, b + i * sb, ldb,
                (float)beta, ci, (int)n);
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t;
  double d;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_number) {
    return throw_error(env, 1, "osmosis_blas.setThreads: expected one number");
  }
  napi_get_value_double(env, argv[0], &d);
  if (!(d >= 1) || d > 1024 || floor(d) != d) {
    return throw_error(env, 0, "osmosis_blas.setThreads: threads must be an integer in [1, 1024]");
  }
  openblas_set_num_threads((int)d);
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value get_config(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    return NULL;
  }
  return exports;
}
