/* The TFTP file cache (see cache.h): files by identity, chunks in a hash by
 * (file, index) and on one LRU list, pins by generation, chunk data mapped
 * with mmap so that freeing it gives the memory back. */
#include "tftp/cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/util.h"

struct tftp_cfile {
	struct tftp_cfile *prev, *next; /* the cache's files */
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime;
	unsigned refs;
	size_t n_chunks; /* chunks of it in the cache */
	bool stale;      /* changed on disk: no longer found by tftp_cache_open */
};

struct chunk {
	struct tftp_cfile *file;
	uint64_t index;
	uint32_t len;                /* valid bytes */
	uint64_t pin_gen;            /* pinned while equal to the cache's gen */
	struct chunk *hnext;         /* hash chain */
	struct chunk *lprev, *lnext; /* LRU, most recent first */
	uint8_t *data;               /* TFTP_CHUNK_SIZE bytes, mmap'd */
};

struct tftp_cache {
	size_t limit;
	size_t n_chunks;
	struct chunk **table;
	size_t table_size; /* a power of two */
	struct chunk *lru_head, *lru_tail;
	struct tftp_cfile *files;
	uint64_t gen; /* starts at 1: a chunk's pin_gen 0 is never pinned */
	uint64_t reads;
};

static size_t max_chunks(const struct tftp_cache *c)
{
	return NB_MAX(c->limit / TFTP_CHUNK_SIZE, (size_t) TFTP_CACHE_MIN_CHUNKS);
}

static size_t slot_of(const struct tftp_cache *c, const struct tftp_cfile *f, uint64_t index)
{
	uint64_t k[2] = {(uint64_t) (uintptr_t) f, index};
	return (size_t) nb_hash(k, sizeof k, 7) & (c->table_size - 1);
}

/* ---- the LRU list and the hash */

static void lru_unlink(struct tftp_cache *c, struct chunk *k)
{
	if (k->lprev)
		k->lprev->lnext = k->lnext;
	else
		c->lru_head = k->lnext;
	if (k->lnext)
		k->lnext->lprev = k->lprev;
	else
		c->lru_tail = k->lprev;
	k->lprev = k->lnext = NULL;
}

static void lru_push(struct tftp_cache *c, struct chunk *k)
{
	k->lprev = NULL;
	k->lnext = c->lru_head;
	if (c->lru_head)
		c->lru_head->lprev = k;
	c->lru_head = k;
	if (!c->lru_tail)
		c->lru_tail = k;
}

static struct chunk *find(const struct tftp_cache *c, const struct tftp_cfile *f, uint64_t index)
{
	for (struct chunk *k = c->table[slot_of(c, f, index)]; k; k = k->hnext)
		if (k->file == f && k->index == index)
			return k;
	return NULL;
}

static void hash_del(struct tftp_cache *c, struct chunk *k)
{
	for (struct chunk **p = &c->table[slot_of(c, k->file, k->index)]; *p; p = &(*p)->hnext)
		if (*p == k) {
			*p = k->hnext;
			return;
		}
}

static void hash_add(struct tftp_cache *c, struct chunk *k)
{
	size_t i = slot_of(c, k->file, k->index);
	k->hnext = c->table[i];
	c->table[i] = k;
}

/* Keeps the table at least as large as the chunks it may hold. */
static int table_fit(struct tftp_cache *c)
{
	size_t want = 16;
	while (want < max_chunks(c))
		want *= 2;
	if (want <= c->table_size)
		return 0;
	struct chunk **t = calloc(want, sizeof *t);
	if (!t)
		return -ENOMEM;
	struct chunk **old = c->table;
	size_t old_n = c->table_size;
	c->table = t;
	c->table_size = want;
	for (size_t i = 0; i < old_n; i++)
		while (old[i]) {
			struct chunk *k = old[i];
			old[i] = k->hnext;
			hash_add(c, k);
		}
	free(old);
	return 0;
}

/* ---- chunks */

/* Frees a chunk out of the hash and the list (taken, or never filled). */
static void chunk_discard(struct tftp_cache *c, struct chunk *k)
{
	(void) munmap(k->data, TFTP_CHUNK_SIZE);
	free(k);
	c->n_chunks--;
}

static void chunk_free(struct tftp_cache *c, struct chunk *k)
{
	hash_del(c, k);
	lru_unlink(c, k);
	k->file->n_chunks--;
	chunk_discard(c, k);
}

/* The least recently used chunk that is not pinned, or NULL. */
static struct chunk *victim(const struct tftp_cache *c)
{
	for (struct chunk *k = c->lru_tail; k; k = k->lprev)
		if (k->pin_gen != c->gen)
			return k;
	return NULL;
}

static void shrink(struct tftp_cache *c, size_t keep)
{
	while (c->n_chunks > keep) {
		struct chunk *k = victim(c);
		if (!k)
			return;
		chunk_free(c, k);
	}
}

/* A chunk to fill: a new one while the limit allows, else the least
 * recently used one taken from its file (its mapping reused). */
static int chunk_take(struct tftp_cache *c, struct chunk **ret)
{
	shrink(c, max_chunks(c));
	if (c->n_chunks >= max_chunks(c)) {
		struct chunk *k = victim(c);
		if (!k)
			return -ENOBUFS;
		hash_del(c, k);
		lru_unlink(c, k);
		k->file->n_chunks--;
		*ret = k;
		return 0;
	}
	struct chunk *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->data = mmap(NULL, TFTP_CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	if (k->data == MAP_FAILED) {
		free(k);
		return -ENOMEM;
	}
	c->n_chunks++;
	*ret = k;
	return 0;
}

/* The chunk of f at index, read from fd when missing; moved to the LRU's
 * head. */
static int chunk_get(struct tftp_cache *c, struct tftp_cfile *f, int fd, uint64_t index,
                     struct chunk **ret)
{
	struct chunk *k = find(c, f, index);
	if (k) {
		lru_unlink(c, k);
		lru_push(c, k);
		*ret = k;
		return 0;
	}
	uint64_t off = index * TFTP_CHUNK_SIZE;
	size_t want = (size_t) NB_MIN((uint64_t) TFTP_CHUNK_SIZE, f->size - off);
	int r = chunk_take(c, &k);
	if (r < 0)
		return r;
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(fd, k->data + got, want - got, (off_t) (off + got));
		if (n <= 0) {
			chunk_discard(c, k);
			return n < 0 ? -errno : -ESTALE; /* 0: the file ends early, it shrank */
		}
		got += (size_t) n;
	}
	c->reads++;
	f->n_chunks++;
	k->file = f;
	k->index = index;
	k->len = (uint32_t) want;
	k->pin_gen = 0;
	lru_push(c, k);
	hash_add(c, k);
	*ret = k;
	return 0;
}

/* ---- public */

int tftp_cache_new(size_t limit, struct tftp_cache **ret)
{
	struct tftp_cache *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->limit = limit;
	c->gen = 1;
	if (table_fit(c) < 0) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void tftp_cache_free(struct tftp_cache *c)
{
	if (!c)
		return;
	while (c->lru_head)
		chunk_free(c, c->lru_head);
	while (c->files) {
		struct tftp_cfile *f = c->files;
		c->files = f->next;
		free(f);
	}
	free(c->table);
	free(c);
}

void tftp_cache_set_limit(struct tftp_cache *c, size_t limit)
{
	c->limit = limit;
	(void) table_fit(c); /* on failure chains grow longer; lookups stay right */
	shrink(c, max_chunks(c));
}

static void drop_chunks(struct tftp_cache *c, const struct tftp_cfile *f)
{
	for (struct chunk *k = c->lru_head, *nk; k && f->n_chunks; k = nk) {
		nk = k->lnext;
		if (k->file == f)
			chunk_free(c, k);
	}
}

static void file_unlink(struct tftp_cache *c, struct tftp_cfile *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		c->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
}

int tftp_cache_open(struct tftp_cache *c, const struct stat *st, struct tftp_cfile **ret)
{
	for (struct tftp_cfile *f = c->files; f; f = f->next) {
		if (f->stale || f->dev != st->st_dev || f->ino != st->st_ino)
			continue;
		if (f->size == (uint64_t) st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st->st_mtim.tv_nsec) {
			f->refs++;
			*ret = f;
			return 0;
		}
		f->stale = true; /* changed in place: its chunks are of no use to anyone */
		drop_chunks(c, f);
		break;
	}
	struct tftp_cfile *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = (uint64_t) st->st_size;
	f->mtime = st->st_mtim;
	f->refs = 1;
	f->next = c->files;
	if (c->files)
		c->files->prev = f;
	c->files = f;
	*ret = f;
	return 0;
}

void tftp_cache_close(struct tftp_cache *c, struct tftp_cfile *f)
{
	if (!f || --f->refs > 0)
		return;
	drop_chunks(c, f);
	file_unlink(c, f);
	free(f);
}

uint64_t tftp_cfile_size(const struct tftp_cfile *f)
{
	return f->size;
}

int tftp_cache_get(struct tftp_cache *c, struct tftp_cfile *f, int fd, uint64_t off, size_t len,
                   struct iovec *iov, size_t max_iov)
{
	size_t n = 0;
	if (off > f->size || len > f->size - off)
		return -EINVAL;
	while (len > 0) {
		if (n == max_iov)
			return -ENOSPC;
		struct chunk *k;
		uint64_t index = off / TFTP_CHUNK_SIZE;
		size_t at = (size_t) (off % TFTP_CHUNK_SIZE);
		int r = chunk_get(c, f, fd, index, &k);
		if (r < 0)
			return r;
		k->pin_gen = c->gen;
		size_t piece = NB_MIN(len, (size_t) k->len - at);
		iov[n++] = (struct iovec){k->data + at, piece};
		off += piece;
		len -= piece;
	}
	return (int) n;
}

int tftp_cache_prefetch(struct tftp_cache *c, struct tftp_cfile *f, int fd, uint64_t off,
                        size_t len)
{
	if (off >= f->size)
		return 0;
	uint64_t end = NB_MIN(off + len, f->size);
	for (uint64_t i = off / TFTP_CHUNK_SIZE; i * TFTP_CHUNK_SIZE < end; i++) {
		struct chunk *k;
		int r = chunk_get(c, f, fd, i, &k);
		if (r < 0)
			return r;
	}
	return 0;
}

void tftp_cache_unpin(struct tftp_cache *c)
{
	c->gen++;
}

size_t tftp_cache_bytes(const struct tftp_cache *c)
{
	return c->n_chunks * TFTP_CHUNK_SIZE;
}

size_t tftp_cache_limit(const struct tftp_cache *c)
{
	return max_chunks(c) * TFTP_CHUNK_SIZE;
}

uint64_t tftp_cache_reads(const struct tftp_cache *c)
{
	return c->reads;
}
