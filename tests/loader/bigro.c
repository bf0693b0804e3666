/*
 * For t-forkmem: a shared object linked with 2 MiB segment alignment,
 * so that its mappings have whole 2 MiB windows of read-only data and
 * PROT_NONE gaps between segments (which forkmem_hugetext() must leave
 * alone).
 */
#define BIGRO_LEN	((4u << 20) + (64u << 10))

extern const unsigned char bigro_data[BIGRO_LEN];
int	bigro_fn(unsigned);

__attribute__((visibility("default")))
const unsigned char bigro_data[BIGRO_LEN] = { 1, 2, 3 };

__attribute__((visibility("default"))) int
bigro_fn(unsigned i)
{
	return (bigro_data[i % BIGRO_LEN]);
}
