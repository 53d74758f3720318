#include "core/jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

int jail_root_open(const char *root)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int jail_map(const char *path, char *ret_rel, size_t rel_len)
{
	char out[JAIL_PATH_MAX + 1];
	size_t n = 0;
	const char *p = path;

	if (strlen(path) > JAIL_PATH_MAX)
		return -ENAMETOOLONG;
	while (*p) {
		while (*p == '/' || *p == '\\')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != '/' && *p != '\\') {
			if ((unsigned char) *p < 0x20 || *p == 0x7f)
				return -EPERM;
			p++;
		}
		size_t len = (size_t) (p - start);
		if (len == 1 && start[0] == '.')
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.')
			return -EPERM;
		if (n + len + 2 > sizeof out)
			return -ENAMETOOLONG;
		if (n)
			out[n++] = '/';
		memcpy(out + n, start, len);
		n += len;
	}
	if (n == 0)
		return -EISDIR; /* the root itself */
	out[n] = 0;
	if (n + 1 > rel_len)
		return -ENAMETOOLONG;
	memcpy(ret_rel, out, n + 1);
	return 0;
}

int jail_place(const char *root, const char *name, char *ret_rel, size_t rel_len)
{
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--; /* "/srv/boot/" is "/srv/boot"; "/" is "" and holds every path */
	if (name[0] == '/' && (strncmp(name, root, n) != 0 || name[n] != '/'))
		return 0;
	int r = jail_map(name[0] == '/' ? name + n : name, ret_rel, rel_len);
	return r < 0 ? r : 1;
}

static int open_beneath(int root_fd, const char *rel, int flags)
{
	struct open_how how = {
	        .flags = (uint64_t) (flags | O_CLOEXEC),
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
	if (fd >= 0)
		return (int) fd;
	/* EXDEV: the kernel refused a resolution leaving the root */
	return errno == EXDEV || errno == ELOOP ? -EPERM : -errno;
}

/* Rewrites rel in place to the on-disk spelling, component by component,
 * when a component does not exist as spelled. */
static int fix_case(int root_fd, char *rel)
{
	char *comp = rel;
	int dir = open_beneath(root_fd, ".", O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return dir;
	for (;;) {
		char *slash = strchr(comp, '/');
		if (slash)
			*slash = 0;
		struct stat st;
		if (fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			int dup_fd = dup(dir);
			DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
			struct dirent *e;
			bool found = false;
			while (d && (e = readdir(d))) {
				if (strcasecmp(e->d_name, comp) == 0 &&
				    strlen(e->d_name) == strlen(comp)) {
					memcpy(comp, e->d_name, strlen(comp));
					found = true;
					break;
				}
			}
			if (d)
				closedir(d);
			else if (dup_fd >= 0)
				close(dup_fd);
			if (!found) {
				if (slash)
					*slash = '/';
				close(dir);
				return -ENOENT;
			}
		}
		if (!slash)
			break;
		*slash = '/';
		/* descend (beneath the root: the prefix so far, checked by the kernel) */
		*slash = 0;
		int next = open_beneath(root_fd, rel, O_RDONLY | O_DIRECTORY);
		*slash = '/';
		close(dir);
		if (next < 0)
			return next;
		dir = next;
		comp = slash + 1;
	}
	close(dir);
	return 0;
}

int jail_open(int root_fd, const char *path, bool nocase, int extra_flags, char *ret_rel,
              size_t rel_len)
{
	char rel[JAIL_PATH_MAX + 1];
	int r = jail_map(path, rel, sizeof rel);
	if (r < 0)
		return r;
	int fd = open_beneath(root_fd, rel, O_RDONLY | extra_flags);
	if (fd == -ENOENT && nocase && fix_case(root_fd, rel) == 0)
		fd = open_beneath(root_fd, rel, O_RDONLY | extra_flags);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (ret_rel && nb_strlcpy(ret_rel, rel, rel_len) < 0) {
		close(fd);
		return -ENAMETOOLONG;
	}
	return fd;
}
