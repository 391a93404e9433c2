/*
 * dropout.cl - dropout masks from a counter-based hash, so a mask depends only on the seed
 * and the element's index: the same on every device and work-group size, with no random
 * state kept on the device and nothing uploaded per element.
 *
 *   dropout_mask(mask, n, keep_scale, threshold, seed, first)   global (n):
 *     u = the top 24 bits of splitmix64(seed + index) as an integer in [0, 2^24), index
 *     being first + i (first: where a batch shard's rows begin in the whole batch's mask);
 *     mask[i] = u >= threshold ? keep_scale : 0, with threshold = rate * 2^24 and
 *     keep_scale = 1 / (1 - rate): kept with probability 1 - rate (inverted dropout).
 */
static inline ulong splitmix64(ulong z) {
    z += 0x9E3779B97F4A7C15UL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

__kernel void dropout_mask(__global float *mask, ulong n, float keep_scale, uint threshold,
                           ulong seed, ulong first) {
    size_t i = get_global_id(0);
    if (i >= n) return;
    ulong index = first + i;
    uint u = (uint)(splitmix64(seed ^ (index * 0xD1B54A32D192ED03UL)) >> 40);
    mask[i] = u >= threshold ? keep_scale : 0.0f;
}
