// SPDX-License-Identifier: GPL-2.0
/* Kernel-style fixture: buffer-head migration (written for the tests). */
#include <linux/buffer_head.h>

static bool buffer_migrate_lock_buffers(struct buffer_head *head,
					enum migrate_mode mode)
{
	struct buffer_head *bh = head;
	struct buffer_head *failed_bh;

	do {
		if (!trylock_buffer(bh)) {	/* M:buf-trylock */
			if (mode == MIGRATE_ASYNC)
				goto unlock;
			if (mode == MIGRATE_SYNC_LIGHT && !buffer_uptodate(bh))
				goto unlock;
			lock_buffer(bh);	/* M:buf-lock */
		}

		bh = bh->b_this_page;
	} while (bh != head);

	return true;

unlock:
	/* We failed to lock the buffer and cannot stall. */
	failed_bh = bh;
	bh = head;
	while (bh != failed_bh) {
		unlock_buffer(bh);	/* M:buf-unlock */
		bh = bh->b_this_page;
	}

	return false;
}

static int __buffer_migrate_folio(struct address_space *mapping,
		struct folio *dst, struct folio *src, enum migrate_mode mode,
		bool check_refs)
{
	struct buffer_head *bh, *head;
	int rc;

	head = folio_buffers(src);
	if (!head)
		return migrate_folio(mapping, dst, src, mode);

	if (!buffer_migrate_lock_buffers(head, mode))	/* M:buf-call-lock */
		return -EAGAIN;

	if (check_refs) {
		bool busy, invalidated = false;

recheck_buffers:
		busy = false;
		spin_lock(&mapping->i_private_lock);	/* M:buf-spin */
		bh = head;
		do {
			if (atomic_read(&bh->b_count)) {
				busy = true;
				break;
			}
			bh = bh->b_this_page;
		} while (bh != head);
		spin_unlock(&mapping->i_private_lock);
		if (busy) {
			if (invalidated) {
				rc = -EAGAIN;
				goto unlock_buffers;
			}
			invalidate_bh_lrus();	/* M:buf-invalidate */
			invalidated = true;
			goto recheck_buffers;
		}
	}

	rc = filemap_migrate_folio(mapping, dst, src, mode);
	if (rc != MIGRATEPAGE_SUCCESS)
		goto unlock_buffers;

unlock_buffers:
	bh = head;
	do {
		unlock_buffer(bh);	/* M:buf-unlock-all */
		bh = bh->b_this_page;
	} while (bh != head);

	return rc;
}

int buffer_migrate_folio(struct address_space *mapping,
		struct folio *dst, struct folio *src, enum migrate_mode mode)
{
	return __buffer_migrate_folio(mapping, dst, src, mode, false);
}
EXPORT_SYMBOL(buffer_migrate_folio);
