/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-style fixture header: static inline functions (written for the tests). */
#ifndef _SHAPES_H
#define _SHAPES_H

struct folio;

static inline bool shape_test_locked(const struct folio *folio)
{
	return test_bit(PG_locked, folio_flags(folio, 0));
}

static __always_inline void shape_lock(struct folio *folio)
{
	might_sleep();
	if (!folio_trylock(folio))
		__folio_lock(folio);	/* M:inline-slow */
}

static inline int shape_one_line(int x) { return x + 1; }	/* M:one-line */

#ifdef CONFIG_SHAPES
extern int shape_config(struct folio *folio);
#else
static inline int shape_config(struct folio *folio)
{
	return 0;
}
#endif

#endif /* _SHAPES_H */
