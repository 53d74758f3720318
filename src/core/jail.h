/* Opening a file a client named, inside a root directory and nowhere else:
 * the one place TFTP and HTTP turn a requested path into a file.
 *
 * The client's path is mapped first: a leading '/' (or several) is dropped,
 * '\' is a separator (Windows loaders ask for boot\x64\wdsnbp.com), empty and
 * "." components are skipped. A ".." component, a NUL or control byte, or a
 * path longer than JAIL_PATH_MAX is refused before the filesystem is asked.
 * The file is then opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * relative to the root, so the kernel refuses every resolution that would
 * leave it (absolute symlinks, relative ones climbing out). Only regular
 * files are served. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define JAIL_PATH_MAX 1024

/* Opens root as the jail's anchor (O_PATH | O_DIRECTORY). Returns fd or -errno. */
int jail_root_open(const char *root);

/* Opens path under root_fd read-only (O_RDONLY | O_CLOEXEC | extra flags).
 * nocase: when the exact name does not exist, each component is matched
 * case-insensitively (an exact match is always preferred).
 * On success returns the fd and writes the mapped relative path into
 * ret_rel (when not NULL). Errors:
 *   -EPERM   refused: "..", control bytes, or resolution leaving the root
 *   -ENOENT  no such file
 *   -EISDIR  not a regular file
 *   -ENAMETOOLONG, -EACCES, other -errno from the filesystem */
int jail_open(int root_fd, const char *path, bool nocase, int extra_flags, char *ret_rel,
              size_t rel_len);

/* Where a configured file name lies: a relative name is inside the root;
 * an absolute one is inside when it starts with root + "/" (root as
 * configured, trailing '/' ignored). Returns 1 with the mapped relative
 * path in ret_rel (inside: to be opened with jail_open), 0 when the name is
 * an absolute path elsewhere (ret_rel untouched), or the errors of
 * jail_map (-EPERM for "..", -EISDIR for the root itself, -ENAMETOOLONG).
 * Touches no file: symlinks are for jail_open to refuse. */
int jail_place(const char *root, const char *name, char *ret_rel, size_t rel_len);

/* Maps a client path to the relative form described above without touching
 * the filesystem; returns 0 or -EPERM / -ENAMETOOLONG. Exposed for tests. */
int jail_map(const char *path, char *ret_rel, size_t rel_len);
