/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-style fixture header (written for the tests). */
#ifndef _LINUX_PAGEMAP_H
#define _LINUX_PAGEMAP_H

static inline bool folio_needs_stable(struct folio *folio)
{
	return folio->mapping && mapping_stable_writes(folio->mapping);
}

static inline void folio_wait_stable_if_needed(struct folio *folio)
{
	if (folio_needs_stable(folio))
		folio_wait_stable(folio);	/* M:header-stable */
}

#endif /* _LINUX_PAGEMAP_H */
