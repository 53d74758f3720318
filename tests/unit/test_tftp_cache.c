/* The TFTP file cache: bytes as in the file across chunk edges, one read
 * per chunk however many transfers share the file, the limit held under
 * any access pattern, pins, a file changed or shrunk under the cache. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp/cache.h"

#define CH TFTP_CHUNK_SIZE

struct file {
	char path[64];
	int fd;
	struct stat st;
	uint8_t *data;
	size_t size;
};

static void file_make(struct file *f, size_t size, unsigned seed)
{
	strcpy(f->path, "/tmp/nbcacheXXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	f->size = size;
	f->data = malloc(size ? size : 1);
	for (size_t i = 0; i < size; i++)
		f->data[i] = (uint8_t) (i * 13 + i / 997 + seed);
	assert_int_equal(write(f->fd, f->data, size), (ssize_t) size);
	assert_int_equal(fstat(f->fd, &f->st), 0);
}

static void file_done(struct file *f)
{
	close(f->fd);
	unlink(f->path);
	free(f->data);
}

/* Gathers [off, off+len) through the cache and compares it with the file. */
static void expect_bytes(struct tftp_cache *c, struct tftp_cfile *cf, struct file *f, uint64_t off,
                         size_t len)
{
	struct iovec iov[4];
	int n = tftp_cache_get(c, cf, f->fd, off, len, iov, 4);
	assert_true(n >= 0);
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		assert_memory_equal(iov[i].iov_base, f->data + off + at, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	assert_int_equal(at, len);
	tftp_cache_unpin(c);
}

static void test_bytes_across_chunks(void **state)
{
	(void) state;
	struct file f;
	file_make(&f, 3 * CH + 100, 1);
	struct tftp_cache *c = NULL;
	struct tftp_cfile *cf = NULL;
	assert_int_equal(tftp_cache_new(64 << 20, &c), 0);
	assert_int_equal(tftp_cache_open(c, &f.st, &cf), 0);
	assert_int_equal(tftp_cfile_size(cf), f.size);
	/* blocks of 65464 and 1468 bytes, which straddle chunk edges */
	for (uint64_t off = 0; off + 65464 <= f.size; off += 65464)
		expect_bytes(c, cf, &f, off, 65464);
	for (uint64_t off = 0; off + 1468 <= f.size; off += 1468)
		expect_bytes(c, cf, &f, off, 1468);
	expect_bytes(c, cf, &f, f.size - 100, 100); /* the last, short block */
	expect_bytes(c, cf, &f, f.size, 0);         /* an empty last block */
	assert_int_equal(tftp_cache_reads(c), 4);   /* each chunk read once */
	struct iovec iov[1];
	assert_int_equal(tftp_cache_get(c, cf, f.fd, CH - 10, 20, iov, 1), -ENOSPC);
	assert_int_equal(tftp_cache_get(c, cf, f.fd, f.size - 10, 20, iov, 1), -EINVAL);
	tftp_cache_unpin(c);
	tftp_cache_close(c, cf);
	assert_int_equal(tftp_cache_bytes(c), 0); /* the last reference frees its chunks */
	tftp_cache_free(c);
	file_done(&f);
}

static void test_shared_by_transfers(void **state)
{
	(void) state;
	struct file f;
	file_make(&f, 4 << 20, 2);
	struct tftp_cache *c = NULL;
	assert_int_equal(tftp_cache_new(64 << 20, &c), 0);
	struct tftp_cfile *cf[50];
	for (int i = 0; i < 50; i++) {
		/* each transfer opens the file itself: another descriptor */
		int fd = open(f.path, O_RDONLY);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		close(fd);
		assert_int_equal(tftp_cache_open(c, &st, &cf[i]), 0);
		assert_ptr_equal(cf[i], cf[0]);
	}
	/* a storm: 50 transfers walk the file in step */
	for (uint64_t off = 0; off + 1468 <= f.size; off += 1468)
		for (int i = 0; i < 50; i++)
			expect_bytes(c, cf[i], &f, off, 1468);
	assert_int_equal(tftp_cache_reads(c), (4 << 20) / CH);
	for (int i = 0; i < 50; i++)
		tftp_cache_close(c, cf[i]);
	assert_int_equal(tftp_cache_bytes(c), 0);
	tftp_cache_free(c);
	file_done(&f);
}

static void test_limit_and_pins(void **state)
{
	(void) state;
	struct file f[4];
	struct tftp_cfile *cf[4];
	struct tftp_cache *c = NULL;
	size_t limit = 10 * CH;
	assert_int_equal(tftp_cache_new(limit, &c), 0);
	for (int i = 0; i < 4; i++) {
		file_make(&f[i], 2 << 20, (unsigned) i + 10);
		assert_int_equal(tftp_cache_open(c, &f[i].st, &cf[i]), 0);
	}
	/* four files read at once, each far bigger than the cache */
	for (uint64_t off = 0; off + 65464 <= (2 << 20); off += 65464)
		for (int i = 0; i < 4; i++) {
			expect_bytes(c, cf[i], &f[i], off, 65464);
			assert_true(tftp_cache_bytes(c) <= limit);
		}
	assert_int_equal(tftp_cache_prefetch(c, cf[0], f[0].fd, 0, 2 << 20), 0);
	assert_true(tftp_cache_bytes(c) <= limit);

	/* pinned chunks are never taken: eight pinned fill the minimum cache */
	tftp_cache_set_limit(c, 0);
	assert_int_equal(tftp_cache_limit(c), TFTP_CACHE_MIN_CHUNKS * CH);
	struct iovec iov[2];
	for (int i = 0; i < TFTP_CACHE_MIN_CHUNKS; i++)
		assert_int_equal(tftp_cache_get(c, cf[1], f[1].fd, (uint64_t) i * CH, 10, iov, 2),
		                 1);
	assert_int_equal(tftp_cache_get(c, cf[2], f[2].fd, 0, 10, iov, 2), -ENOBUFS);
	tftp_cache_unpin(c);
	assert_int_equal(tftp_cache_get(c, cf[2], f[2].fd, 0, 10, iov, 2), 1);
	assert_memory_equal(iov[0].iov_base, f[2].data, 10);
	tftp_cache_unpin(c);
	for (int i = 0; i < 4; i++) {
		tftp_cache_close(c, cf[i]);
		file_done(&f[i]);
	}
	assert_int_equal(tftp_cache_bytes(c), 0);
	tftp_cache_free(c);
}

static void test_file_changes(void **state)
{
	(void) state;
	struct file f;
	file_make(&f, 3 * CH, 3);
	struct tftp_cache *c = NULL;
	struct tftp_cfile *old = NULL, *fresh = NULL;
	assert_int_equal(tftp_cache_new(64 << 20, &c), 0);
	assert_int_equal(tftp_cache_open(c, &f.st, &old), 0);
	expect_bytes(c, old, &f, 0, 100);

	/* rewritten in place (same inode, another mtime): a new open reads anew */
	for (size_t i = 0; i < f.size; i++)
		f.data[i] ^= 0x5a;
	assert_int_equal(pwrite(f.fd, f.data, f.size, 0), (ssize_t) f.size);
	struct timespec ts[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
	assert_int_equal(futimens(f.fd, ts), 0);
	assert_int_equal(fstat(f.fd, &f.st), 0);
	assert_int_equal(tftp_cache_open(c, &f.st, &fresh), 0);
	assert_ptr_not_equal(fresh, old);
	expect_bytes(c, fresh, &f, 0, 100);

	/* cut short under a transfer: the missing chunk is an error, not zeros */
	assert_int_equal(ftruncate(f.fd, CH + 5), 0);
	struct iovec iov[2];
	assert_int_equal(tftp_cache_get(c, fresh, f.fd, 2 * CH, 100, iov, 2), -ESTALE);
	assert_int_equal(tftp_cache_prefetch(c, fresh, f.fd, CH, 2 * CH), -ESTALE);
	tftp_cache_unpin(c);
	tftp_cache_close(c, old);
	tftp_cache_close(c, fresh);
	assert_int_equal(tftp_cache_bytes(c), 0);
	tftp_cache_free(c);
	file_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bytes_across_chunks),
	        cmocka_unit_test(test_shared_by_transfers),
	        cmocka_unit_test(test_limit_and_pins),
	        cmocka_unit_test(test_file_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
