// A cache prefetch hint for the visited set, which Swift cannot express itself.
//
// Probing the visited set misses the caches once it outgrows them (docs/PERFORMANCE.md,
// "Reading a profile"). The merge knows the hashes of the successors it will insert next, so
// it asks for their table slots early and the misses overlap instead of coming one by one.
// A hint only: it never faults and changes no result.
#ifndef LOCKHUNT_CPREFETCH_H
#define LOCKHUNT_CPREFETCH_H

static inline __attribute__((always_inline)) void lh_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
