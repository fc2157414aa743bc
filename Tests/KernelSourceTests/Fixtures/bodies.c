// SPDX-License-Identifier: GPL-2.0
/* Kernel-style fixture: control structure around calls (written for the tests). */
#include <linux/pagemap.h>

static void loops(struct list_head *list, struct xarray *xa, struct folio_batch *fbatch)
{
	struct folio *folio, *next;
	unsigned int i;
	XA_STATE(xas, xa, 0);

	list_for_each_entry_safe(folio, next, list, lru) {
		folio_lock(folio);	/* M:safe-loop */
		folio_unlock(folio);
	}
	list_for_each_entry(folio, list, lru)
		folio_wait_writeback(folio);	/* M:loop-stmt */
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio))
			continue;
		folio_wait_locked(folio);	/* M:xas-loop */
	}
	for (i = 0; i < folio_batch_count(fbatch); i++)
		folio_unlock(fbatch->folios[i]);	/* M:for-loop */
	while (!list_empty(list))
		cond_resched();	/* M:while-loop */
	do {
		folio_lock(folio);	/* M:do-once */
	} while (0);
	do {
		folio = next_folio(list);	/* M:do-loop */
	} while (folio);
	folio_batch_for_each_folio(fbatch, i, folio);	/* M:for-each-call */
	wait_on_buffer(NULL);	/* M:after-loops */
}

static int conditions(struct folio *folio, enum migrate_mode mode, int rc)
{
	if (mode == MIGRATE_ASYNC) {
		if (!folio_trylock(folio))	/* M:cond-trylock */
			return -EAGAIN;
	} else if (mode == MIGRATE_SYNC_LIGHT) {
		folio_lock_killable(folio);	/* M:cond-elseif */
	} else {
		folio_lock(folio);	/* M:cond-else */
	}

	if (!folio_test_uptodate(folio))
		goto out;
	if (rc < 0) {
		pr_warn("failed\n");
		return rc;
	}
	folio_wait_writeback(folio);	/* M:cond-guarded */

	switch (mode) {
	case MIGRATE_SYNC:
	case MIGRATE_SYNC_NO_COPY:
		folio_wait_stable(folio);	/* M:cond-case */
		break;
	default:
		unlock_page(&folio->page);	/* M:cond-default */
	}
out:
	folio_unlock(folio);	/* M:cond-out */
	return unlikely(rc) ? rc : 0;
}

static int retry_loop(struct buffer_head *bh, struct address_space_operations *a_ops,
		      struct folio *folio)
{
	int (*fn)(struct folio *) = a_ops->launder_folio;
	const struct address_space_operations *ops = folio->mapping->a_ops;
retry:
	lock_buffer(bh);	/* M:goto-loop */
	if (buffer_dirty(bh)) {
		unlock_buffer(bh);
		goto retry;
	}
	ops->dirty_folio(folio->mapping, folio);	/* M:member-call */
	folio_mapping(folio)->a_ops->writepages(NULL, NULL);	/* M:call-receiver */
	(*fn)(folio);	/* M:star-call */
	scoped_guard(spinlock, &bh->b_lock) {
		trylock_buffer(bh);	/* M:scoped */
	}
	return 0;
}

static int recurse_a(int n);

static int recurse_b(int n)
{
	if (n > 0)
		return recurse_a(n - 1);	/* M:b-calls-a */
	lock_buffer(NULL);	/* M:b-lock */
	return 0;
}

static int recurse_a(int n)
{
	folio_lock(NULL);	/* M:a-lock */
	recurse_a(n - 2);	/* M:a-self */
	return recurse_b(n) + missing_function(n);	/* M:a-missing */
}

static int switch_guards(struct folio *folio, enum migrate_mode mode, int reason)
{
	int rc = 0;

	if (folio_test_writeback(folio)) {
		switch (mode) {
		case MIGRATE_SYNC:
		case MIGRATE_SYNC_NO_COPY:
			break;
		default:
			rc = -EBUSY;
			goto out;
		}
		folio_wait_writeback(folio);	/* M:after-switch */
	}
	if (mode == MIGRATE_ASYNC) {
		switch (reason) {
		case MR_COMPACTION:
			return -EBUSY;
		default:
			goto out;
		}
	}
	folio_lock(folio);	/* M:after-leaving-switch */
	switch (reason) {
	case MR_SYSCALL:
		break;
	default:
		pr_debug("no guard: the default falls out\n");
	}
	folio_unlock(folio);	/* M:after-open-switch */
out:
	return rc;
}
