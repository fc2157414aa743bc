// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel-style fixture for lockhunt's C reader: a small imitation of page
 * migration written for the tests, not kernel code. Braces { in comments and
 * text such as folio_lock(folio) here must be ignored.
 */
#include <linux/migrate.h>
#include <linux/pagemap.h>

#define NR_RETRY	10
#define MOVE_ONE(f) do {		\
	folio_lock(f);			\
	folio_unlock(f);		\
} while (0)

static int writeout(struct address_space *mapping, struct folio *folio)
{
	int rc;

	if (!mapping->a_ops->writepage)
		return -EINVAL;
	rc = mapping->a_ops->writepage(&folio->page, NULL);	/* M:writepage */
	if (rc != AOP_WRITEPAGE_ACTIVATE)
		/* unlocked. Relock */
		folio_lock(folio);	/* M:writeout-lock */
	return (rc < 0) ? -EIO : -EAGAIN;
}

int migrate_folio(struct address_space *mapping, struct folio *dst,
		  struct folio *src, enum migrate_mode mode)
{
	return __migrate_folio(mapping, dst, src, NULL, mode);
}

static int fallback_migrate_folio(struct address_space *mapping,
		struct folio *dst, struct folio *src, enum migrate_mode mode)
{
	if (folio_test_dirty(src)) {
		switch (mode) {
		case MIGRATE_SYNC:
			break;
		default:
			return -EBUSY;
		}
		return writeout(mapping, src);	/* M:fallback-writeout */
	}
	return migrate_folio(mapping, dst, src, mode);
}

static int move_to_new_folio(struct folio *dst, struct folio *src,
				enum migrate_mode mode)
{
	struct address_space *mapping = folio_mapping(src);
	int rc;

	if (!mapping)
		rc = migrate_folio(mapping, dst, src, mode);
	else if (mapping->a_ops->migrate_folio)
		rc = mapping->a_ops->migrate_folio(mapping, dst, src, mode);	/* M:indirect */
	else
		rc = fallback_migrate_folio(mapping, dst, src, mode);	/* M:move-fallback */
	return rc;
}

static inline int try_split_folio(struct folio *folio, struct list_head *split_folios)
{
	int rc;

	folio_lock(folio);	/* M:split-lock */
	rc = split_folio_to_list(folio, split_folios);
	folio_unlock(folio);
	return rc;
}

static int migrate_folio_unmap(new_folio_t get_new_folio, struct folio *src,
			       struct folio **dstp, enum migrate_mode mode)
{
	struct folio *dst;
	int rc = -EAGAIN;

	dst = get_new_folio(src, 0);	/* M:param-call */
	if (!dst)
		return -ENOMEM;

	if (!folio_trylock(src)) {	/* M:unmap-trylock */
		if (mode == MIGRATE_ASYNC)
			goto out;
		if (current->flags & PF_MEMALLOC)
			goto out;
		folio_lock(src);	/* M:unmap-lock */
	}

	if (folio_test_writeback(src)) {
		if (mode != MIGRATE_SYNC) {
			rc = -EBUSY;
			goto out;
		}
		folio_wait_writeback(src);	/* M:unmap-wait-wb */
	}
	*dstp = dst;
	return MIGRATEPAGE_UNMAP;
out:
	folio_unlock(src);
	return rc;
}

static int migrate_folio_move(struct folio *src, struct folio *dst,
			      enum migrate_mode mode)
{
	int rc;

	rc = move_to_new_folio(dst, src, mode);
	folio_wait_stable_if_needed(dst);	/* M:move-stable */
	remove_migration_ptes(src, dst);	/* M:move-remove */
	folio_unlock(dst);
	folio_unlock(src);
	return rc;
}

static int migrate_pages_batch(struct list_head *from, new_folio_t get_new_folio,
		enum migrate_mode mode, struct list_head *ret_folios)
{
	int retry = 1;
	int pass;
	struct folio *folio, *folio2, *dst = NULL;
	LIST_HEAD(split_folios);

	for (pass = 0; pass < NR_RETRY && retry; pass++) {
		retry = 0;
		list_for_each_entry_safe(folio, folio2, from, lru) {
			if (folio_test_large(folio) && !try_split_folio(folio, &split_folios)) {	/* M:batch-split */
				retry++;
				continue;
			}
			switch (migrate_folio_unmap(get_new_folio, folio, &dst, mode)) {	/* M:batch-unmap */
			case -ENOMEM:
				goto out;
			case MIGRATEPAGE_UNMAP:
				migrate_folio_move(folio, dst, mode);	/* M:batch-move */
				break;
			default:
				retry++;
			}
		}
	}
out:
	return retry;
}

int migrate_pages(struct list_head *from, new_folio_t get_new_folio,
		  enum migrate_mode mode, int reason)
{
	int rc;
	LIST_HEAD(ret_folios);

	/* A string with braces and a call must not confuse the reader either. */
	pr_debug("migrate_pages: {%d} folio_lock(x)\n", reason);
	rc = migrate_pages_batch(from, get_new_folio, mode, &ret_folios);	/* M:top-batch */
	return rc;
}
