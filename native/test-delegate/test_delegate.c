/*
 * A TFLite external delegate for crossalign's tests, built with gcc by the Maven build (native/build.sh).
 *
 * It implements the external delegate plug-in ABI that TFLite's own external_delegate loader uses:
 *   TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n, void (*report_error)(const char*))
 *   void tflite_plugin_destroy_delegate(TfLiteDelegate*)
 * and claims no nodes: its Prepare returns kTfLiteOk without calling ReplaceNodeSubsetsWithDelegateKernels, so the
 * interpreter keeps every op on its builtin kernels and the outputs must equal the reference exactly.
 *
 * Options (key=value):
 *   prepare=error   Prepare returns kTfLiteError (ModifyGraphWithDelegate must fail cleanly)
 *   create=null     tflite_plugin_create_delegate reports an error and returns NULL (the delegate refuses)
 *   anything else   reported through report_error and refused (NULL), like a real delegate with an unknown option
 *
 * No TFLite header is used on purpose: the struct below mirrors TfLiteDelegate of TFLite 2.20
 * (tensorflow/lite/core/c/common.h), whose members are only ever appended to ("semi-ABI stable").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;
typedef int TfLiteBufferHandle;
struct TfLiteContext;
struct TfLiteTensor;
struct TfLiteOpaqueDelegateBuilder;

typedef struct TfLiteDelegate {
  void* data_;
  TfLiteStatus (*Prepare)(struct TfLiteContext* context, struct TfLiteDelegate* delegate);
  TfLiteStatus (*CopyFromBufferHandle)(struct TfLiteContext* context, struct TfLiteDelegate* delegate,
                                       TfLiteBufferHandle buffer_handle, struct TfLiteTensor* tensor);
  TfLiteStatus (*CopyToBufferHandle)(struct TfLiteContext* context, struct TfLiteDelegate* delegate,
                                     TfLiteBufferHandle buffer_handle, struct TfLiteTensor* tensor);
  void (*FreeBufferHandle)(struct TfLiteContext* context, struct TfLiteDelegate* delegate,
                           TfLiteBufferHandle* handle);
  int64_t flags; /* kTfLiteDelegateFlagsNone = 0 */
  struct TfLiteOpaqueDelegateBuilder* opaque_delegate_builder;
} TfLiteDelegate;

/* What data_ points at: a magic number the Java test reads back through the bytedeco TfLiteDelegate mapping, which
 * proves that both sides agree on where data_ and flags sit. */
typedef struct {
  uint64_t magic;
  int fail_prepare;
  int prepare_calls;
} TestDelegateData;

#define TEST_DELEGATE_MAGIC 0x43524F5353414C49ULL /* "CROSSALI" */
#define TEST_DELEGATE_FLAGS 0                      /* kTfLiteDelegateFlagsNone */

static TfLiteStatus prepare(struct TfLiteContext* context, TfLiteDelegate* delegate) {
  (void)context;
  TestDelegateData* d = (TestDelegateData*)delegate->data_;
  d->prepare_calls++;
  return d->fail_prepare ? kTfLiteError : kTfLiteOk;
}

TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n,
                                              void (*report_error)(const char*)) {
  int fail_prepare = 0;
  for (size_t i = 0; i < n; i++) {
    if (keys[i] == NULL || values[i] == NULL) {
      if (report_error) report_error("test delegate: NULL option");
      return NULL;
    }
    if (strcmp(keys[i], "prepare") == 0 && strcmp(values[i], "error") == 0) {
      fail_prepare = 1;
    } else if (strcmp(keys[i], "create") == 0 && strcmp(values[i], "null") == 0) {
      if (report_error) report_error("test delegate: refused by option create=null");
      return NULL;
    } else {
      if (report_error) report_error("test delegate: unknown option");
      return NULL;
    }
  }
  TestDelegateData* data = (TestDelegateData*)calloc(1, sizeof(TestDelegateData));
  TfLiteDelegate* d = (TfLiteDelegate*)calloc(1, sizeof(TfLiteDelegate));
  if (data == NULL || d == NULL) {
    free(data);
    free(d);
    return NULL;
  }
  data->magic = TEST_DELEGATE_MAGIC;
  data->fail_prepare = fail_prepare;
  d->data_ = data;
  d->Prepare = prepare;
  d->flags = TEST_DELEGATE_FLAGS;
  return d;
}

void tflite_plugin_destroy_delegate(TfLiteDelegate* d) {
  if (d != NULL) {
    free(d->data_);
    free(d);
  }
}

/* For the layout test: Java compares these with the bytedeco mapping's sizeof/offsetof (compiled against TFLite 2.20). */
size_t crossalign_test_delegate_sizeof(void) { return sizeof(TfLiteDelegate); }
size_t crossalign_test_delegate_offsetof_flags(void) { return offsetof(TfLiteDelegate, flags); }
size_t crossalign_test_delegate_offsetof_opaque_builder(void) {
  return offsetof(TfLiteDelegate, opaque_delegate_builder);
}
