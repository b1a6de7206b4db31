/* A shared library that loads fine but is not a delegate: it lacks tflite_plugin_create_delegate. */
int crossalign_not_a_delegate(void) { return 42; }
