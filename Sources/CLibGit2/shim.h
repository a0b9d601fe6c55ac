#ifndef SPEND_CLIBGIT2_SHIM_H
#define SPEND_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <zlib.h>

/* git_libgit2_opts is variadic (not callable from Swift): set one option. */
static inline int spend_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

/* An object database backend that reads loose objects itself (see
   LooseObjectReader.swift): the backend libgit2 calls, followed by the
   repository's objects directory (with a trailing slash). */
typedef struct {
    git_odb_backend parent;
    char *objects_directory;
} spend_loose_reader_backend;

/* inflateInit is a macro (not callable from Swift). */
static inline int spend_inflate_init(z_stream *stream) {
    return inflateInit(stream);
}
#endif
