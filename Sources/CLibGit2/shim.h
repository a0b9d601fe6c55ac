#ifndef SPEND_CLIBGIT2_SHIM_H
#define SPEND_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
