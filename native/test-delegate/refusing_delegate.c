/* An external delegate whose create always refuses: tflite_plugin_create_delegate reports why and returns NULL. */
#include <stddef.h>

struct TfLiteDelegate;

struct TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n,
                                                     void (*report_error)(const char*)) {
  (void)keys;
  (void)values;
  (void)n;
  if (report_error) report_error("refusing delegate: no accelerator here");
  return NULL;
}

void tflite_plugin_destroy_delegate(struct TfLiteDelegate* d) { (void)d; }
