#ifndef SPEND_CLIBGIT2_SHIM_H
#define SPEND_CLIBGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic (not callable from Swift): set one option. */
static inline int spend_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
