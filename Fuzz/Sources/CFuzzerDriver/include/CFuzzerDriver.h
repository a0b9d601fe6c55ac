#ifndef SPEND_CFUZZERDRIVER_H
#define SPEND_CFUZZERDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM links
/// an executable with `--defsym main=<module>_main`, so libFuzzer's own
/// `main` is never used: each harness's entry calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
