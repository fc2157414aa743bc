// SPDX-License-Identifier: GPL-2.0
/* Kernel-style fixture: reverse-map helpers (written for the tests). */
#include <linux/rmap.h>

void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct rmap_walk_control rwc = {
		.rmap_one = remove_migration_pte,
		.arg = src,
	};

	if (!folio_test_locked(dst))
		folio_lock(dst);	/* M:rmap-lock */
	rmap_walk(dst, &rwc);
}
