// SPDX-License-Identifier: GPL-2.0
/* Kernel-style fixture: definitions in many shapes (written for the tests). */
#include "shapes.h"

static int declared_only(struct folio *folio);
extern void also_declared(void);
int (*function_pointer)(struct folio *);
typedef int (*new_folio_t)(struct folio *src, unsigned long private);

struct shape_ops {
	int (*lock)(struct folio *folio);
	void (*unlock)(struct folio *folio);
};

static const struct shape_ops default_ops = {
	.lock = declared_only,
	.unlock = NULL,
};

enum shape_mode { SHAPE_ASYNC, SHAPE_SYNC };

static noinline int __init shape_init(void)	/* M:init-first */
{
	return 0;
}	/* M:init-last */

static int __must_check
shape_multi_line_type(struct folio *folio,	/* M:multi-first */
		      unsigned long flags)
{
	if (flags) {
		return 1;
	}
	return 0;
}	/* M:multi-last */

static struct folio *
shape_returns_pointer(struct list_head *list)
{
	return list_first_entry(list, struct folio, lru);
}

__printf(2, 3)
static void shape_log(struct folio *folio, const char *fmt, ...)	/* M:printf-name */
{
	va_list args;
}

static void shape_unlock(spinlock_t *lock)
	__releases(lock)
{
	spin_unlock(lock);
}

static int shape_callbacks(struct folio *folio,
			   int (*get)(struct folio *folio, int n),
			   void (*put)(struct folio *folio), int nr)
{
	put(folio);
	return get(folio, nr);
}

SYSCALL_DEFINE2(shape_syscall, int, a, int, b)	/* M:syscall */
{
	return a + b;
}

static int declared_only(struct folio *folio)
{
	return shape_config(folio);
}

static int __buffer_style_name(struct folio *folio)	/* M:underscored */
{
	return declared_only(folio);
}
EXPORT_SYMBOL(__buffer_style_name);
