/* The TFTP server's file cache: file bytes read once in 64 KiB chunks and
 * shared by every transfer of the same file (dev, inode, size, mtime), so a
 * boot storm of clients fetching one loader reads it once, and what TFTP
 * holds in memory has one bound whatever the clients ask: the cache never
 * holds more than its limit, evicting the least recently used chunk.
 *
 * Chunks are referenced only while one send is put together: a lookup pins
 * the chunk until tftp_cache_unpin(), which the sender calls once the
 * kernel has copied the data. Nothing is held across loop turns, so a
 * transfer's window costs no memory of its own (its blocks are looked up
 * again for a retransmission). Chunk data is mapped with mmap, so a chunk
 * freed is memory given back to the system at once.
 *
 * Internal to src/tftp/ (xfer.c and server.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define TFTP_CHUNK_SIZE ((size_t) 64 * 1024)
/* The fewest chunks the cache may always hold, whatever the limit: enough
 * for one send (TFTP_SEND_BYTES_MAX spans at most this many less two). */
#define TFTP_CACHE_MIN_CHUNKS 8
#define TFTP_SEND_BYTES_MAX   (256 * 1024)

struct tftp_cache;
struct tftp_cfile;

/* A cache holding at most limit bytes of chunk data (never fewer than
 * TFTP_CACHE_MIN_CHUNKS chunks). Returns 0 and *ret, or -ENOMEM. */
int tftp_cache_new(size_t limit, struct tftp_cache **ret);
/* Frees every chunk and file (files still open are freed too). NULL-safe. */
void tftp_cache_free(struct tftp_cache *c);
/* Changes the limit; chunks beyond it are evicted now (pinned ones stay
 * until they are unpinned and the next chunk is read). */
void tftp_cache_set_limit(struct tftp_cache *c, size_t limit);

/* The cached file for st (a regular file just opened): the one already
 * cached when dev, inode, size and mtime match, else a new one (a cached
 * file of the same inode that changed is dropped for new opens). Returns 0
 * and a reference in *ret, or -ENOMEM. */
int tftp_cache_open(struct tftp_cache *c, const struct stat *st, struct tftp_cfile **ret);
/* Drops a reference; the last one frees the file's chunks. NULL-safe. */
void tftp_cache_close(struct tftp_cache *c, struct tftp_cfile *f);
/* The file's size when it was opened. */
uint64_t tftp_cfile_size(const struct tftp_cfile *f);

/* Points iov at the file's bytes [off, off + len) (within its size), reading
 * missing chunks from fd; the chunks are pinned until tftp_cache_unpin().
 * Returns the number of iovecs used (0 for len 0), -ENOSPC when more than
 * max_iov would be needed, -ESTALE when the file is shorter than it was
 * (it shrank), -ENOBUFS when every chunk the limit allows is pinned, or
 * another -errno from reading. */
int tftp_cache_get(struct tftp_cache *c, struct tftp_cfile *f, int fd, uint64_t off, size_t len,
                   struct iovec *iov, size_t max_iov);
/* Reads the chunks of [off, off + len) that are missing, pinning nothing
 * (read-ahead: the next window is in memory before its ACK). Returns 0 or
 * -errno as tftp_cache_get(). */
int tftp_cache_prefetch(struct tftp_cache *c, struct tftp_cfile *f, int fd, uint64_t off,
                        size_t len);
/* Releases every pin taken by tftp_cache_get() since the last call. */
void tftp_cache_unpin(struct tftp_cache *c);

/* Bytes of chunk data held now, and the limit in force. */
size_t tftp_cache_bytes(const struct tftp_cache *c);
size_t tftp_cache_limit(const struct tftp_cache *c);
/* Chunks read from files since the cache was made (misses). */
uint64_t tftp_cache_reads(const struct tftp_cache *c);
