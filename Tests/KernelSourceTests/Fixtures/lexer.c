// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-style fixture for the lexer, written for the tests. Nothing in a
 * comment is code: static int hidden_in_comment(void) { folio_lock(f); }
 */
#include <linux/fs.h>	/* a comment after an include { */
#include "internal.h"

// A line comment with a brace { and a call folio_lock(folio); \
   continued on the next line by a backslash: hidden_in_continuation() {

#define LOCK_TWO(a, b) do {				\
		folio_lock(a);				\
		folio_lock(b);				\
	} while (0)

#define STRANGE_DEFINE "a string with /* no comment in it"	\
	" and a brace {"

#if 0
static void dead_function(struct folio *folio)
{
	folio_lock(folio);	/* never seen: #if 0 */
}
#endif

#if 0
#ifdef CONFIG_NESTED
static void dead_nested(void) { folio_lock(NULL); }
#endif
#else
static void alive_after_if0(struct folio *folio)
{
	folio_unlock(folio);	/* M:alive-unlock */
}
#endif

#if 1
static void kept_by_if1(void)
{
}
#else
static void dropped_by_if1(void)
{
	folio_lock(NULL);
}
#endif

static const char *braces_in_strings(int c)
{
	const char *s = "} not a brace { nor folio_lock(x) \" still in the string }";
	char open = '{', close = '}', quote = '\'', backslash = '\\';

	if (c == '"')
		return "\"{";
	pr_info("%s %c%c%c%c\n", s, open, close, quote, backslash);	/* M:pr-info */
	return s;
}

static int choose_branch(struct folio *folio, int x)
{
#ifdef CONFIG_FIRST
	if (x > 0) {
#else
	if (x < 0) {
#endif
		folio_lock(folio);	/* M:ifdef-lock */
	}
#ifdef CONFIG_BOTH
	folio_wait_writeback(folio);	/* M:ifdef-kept-1 */
#else
	folio_wait_stable(folio);	/* M:ifdef-kept-2 */
#endif
	return x;
}

static int after_branches(void)	/* M:after-branches */
{
	return 0;
}
